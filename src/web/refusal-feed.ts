import type { ErrorCode } from '../http/errors/error-codes.ts';

/** A refused ingest request, without anything that could identify the caller. */
export interface Refusal {
  /** Increasing number, so a poller asks only for what it has not seen. */
  n: number;
  at: number;
  method: string;
  /** The path without its query string (publishable keys travel there). */
  path: string;
  status: number;
  code: ErrorCode;
}

/**
 * The last refused requests to the ingest endpoints, in memory: what a developer installing the pixel
 * needs to see (`RECLAIM_ERR_ORIGIN_FORBIDDEN`, a bad write key). Not kept across restarts; bounded.
 */
export class RefusalFeed {
  readonly #items: Refusal[] = [];
  #n = 0;

  constructor(private readonly capacity = 200) {}

  note(refusal: Omit<Refusal, 'n'>): void {
    if (
      refusal.path.startsWith('/admin/') ||
      (!refusal.path.startsWith('/v1/') && !refusal.path.startsWith('/webhooks'))
    )
      return;
    this.#items.push({ n: ++this.#n, ...refusal });
    if (this.#items.length > this.capacity) this.#items.shift();
  }

  /** Refusals after `n`, oldest first. */
  since(n: number): Refusal[] {
    return this.#items.filter((r) => r.n > n);
  }
}
