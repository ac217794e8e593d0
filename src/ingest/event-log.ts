import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { CanonicalEvent } from './canonical-event.ts';

/** Rows per INSERT statement: far below either dialect's bind-parameter limit. */
const CHUNK = 500;

/** A stable event id from the idempotency key: the same input always yields the same id. */
export function eventIdFor(idempotencyKey: string): string {
  return `ev_${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 22)}`;
}

export interface AppendResult {
  /** Events newly stored. */
  stored: number;
  /** Events skipped because their idempotency key was already stored. */
  duplicates: number;
}

/** Behaviour counted without identifiers (no tracking consent), by kind and reason. */
export interface AnonymousCount {
  day: string;
  kind: string;
  reason: string;
}

/**
 * The durable, append-only log every ingest path writes to. An append is one transaction: all of it is
 * committed before the caller acknowledges, or none of it is.
 */
export class EventLog {
  constructor(private readonly store: Store) {}

  /**
   * Stores `events` (skipping idempotency keys already stored) and adds `counts`, in one transaction.
   * `inTransaction` runs inside the same transaction (e.g. recording a webhook delivery id); when it
   * returns false the whole append is a duplicate and nothing is written.
   */
  async append(
    events: readonly CanonicalEvent[],
    counts: readonly AnonymousCount[] = [],
    inTransaction?: (trx: Transaction<Database>) => Promise<boolean>,
  ): Promise<AppendResult> {
    return this.store.db.transaction().execute(async (trx) => {
      if (inTransaction && !(await inTransaction(trx))) return { stored: 0, duplicates: events.length };
      let stored = 0;
      for (let i = 0; i < events.length; i += CHUNK) {
        const rows = events.slice(i, i + CHUNK).map((event) => ({
          id: event.id,
          idempotency_key: event.idempotencyKey,
          kind: event.kind,
          source: event.source,
          event_time: event.eventTime,
          received_at: event.receivedAt,
          body_json: JSON.stringify(event),
        }));
        const inserted = await trx
          .insertInto('events')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .returning('seq')
          .execute();
        stored += inserted.length;
      }
      await addCounts(trx, counts);
      return { stored, duplicates: events.length - stored };
    });
  }
}

async function addCounts(trx: Transaction<Database>, counts: readonly AnonymousCount[]): Promise<void> {
  const grouped = new Map<string, AnonymousCount & { count: number }>();
  for (const c of counts) {
    const key = `${c.day}\u0000${c.kind}\u0000${c.reason}`;
    const entry = grouped.get(key);
    if (entry) entry.count++;
    else grouped.set(key, { ...c, count: 1 });
  }
  for (const row of grouped.values()) {
    await trx
      .insertInto('anonymous_counts')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['day', 'kind', 'reason'])
          .doUpdateSet((eb) => ({ count: eb('anonymous_counts.count', '+', row.count) })),
      )
      .execute();
  }
}
