import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { BulkWriter } from '../store/bulk-writer.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { lockAppends } from '../store/append-lock.ts';
import { orderedId } from '../store/ordered-id.ts';
import type { CanonicalEvent } from './canonical-event.ts';

/**
 * A stable event id: the time the payload itself states (`payloadTime`, epoch ms), then a digest of the
 * idempotency key. The same delivery always yields the same id, and its unique index is the dedupe. A
 * payload without its own time (a Segment call without timestamps) gets a zero prefix, so a retry still
 * maps to the same id.
 */
export function eventIdFor(idempotencyKey: string, payloadTime: number | undefined): string {
  return orderedId('ev_', payloadTime, idempotencyKey, 22);
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

/** Work done inside an append's transaction; returning false makes the whole append a duplicate. */
export type AppendGuard = (trx: Transaction<Database>) => Promise<boolean>;

interface PendingAppend {
  rows: readonly EventRow[];
  counts: readonly AnonymousCount[];
  guard?: AppendGuard;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The durable, append-only log every ingest path writes to. Appends that arrive while a group commits are
 * committed together as the next group (group commit): each caller's promise resolves only after the
 * transaction holding its events has committed, so an acknowledgement always means durable. An append is
 * all or nothing: if a group fails, its appends are retried one by one so one bad append cannot take the
 * others down.
 */
export class EventLog {
  #pending: PendingAppend[] = [];
  /** A flush is scheduled or running. */
  #scheduled = false;

  constructor(private readonly store: Store) {}

  append(
    events: readonly CanonicalEvent[],
    counts: readonly AnonymousCount[] = [],
    guard?: AppendGuard,
  ): Promise<AppendResult> {
    return this.appendRows(events.map(toRow), counts, guard);
  }

  /** Appends events already in their stored form (`toRow`), as the ingest workers prepare them. */
  appendRows(
    rows: readonly EventRow[],
    counts: readonly AnonymousCount[] = [],
    guard?: AppendGuard,
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.#pending.push({ rows, counts, guard, resolve, reject });
      this.#schedule();
    });
  }

  /** One group commits at a time; what arrives meanwhile waits for it and goes in the next group. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    const group = this.#pending;
    this.#pending = [];
    try {
      await this.#commitGroup(group);
    } finally {
      this.#scheduled = false;
      if (this.#pending.length > 0) this.#schedule();
    }
  }

  async #commitGroup(group: PendingAppend[]): Promise<void> {
    try {
      const results = await this.#commit(group);
      group.forEach((append, i) => append.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      for (const append of group) {
        try {
          append.resolve((await this.#commit([append]))[0]!);
        } catch (single) {
          append.reject(single);
        }
      }
    }
  }

  /** One transaction for the whole group; returns each append's result. */
  #commit(group: readonly PendingAppend[]): Promise<AppendResult[]> {
    return this.store.db.transaction().execute(async (trx) => {
      await lockAppends(this.store, trx);
      const accepted: boolean[] = [];
      for (const append of group) accepted.push(append.guard ? await append.guard(trx) : true);
      const owner = new Map<string, number>();
      const rows: EventRow[] = [];
      group.forEach((append, index) => {
        if (!accepted[index]) return;
        for (const row of append.rows) {
          if (owner.has(row.id)) continue;
          owner.set(row.id, index);
          rows.push(row);
        }
      });
      const stored = new Array<number>(group.length).fill(0);
      for (const row of await eventWriter.write(trx, rows)) stored[owner.get(row.id as string)!]!++;
      await addCounts(
        trx,
        group.flatMap((append, index) => (accepted[index] ? append.counts : [])),
      );
      return group.map((append, index) => ({
        stored: stored[index]!,
        duplicates: append.rows.length - stored[index]!,
      }));
    });
  }
}

/**
 * When the log last stored an event from `source` (receive time, epoch ms), or undefined. Walks the log
 * back from its newest row, so it is quick while that source is active. Events counted anonymously
 * (no tracking consent) are not in the log and do not count.
 */
export async function lastStoredFrom(
  db: Kysely<Database>,
  source: CanonicalEvent['source'],
): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select('received_at')
    .where('source', '=', source)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.received_at) : undefined;
}

/** Orders stored with an event time in `[from, to)`, oldest first, each with its position in the log. */
export async function orderEvents(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<{ seq: number; event: CanonicalEvent }[]> {
  const rows = await db
    .selectFrom('events')
    .select(['seq', 'id', 'idempotency_key', 'kind', 'source', 'event_time', 'received_at', 'body_json'])
    .where('kind', '=', 'order_completed')
    .where('event_time', '>=', from)
    .where('event_time', '<', to)
    .orderBy('event_time')
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    event: readStoredEvent({
      ...row,
      event_time: Number(row.event_time),
      received_at: Number(row.received_at),
    }),
  }));
}

/** An event as the log stores it. */
export type EventRow = Required<Omit<Insertable<Database['events']>, 'seq'>>;

/** Inserts events, skipping ids already stored, and returns the ids it inserted. */
const eventWriter = new BulkWriter<EventRow>(
  ['id', 'idempotency_key', 'kind', 'source', 'event_time', 'received_at', 'body_json'],
  (trx, rows) =>
    trx
      .insertInto('events')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .returning('id'),
);

/** Columns first; the JSON body leaves out what the columns already hold. */
export function toRow(event: CanonicalEvent): EventRow {
  const { id, idempotencyKey, kind, source, eventTime, receivedAt, ...body } = event;
  return {
    id,
    idempotency_key: idempotencyKey,
    kind,
    source,
    event_time: eventTime,
    received_at: receivedAt,
    body_json: JSON.stringify(body),
  };
}

/** The canonical event a stored row holds. */
export function readStoredEvent(
  row: Pick<
    Selectable<Database['events']>,
    'id' | 'idempotency_key' | 'kind' | 'source' | 'event_time' | 'received_at' | 'body_json'
  >,
): CanonicalEvent {
  const body = JSON.parse(row.body_json) as Omit<
    CanonicalEvent,
    'id' | 'idempotencyKey' | 'kind' | 'source' | 'eventTime' | 'receivedAt'
  >;
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind as CanonicalEvent['kind'],
    source: row.source as CanonicalEvent['source'],
    eventTime: row.event_time,
    receivedAt: row.received_at,
    ...body,
  };
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
