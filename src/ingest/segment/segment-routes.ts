import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import { asDict } from '../fields.ts';
import type { Ingestor } from '../ingestor.ts';
import { readRequestSignals } from '../request-signals.ts';
import { requireWriteKey } from '../write-key-auth.ts';
import { SEGMENT_BATCH_PATHS, segmentEvents } from './segment-ingest.ts';
import { SEGMENT_MAX_BATCH_BYTES, SEGMENT_MAX_MESSAGE_BYTES, SEGMENT_TYPES } from './segment-schema.ts';

export interface SegmentRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
}

/** Segment's HTTP Tracking API: `/v1/track|identify|page|screen|group|alias` and `/v1/batch`. */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = (app, { config, clock, ingestor }) => {
  const route = (path: string, bodyLimit: number) =>
    app.post(path, { bodyLimit }, async (req) => {
      requireWriteKey(req, config.writeKeys, asDict(req.body).writeKey);
      await ingestor.accept(segmentEvents(path, req.body, readRequestSignals(req, config.geo, clock.now())));
      return { success: true };
    });
  for (const type of SEGMENT_TYPES) route(`/v1/${type}`, SEGMENT_MAX_MESSAGE_BYTES);
  for (const path of SEGMENT_BATCH_PATHS) route(path, SEGMENT_MAX_BATCH_BYTES);
  return Promise.resolve();
};
