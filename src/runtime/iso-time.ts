const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** How a date or time must be written wherever Reclaim reads one from an operator (CLI options, admin API). */
export const ISO_FORMAT =
  'an ISO-8601 date or time: YYYY-MM-DD (UTC) or YYYY-MM-DDTHH:MM[:SS]Z (Z or an offset such as +02:00)';

/** A time read from text: milliseconds since the epoch, and whether the text named a whole day. */
export type IsoTime = { ok: true; ms: number; dateOnly: boolean } | { ok: false };

/**
 * Reads an ISO-8601 calendar date (`2026-10-01`, as UTC midnight) or date-time with its offset
 * (`2026-10-01T09:30:00Z`, `2026-10-01T11:30+02:00`). Everything else is refused rather than guessed:
 * `Date.parse` reads `01/10/2026` as 10 January in the server's time zone, and a time without an offset
 * as local time, so a report or listing would silently cover another period than the one meant.
 */
export function parseIsoTime(text: string): IsoTime {
  const date = DATE.exec(text);
  const dateTime = date ? undefined : DATE_TIME.exec(text);
  const parts = date ?? dateTime;
  if (!parts) return { ok: false };
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const midnight = Date.UTC(year, month - 1, day);
  const check = new Date(midnight);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return { ok: false };
  if (date) return { ok: true, ms: midnight, dateOnly: true };
  const [hour, minute, second] = [Number(parts[4]), Number(parts[5]), Number(parts[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return { ok: false };
  const zone = parts[8]!.toUpperCase();
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(-2)) > 59)) return { ok: false };
  const ms = Date.parse(text.toUpperCase());
  return Number.isFinite(ms) ? { ok: true, ms, dateOnly: false } : { ok: false };
}
