import type { z } from 'zod';
import { apiError, formatPath } from '../server/api-error.ts';
import { canonicalEventSchema, type CanonicalEvent } from './canonical-event.ts';
import { findHostileValue } from '../server/json-body.ts';

/** Deepest nesting any ingest body may have. Real payloads stay under 12. */
export const MAX_DEPTH = 24;

/**
 * Validates `value` against `schema`, or throws a 422 whose `path` points at the first offending field
 * (prefixed with `prefix`, e.g. `batch.3`). Bodies that nest too deep or carry prototype-pollution
 * keys are refused before the schema sees them.
 */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const hostile = findHostileValue(value, MAX_DEPTH);
  if (hostile) throw apiError('RECLAIM_ERR_INVALID_SHAPE', hostile.reason, join(prefix, hostile.path));
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw apiError(
    'RECLAIM_ERR_INVALID_SHAPE',
    issue.message,
    join(prefix, formatPath(issue.path)) || undefined,
  );
}

function join(prefix: string, path: string): string {
  return prefix && path ? `${prefix}.${path}` : prefix || path;
}

/** Parses an ISO-8601 time to epoch ms; `undefined` when absent or unreadable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Checks a mapped event against the canonical model, so nothing out of bounds (a 40 KB SKU, a malformed
 * currency) is ever stored; the 422 names the request item and the canonical field.
 */
export function ensureCanonical(event: CanonicalEvent, prefix: string): CanonicalEvent {
  const result = canonicalEventSchema.safeParse(event);
  if (result.success) return event;
  const issue = result.error.issues[0]!;
  const field = formatPath(issue.path);
  throw apiError('RECLAIM_ERR_INVALID_SHAPE', `${field}: ${issue.message}`, prefix || undefined);
}
