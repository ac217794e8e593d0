import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import { asDict } from '../fields.ts';
import type { Ingestor } from '../ingestor.ts';
import { readRequestSignals } from '../request-signals.ts';
import { parseBody, parseShape } from '../validation.ts';
import { requireWriteKey } from '../write-key-auth.ts';
import { mapSegmentMessage } from './segment-mapper.ts';
import {
  SEGMENT_MAX_BATCH_BYTES,
  SEGMENT_MAX_MESSAGE_BYTES,
  segmentBatchSchema,
  segmentMessageSchema,
  type SegmentType,
} from './segment-schema.ts';

export interface SegmentRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
}

/** Segment's HTTP Tracking API: `/v1/track|identify|page|screen|group|alias` and `/v1/batch`. */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = (app, { config, clock, ingestor }) => {
  const single = (type: SegmentType) =>
    app.post(`/v1/${type}`, { bodyLimit: SEGMENT_MAX_MESSAGE_BYTES }, async (req) => {
      const body = asDict(req.body);
      requireWriteKey(req, config.writeKeys, body.writeKey);
      const message = parseBody(segmentMessageSchema, { ...body, type });
      const signals = readRequestSignals(req, config.geo, clock.now());
      await ingestor.accept([mapSegmentMessage(message, signals)]);
      return { success: true };
    });
  for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const) single(type);

  const batch = async (req: { body: unknown } & Parameters<typeof readRequestSignals>[0]) => {
    const body = asDict(req.body);
    requireWriteKey(req, config.writeKeys, body.writeKey);
    const envelope = parseShape(segmentBatchSchema, body);
    const signals = readRequestSignals(req, config.geo, clock.now());
    const shared = envelope.context ? { context: envelope.context } : {};
    const events = envelope.batch.map((raw, index) => {
      const message = parseBody(
        segmentMessageSchema,
        { ...shared, ...asDict(raw) },
        `batch.${index}`,
        SEGMENT_MAX_MESSAGE_BYTES,
      );
      return mapSegmentMessage(message, signals, envelope.sentAt);
    });
    await ingestor.accept(events);
    return { success: true };
  };
  app.post('/v1/batch', { bodyLimit: SEGMENT_MAX_BATCH_BYTES }, batch);
  app.post('/v1/import', { bodyLimit: SEGMENT_MAX_BATCH_BYTES }, batch);
  return Promise.resolve();
};
