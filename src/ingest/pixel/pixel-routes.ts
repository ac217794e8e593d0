import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import { asDict } from '../fields.ts';
import type { Ingestor } from '../ingestor.ts';
import { readRequestSignals } from '../request-signals.ts';
import { parseBody, parseShape } from '../validation.ts';
import { mapPixelEvent } from './pixel-mapper.ts';
import { PIXEL_MAX_BODY_BYTES, pixelBodySchema, pixelEventSchema } from './pixel-schema.ts';

export interface PixelRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
}

/** `POST /v1/pixel`: batches of Shopify Web Pixel events from the store's pixel. */
export const pixelRoutes: FastifyPluginAsync<PixelRoutesOptions> = (app, { config, clock, ingestor }) => {
  app.post('/v1/pixel', { bodyLimit: PIXEL_MAX_BODY_BYTES }, async (req, reply) => {
    const body = parseBody(pixelBodySchema, req.body);
    const signals = readRequestSignals(req, config.geo, clock.now());
    const envelope = { signals, body, bannerWordingVersion: config.consent.bannerWordingVersion };
    const events = body.events.map((raw, index) =>
      mapPixelEvent(parseShape(pixelEventSchema, asDict(raw), `events.${index}`), envelope),
    );
    const result = await ingestor.accept(events);
    return reply.status(200).send({ accepted: events.length, duplicates: result.duplicates });
  });
  return Promise.resolve();
};
