import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { EventLog } from '../../event-log/event-log.ts';
import type { CallPreparer } from '../ingest-workers.ts';
import { preparedError } from '../prepared-ingest.ts';
import { readRequestSignals } from '../request-signals.ts';
import { PIXEL_MAX_BODY_BYTES } from './pixel-schema.ts';

export interface PixelRoutesOptions {
  config: Config;
  clock: Clock;
  eventLog: EventLog;
  preparer: CallPreparer;
}

/** `POST /v1/pixel`: batches of Shopify Web Pixel events from the store's pixel. */
export const pixelRoutes: FastifyPluginAsync<PixelRoutesOptions> = (
  app,
  { config, clock, eventLog, preparer },
) => {
  app.post('/v1/pixel', { bodyLimit: PIXEL_MAX_BODY_BYTES, config: { parseBody: false } }, async (req) => {
    const prepared = await preparer.prepare({
      source: 'pixel',
      body: req.rawBody!,
      signals: readRequestSignals(req, config.geo, clock.now()),
      bannerWordingVersion: config.consent.bannerWordingVersion,
    });
    if (prepared.outcome !== 'rows') throw preparedError(prepared.error);
    const result = await eventLog.appendRows(prepared.rows, prepared.counts);
    return { accepted: prepared.events, duplicates: result.duplicates };
  });
  return Promise.resolve();
};
