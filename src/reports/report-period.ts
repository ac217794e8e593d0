const DAY = 86_400_000;
/** Longest period one report covers. */
const MAX_DAYS = 400;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A report's period, or why the one asked for is not one. */
export type PeriodResult =
  { ok: true; from: number; to: number } | { ok: false; field: 'from' | 'to'; message: string };

/**
 * The period `[from, to)` a report covers, from ISO-8601 times or dates. A date alone is a whole UTC day,
 * so `--from 2026-10-01 --to 2026-10-31` covers all of October. Without `to`, up to `now`; without `from`,
 * the 30 days before `to`.
 */
export function reportPeriod(input: { from?: string; to?: string }, now: number): PeriodResult {
  const parse = (value: string | undefined, end: boolean): number | undefined | null => {
    if (value === undefined || value === '') return undefined;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) return null;
    return end && DATE_ONLY.test(value) ? ms + DAY : ms;
  };
  const to = parse(input.to, true);
  if (to === null) return { ok: false, field: 'to', message: 'to must be an ISO-8601 date or time' };
  const from = parse(input.from, false);
  if (from === null) return { ok: false, field: 'from', message: 'from must be an ISO-8601 date or time' };
  const end = to ?? now;
  const start = from ?? end - 30 * DAY;
  if (start >= end) return { ok: false, field: 'from', message: 'from must be before to' };
  if (end - start > MAX_DAYS * DAY)
    return { ok: false, field: 'from', message: `a report covers at most ${MAX_DAYS} days` };
  return { ok: true, from: start, to: end };
}
