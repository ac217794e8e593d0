/** A key that names a point in time: `at`, `dueAt`, `occurredAt`… */
const TIME_KEY = /^(at|.+At)$/;
/** Epoch milliseconds from 1973 to 5138: a time, not a count or a duration. */
const isEpochMs = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1e11 && value < 1e14;

/**
 * The admin API's answers with every point in time as ISO-8601 (`2026-11-22T13:00:00.000Z`). Stored
 * records (trigger bodies, ledger records) keep epoch milliseconds inside; listings already gave ISO
 * strings, and the same field now reads the same on every endpoint.
 */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = TIME_KEY.test(key) && isEpochMs(child) ? new Date(child).toISOString() : withIsoTimes(child);
  }
  return out;
}
