import { hash } from 'node:crypto';

/** Largest time the fixed-width base-36 prefix can hold (year 5138). */
const MAX_TIME = 36 ** 9 - 1;

/**
 * A stable id that sorts by `time` (epoch ms), then by a digest of `key`. The same key and time always
 * give the same id. Indexes on such ids grow at their end, so a transaction's new rows share a few pages;
 * ids that are only digests scatter every row to a page of its own, and on SQLite each written page is a
 * write to the log and later to the database file. A missing or invalid time becomes a zero prefix.
 */
export function orderedId(prefix: string, time: number | undefined, key: string, digestLength = 20): string {
  const t =
    time === undefined || !Number.isFinite(time) ? 0 : Math.min(Math.max(0, Math.floor(time)), MAX_TIME);
  return `${prefix}${t.toString(36).padStart(9, '0')}${hash('sha256', key, 'base64url').slice(0, digestLength)}`;
}
