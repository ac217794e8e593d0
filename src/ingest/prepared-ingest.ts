import { ApiError, type ErrorBody } from '../http/errors/api-error.ts';
import { parseJsonExact } from '../http/body/json-body.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { TrackingGate } from '../event-log/tracking-gate.ts';
import { toRow, type AnonymousCount, type EventRow } from '../event-log/event-log.ts';
import { asDict } from './fields.ts';
import { pixelEvents } from './pixel/pixel-ingest.ts';
import type { RequestSignals } from './request-signals.ts';
import { segmentEvents } from './segment/segment-ingest.ts';

/** Where a call came in — a Segment path or the pixel — and what its request says. */
export type CallOrigin = { signals: RequestSignals } & (
  { source: 'segment'; path: string } | { source: 'pixel'; bannerWordingVersion: string }
);

/** One call as it arrived: the body's bytes and where it came in. */
export type IngestCall = CallOrigin & { body: Uint8Array };

/**
 * A call turned into what the event log stores, or the error to answer with. `events` counts the call's
 * events before the consent gate; `writeKey` is the body's own, for authentication. A body that is not
 * JSON (`unreadable`) is refused before authentication, as every endpoint refuses it.
 */
export type PreparedCall =
  | { outcome: 'rows'; writeKey?: string; events: number; rows: EventRow[]; counts: AnonymousCount[] }
  | { outcome: 'unreadable'; error: ErrorBody['error'] }
  | { outcome: 'invalid'; writeKey?: string; error: ErrorBody['error'] };

/**
 * Everything about a call that needs nothing but the call: parse, validate, map to canonical events,
 * the tracking gate (the one the `Ingestor` applies), and the stored form. Pure, so it runs on an ingest
 * worker thread as well as in-process.
 */
export function prepareCall(call: IngestCall, gate: TrackingGate): PreparedCall {
  const bytes = Buffer.from(call.body.buffer, call.body.byteOffset, call.body.byteLength);
  let body: unknown;
  try {
    body = parseJsonExact(bytes);
  } catch (error) {
    return { outcome: 'unreadable', error: errorOf(error) };
  }
  return prepareBody(call, body, gate);
}

/** `prepareCall` for a body already parsed (exactly, by `parseJsonExact`). */
export function prepareBody(call: CallOrigin, body: unknown, gate: TrackingGate): PreparedCall {
  const bodyKey = asDict(body).writeKey;
  const writeKey = typeof bodyKey === 'string' ? bodyKey : undefined;
  let events: CanonicalEvent[];
  try {
    events =
      call.source === 'segment'
        ? segmentEvents(call.path, body, call.signals)
        : pixelEvents(body, call.signals, call.bannerWordingVersion);
  } catch (error) {
    return { outcome: 'invalid', writeKey, error: errorOf(error) };
  }
  const admitted = gate.admit(events);
  return {
    outcome: 'rows',
    writeKey,
    events: events.length,
    rows: admitted.events.map(toRow),
    counts: admitted.counts,
  };
}

/** An API error as plain data (it crosses a thread); anything else is a defect and is thrown on. */
function errorOf(error: unknown): ErrorBody['error'] {
  if (error instanceof ApiError) return error.toBody().error;
  throw error;
}

/** The API error a prepared call carries, back as an `ApiError`. */
export function preparedError(error: ErrorBody['error']): ApiError {
  return new ApiError(error.code, error.message, error.path);
}
