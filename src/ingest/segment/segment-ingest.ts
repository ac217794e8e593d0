import { apiError } from '../../http/errors/api-error.ts';
import type { CanonicalEvent } from '../../event-log/canonical-event.ts';
import { asDict } from '../fields.ts';
import type { RequestSignals } from '../request-signals.ts';
import { parseBody, parseShape } from '../validation.ts';
import { mapSegmentMessage } from './segment-mapper.ts';
import {
  SEGMENT_MAX_MESSAGE_BYTES,
  segmentBatchSchema,
  segmentMessageSchema,
  SEGMENT_TYPES,
  type SegmentType,
} from './segment-schema.ts';

/** Paths of the Segment-compatible API that take a batch. */
export const SEGMENT_BATCH_PATHS = ['/v1/batch', '/v1/import'];

/**
 * The canonical events of one Segment API call: a batch (`/v1/batch`, `/v1/import`) or a single call
 * whose type the path names (`/v1/track`…). Throws a 4xx `ApiError` for anything malformed.
 */
export function segmentEvents(path: string, body: unknown, signals: RequestSignals): CanonicalEvent[] {
  const dict = asDict(body);
  if (SEGMENT_BATCH_PATHS.includes(path)) {
    const envelope = parseShape(segmentBatchSchema, dict);
    const shared = envelope.context ? { context: envelope.context } : {};
    return envelope.batch.map((raw, index) =>
      mapSegmentMessage(
        parseBody(
          segmentMessageSchema,
          { ...shared, ...asDict(raw) },
          `batch.${index}`,
          SEGMENT_MAX_MESSAGE_BYTES,
        ),
        signals,
        envelope.sentAt,
      ),
    );
  }
  const type = path.replace(/^\/v1\//, '') as SegmentType;
  if (!SEGMENT_TYPES.includes(type)) throw apiError('RECLAIM_ERR_NOT_FOUND', `no Segment call at ${path}`);
  return [mapSegmentMessage(parseBody(segmentMessageSchema, { ...dict, type }), signals)];
}
