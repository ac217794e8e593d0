import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { EventLog } from '../../event-log/event-log.ts';
import type { CallPreparer } from '../ingest-workers.ts';
import { preparedError } from '../prepared-ingest.ts';
import { readRequestSignals } from '../request-signals.ts';
import { requireWriteKey } from '../../http/auth/write-key-auth.ts';
import { SEGMENT_BATCH_PATHS } from './segment-ingest.ts';
import { SEGMENT_MAX_BATCH_BYTES, SEGMENT_MAX_MESSAGE_BYTES, SEGMENT_TYPES } from './segment-schema.ts';

export interface SegmentRoutesOptions {
  config: Config;
  clock: Clock;
  eventLog: EventLog;
  /** Parses, validates and maps calls (`prepareCall`), on ingest worker threads when configured. */
  preparer: CallPreparer;
}

/** Segment's HTTP Tracking API: `/v1/track|identify|page|screen|group|alias` and `/v1/batch`. */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = (
  app,
  { config, clock, eventLog, preparer },
) => {
  const route = (path: string, bodyLimit: number) =>
    app.post(path, { bodyLimit, config: { parseBody: false } }, async (req) => {
      const signals = readRequestSignals(req, config.geo, clock.now());
      const prepared = await preparer.prepare({ source: 'segment', path, body: req.rawBody!, signals });
      if (prepared.outcome === 'unreadable') throw preparedError(prepared.error);
      requireWriteKey(req, config.writeKeys, prepared.writeKey, config.publishableKeys);
      if (prepared.outcome === 'invalid') throw preparedError(prepared.error);
      await eventLog.appendRows(prepared.rows, prepared.counts);
      return { success: true };
    });
  for (const type of SEGMENT_TYPES) route(`/v1/${type}`, SEGMENT_MAX_MESSAGE_BYTES);
  for (const path of SEGMENT_BATCH_PATHS) route(path, SEGMENT_MAX_BATCH_BYTES);
  return Promise.resolve();
};
