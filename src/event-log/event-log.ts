import type { Expression, Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { BulkWriter } from '../store/bulk-writer.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
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
export async function orderEvents(db: Kysely<Database>, from: number, to: number): Promise<LoggedEvent[]> {
  const rows = await storedEvents(db)
    .where('kind', '=', 'order_completed')
    .where('event_time', '>=', from)
    .where('event_time', '<', to)
    .orderBy('event_time')
    .orderBy('seq')
    .execute();
  return rows.map(toLogged);
}

/** An event as read from the log: its sequence number and its canonical form. */
export interface LoggedEvent {
  seq: number;
  event: CanonicalEvent;
}

const toLogged = (row: Selectable<Database['events']>): LoggedEvent => ({
  seq: row.seq,
  event: readStoredEvent(row),
});

/**
 * The log's rows with every column of a stored event (`readStoredEvent` reads them): the select another
 * module joins to, in the same statement, when its own table points at events by `seq`.
 */
export function storedEvents(db: Kysely<Database>) {
  return db
    .selectFrom('events')
    .select(['seq', 'id', 'idempotency_key', 'kind', 'source', 'event_time', 'received_at', 'body_json']);
}

/**
 * A position of the log to read after: a sequence number, or an expression the same statement evaluates
 * (a consumer's cursor, read in the statement that reads the log after it).
 */
export type LogPosition = number | Expression<number>;

/** Up to `limit` events after `position`, in log order, each with its sequence number. */
export async function eventsAfter(
  db: Kysely<Database>,
  position: LogPosition,
  limit: number,
): Promise<LoggedEvent[]> {
  const rows = await storedEvents(db).where('seq', '>', position).orderBy('seq').limit(limit).execute();
  return rows.map(toLogged);
}

/** Receive time (epoch ms) of the first event after `position`, or undefined when none follows it. */
export async function firstReceivedAfter(
  db: Kysely<Database>,
  position: LogPosition,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select('received_at')
    .where('seq', '>', position)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.received_at);
}

/** The sequence number of the newest stored event, or undefined while the log is empty. */
export async function lastSeq(db: Kysely<Database>): Promise<number | undefined> {
  const head = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max<number | string | null>('seq').as('seq'))
    .executeTakeFirst();
  return head?.seq == null ? undefined : Number(head.seq);
}

/** Which stored events `newestEvents` reads. */
export interface NewestEventsFilter {
  /** Only events after this sequence number. */
  after?: number;
  limit: number;
  source?: string;
  kind?: string;
}

/** The newest stored events that pass `filter`, newest first, each with its sequence number. */
export async function newestEvents(db: Kysely<Database>, filter: NewestEventsFilter): Promise<LoggedEvent[]> {
  let q = storedEvents(db).orderBy('seq', 'desc').limit(filter.limit);
  if (filter.after !== undefined) q = q.where('seq', '>', filter.after);
  if (filter.source) q = q.where('source', '=', filter.source);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  const rows = await q.execute();
  return rows.map(toLogged);
}

/**
 * Replaces the stored body of event `id`, in the caller's transaction: an erasure scrubs the request that
 * named the shopper. The columns (kind, source, times) stay.
 */
export async function rewriteEventBody(
  trx: Transaction<Database>,
  id: string,
  body: StoredEventBody,
): Promise<void> {
  await trx
    .updateTable('events')
    .set({ body_json: JSON.stringify(body) })
    .where('id', '=', id)
    .execute();
}

/** Deletes the events at these sequence numbers, in the caller's transaction; returns how many it deleted. */
export async function deleteEvents(trx: Transaction<Database>, seqs: readonly number[]): Promise<number> {
  let deleted = 0;
  for (const part of inChunks(capabilitiesOf(trx), seqs)) {
    deleted += Number(
      (await trx.deleteFrom('events').where('seq', 'in', part).executeTakeFirst()).numDeletedRows,
    );
  }
  return deleted;
}

/**
 * Deletes every event and every anonymous count (`shop/redact`), in the caller's transaction; returns how
 * many rows of each it deleted, by table.
 */
export async function deleteWholeLog(
  trx: Transaction<Database>,
): Promise<{ events: number; anonymous_counts: number }> {
  const events = await trx.deleteFrom('events').executeTakeFirst();
  const counts = await trx.deleteFrom('anonymous_counts').executeTakeFirst();
  return { events: Number(events.numDeletedRows), anonymous_counts: Number(counts.numDeletedRows) };
}

/**
 * Behaviour counted without identifiers (no tracking consent) on the UTC days `fromDay` to `toDay`, both
 * included (`YYYY-MM-DD`): events per kind, all reasons together.
 */
export async function anonymousCountsByKind(
  db: Kysely<Database>,
  fromDay: string,
  toDay: string,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('anonymous_counts')
    .select(['kind', (eb) => eb.fn.sum<number>('count').as('n')])
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .groupBy('kind')
    .execute();
  return new Map(rows.map((row) => [row.kind, Number(row.n)]));
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

/** What an event's stored JSON holds: the canonical event less what the columns hold. */
export type StoredEventBody = Omit<
  CanonicalEvent,
  'id' | 'idempotencyKey' | 'kind' | 'source' | 'eventTime' | 'receivedAt'
>;

/** The canonical event a stored row holds. */
export function readStoredEvent(
  row: Pick<
    Selectable<Database['events']>,
    'id' | 'idempotency_key' | 'kind' | 'source' | 'event_time' | 'received_at' | 'body_json'
  >,
): CanonicalEvent {
  const body = JSON.parse(row.body_json) as StoredEventBody;
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
