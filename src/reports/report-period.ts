import { ISO_FORMAT, parseIsoTime } from '../runtime/iso-time.ts';

const DAY = 86_400_000;
/** Longest period one report covers. */
const MAX_DAYS = 400;

/** A report's period, or why the one asked for is not one. */
export type PeriodResult =
  { ok: true; from: number; to: number } | { ok: false; field: 'from' | 'to'; message: string };

/**
 * The period `[from, to)` a report covers, from ISO-8601 times or dates (`parseIsoTime`: nothing else is
 * guessed at). A date alone is a whole UTC day,
 * so `--from 2026-10-01 --to 2026-10-31` covers all of October. Without `to`, up to `now`; without `from`,
 * the 30 days before `to`.
 */
export function reportPeriod(input: { from?: string; to?: string }, now: number): PeriodResult {
  const parse = (value: string | undefined, end: boolean): number | undefined | null => {
    if (value === undefined || value === '') return undefined;
    const time = parseIsoTime(value);
    if (!time.ok) return null;
    return end && time.dateOnly ? time.ms + DAY : time.ms;
  };
  const refused = (field: 'from' | 'to', value: string): PeriodResult => ({
    ok: false,
    field,
    message: `${field} must be ${ISO_FORMAT}; got "${value}"`,
  });
  const to = parse(input.to, true);
  if (to === null) return refused('to', input.to!);
  const from = parse(input.from, false);
  if (from === null) return refused('from', input.from!);
  const end = to ?? now;
  const start = from ?? end - 30 * DAY;
  if (start >= end) return { ok: false, field: 'from', message: 'from must be before to' };
  if (end - start > MAX_DAYS * DAY)
    return { ok: false, field: 'from', message: `a report covers at most ${MAX_DAYS} days` };
  return { ok: true, from: start, to: end };
}
