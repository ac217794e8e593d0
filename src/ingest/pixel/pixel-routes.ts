import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Ingestor } from '../ingestor.ts';
import { readRequestSignals } from '../request-signals.ts';
import { pixelEvents } from './pixel-ingest.ts';
import { PIXEL_MAX_BODY_BYTES } from './pixel-schema.ts';

export interface PixelRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
}

/** `POST /v1/pixel`: batches of Shopify Web Pixel events from the store's pixel. */
export const pixelRoutes: FastifyPluginAsync<PixelRoutesOptions> = (app, { config, clock, ingestor }) => {
  app.post('/v1/pixel', { bodyLimit: PIXEL_MAX_BODY_BYTES }, async (req) => {
    const events = pixelEvents(
      req.body,
      readRequestSignals(req, config.geo, clock.now()),
      config.consent.bannerWordingVersion,
    );
    const result = await ingestor.accept(events);
    return { accepted: events.length, duplicates: result.duplicates };
  });
  return Promise.resolve();
};
