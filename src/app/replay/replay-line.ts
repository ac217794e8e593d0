import { z } from 'zod';
import type { Config } from '../../config/config-schema.ts';
import type { AnonymousCount, EventRow } from '../../event-log/event-log.ts';
import { consentTrackingGate } from '../../consent/tracking-gate.ts';
import { prepareBody } from '../../ingest/prepared-ingest.ts';
import { signalsFrom, type RequestSignals } from '../../ingest/request-signals.ts';
import { ApiError } from '../../http/errors/api-error.ts';
import { parseJsonExact } from '../../http/body/json-body.ts';

/** One recorded request (CONTRACT.md "Event time and replay"). */
const lineSchema = z.looseObject({
  at: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'at must be an ISO-8601 time'),
  kind: z.enum(['segment', 'pixel', 'shopify', 'consent']),
  path: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown(),
});
export type ReplayLine = z.output<typeof lineSchema>;

/** What preparing a line needs from the config. */
export interface LineSettings {
  geo: Config['geo'];
  bannerWordingVersion: string;
}

/**
 * A line read ahead of the engine. Segment and pixel lines arrive as the rows the event log stores,
 * prepared as the live endpoint prepares them with the clock at the line's time (`at`); Shopify lines
 * (whose redelivery check runs in the database) and consent lines arrive parsed (`line`).
 */
export type PreparedLine =
  | { outcome: 'unreadable'; code: string }
  | { outcome: 'refused'; at: number; code: string }
  | { outcome: 'rows'; at: number; rows: EventRow[]; counts: AnonymousCount[] }
  | { outcome: 'line'; at: number; line: ReplayLine };

/** Request headers of a line, names lower-cased as an HTTP server sees them. */
export function lineHeaders(line: ReplayLine): Record<string, string> {
  return Object.fromEntries(Object.entries(line.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** What a line's request says about the visitor, received at `receivedAt`. */
export function lineSignals(line: ReplayLine, geo: Config['geo'], receivedAt: number): RequestSignals {
  const headers = lineHeaders(line);
  return signalsFrom(headers, headers['x-forwarded-for']?.split(',')[0]?.trim(), geo, receivedAt);
}

/**
 * Parses and validates one line; Segment and pixel lines go on through the ingest path's pure step, as
 * received at `receivedAt` (default: the line's own time).
 */
export function prepareLine(bytes: Buffer, settings: LineSettings, receivedAt?: number): PreparedLine {
  let line: ReplayLine;
  try {
    const parsed = lineSchema.safeParse(parseJsonExact(bytes));
    if (!parsed.success) return { outcome: 'unreadable', code: 'RECLAIM_ERR_INVALID_SHAPE' };
    line = parsed.data;
  } catch (error) {
    return {
      outcome: 'unreadable',
      code: error instanceof ApiError ? error.code : 'RECLAIM_ERR_MALFORMED_JSON',
    };
  }
  const at = Date.parse(line.at);
  if (line.kind !== 'segment' && line.kind !== 'pixel') return { outcome: 'line', at, line };
  const signals = lineSignals(line, settings.geo, receivedAt ?? at);
  const prepared =
    line.kind === 'segment'
      ? prepareBody(
          { source: 'segment', path: line.path ?? '/v1/batch', signals },
          line.body,
          consentTrackingGate,
        )
      : prepareBody(
          { source: 'pixel', signals, bannerWordingVersion: settings.bannerWordingVersion },
          line.body,
          consentTrackingGate,
        );
  return prepared.outcome === 'rows'
    ? { outcome: 'rows', at, rows: prepared.rows, counts: prepared.counts }
    : { outcome: 'refused', at, code: prepared.error.code };
}
