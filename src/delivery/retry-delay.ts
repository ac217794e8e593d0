/** First retry after about this long (ms). */
const BASE = 30_000;
/** Retries never wait longer than this (ms), so a partner back from an outage is used again soon. */
const CAP = 30 * 60_000;

/**
 * How long to wait before retry number `attempt` (1 = the first retry): 30 s doubling up to 30 min, with
 * jitter between half and all of it, so deliveries failed together do not come back together.
 */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP, BASE * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
