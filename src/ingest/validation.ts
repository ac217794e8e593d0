import { z } from 'zod';
import { apiError, formatPath } from '../http/errors/api-error.ts';
import { inspectValue } from '../http/body/json-body.ts';

/** Deepest nesting any ingest body may have. Real payloads stay under 12. */
export const MAX_DEPTH = 24;

/**
 * Refuses bodies that nest too deep or carry prototype-pollution keys (422), or that are larger than
 * `maxBytes` (413). `prefix` (e.g. `batch.3`) starts the error path.
 */
export function inspectBody(value: unknown, prefix = '', maxBytes?: number): void {
  const { problem, size } = inspectValue(value, MAX_DEPTH);
  if (problem) throw apiError('RECLAIM_ERR_INVALID_SHAPE', problem.reason, join(prefix, problem.path));
  if (maxBytes !== undefined && size > maxBytes) {
    throw apiError('RECLAIM_ERR_BODY_TOO_LARGE', `message exceeds ${maxBytes} bytes`, prefix || undefined);
  }
}

/** Validates `value` against `schema`, or throws a 422 whose `path` points at the first offending field. */
export function parseShape<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw apiError(
    'RECLAIM_ERR_INVALID_SHAPE',
    issue.message,
    join(prefix, formatPath(issue.path)) || undefined,
  );
}

/** `inspectBody`, then `parseShape`: the whole check for a body nobody has inspected yet. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = '',
  maxBytes?: number,
): z.output<S> {
  inspectBody(value, prefix, maxBytes);
  return parseShape(schema, value, prefix);
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

/** ISO-8601 date or date-time, with or without offset: what Segment, Shopify and browsers send. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$/;

/** An ISO-8601 time that is also a real instant (no month 13, no hour 25). */
export const isoTime = z
  .string({ error: 'must be an ISO-8601 date-time' })
  .regex(ISO_TIME, 'must be an ISO-8601 date-time')
  .refine((value) => Number.isFinite(Date.parse(value)), 'is not a real date and time');
