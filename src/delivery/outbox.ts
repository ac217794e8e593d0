import type { Kysely, Transaction } from 'kysely';
import type { SubscriptionChange } from '../consent/subscription-change.ts';
import type { Conversion, DeliveryKind, ErasureRequest } from '../destinations/kit/destination.ts';
import { BulkWriter } from '../store/bulk-writer.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { AttemptCounts, type Attempt } from './attempt-counts.ts';

type Row = Database['deliveries'];

/** Outbox payload of an abandonment delivery: the trigger it sends. */
export interface AbandonmentPayload {
  triggerId: string;
}

/** What an outbox row carries, by its kind. */
export type OutboxPayload =
  | { kind: 'abandonment'; payload: AbandonmentPayload }
  | { kind: 'conversion'; payload: Conversion }
  | { kind: 'erasure'; payload: ErasureRequest }
  | { kind: 'subscription'; payload: SubscriptionChange };

/** Something to deliver, as the code that produced it hands it over. */
export type DeliveryDraft = {
  destination: string;
  subjectId: string;
  profileId?: string;
  /** Due now unless given (ms). */
  dueAt?: number;
  outcome?: unknown;
} & (
  | (OutboxPayload & {
      /** `skipped`: recorded for the operator, never sent. */
      status?: 'pending' | 'skipped';
    })
  /** A purchase a destination may not receive, kept with its reason for the accuracy report. */
  | { kind: 'conversion'; payload: Record<string, never>; status: 'skipped' }
);

/** A row a worker holds until its claim ends. */
export type ClaimedDelivery = {
  id: string;
  destination: string;
  subjectId: string;
  profileId: string | null;
  attempts: number;
  /** Start of its retry horizon. */
  retryFrom: number;
} & OutboxPayload;

/** How a claimed row ends up after an attempt. */
export type Settlement =
  /** `forget`: the payload named a person and is no longer needed (a deletion request). */
  | { id: string; status: 'delivered'; outcome: unknown; forget?: boolean }
  | { id: string; status: 'skipped'; outcome: unknown }
  | { id: string; status: 'dead'; error: unknown; attempted: boolean }
  | { id: string; status: 'retry'; at: number; error: unknown }
  /** Not sent and not an attempt: due again at `at` (quiet hours, a paused destination). */
  | { id: string; status: 'later'; at: number; outcome?: unknown };

export const deliveryId = (destination: string, kind: DeliveryKind, subjectId: string) =>
  `${destination}:${kind}:${subjectId}`;

const COLUMNS = [
  'id',
  'destination',
  'kind',
  'subject_id',
  'profile_id',
  'status',
  'attempts',
  'created_at',
  'updated_at',
  'next_attempt_at',
  'retry_from',
  'claimed_by',
  'delivered_at',
  'last_error_json',
  'payload_json',
  'outcome_json',
] as const satisfies readonly (keyof Row)[];

const writer = new BulkWriter<Row>(COLUMNS, (trx, rows) =>
  trx
    .insertInto('deliveries')
    .values(rows)
    .onConflict((oc) => oc.column('id').doNothing()),
);

/**
 * The delivery outbox. Rows are written in the transaction that produced them (a fired trigger, a
 * processed event, an erasure), so nothing acknowledged can be lost between deciding to send and
 * sending. Workers claim due rows — on PostgreSQL with `SKIP LOCKED`, so several share the work — and
 * hold them until `claimTimeout`: a worker killed mid-send leaves its rows to be claimed again, and the
 * partner's idempotency key makes the second send harmless.
 */
export class Outbox {
  constructor(private readonly store: Store) {}

  /**
   * Rows waiting to be sent and rows dead-lettered, per destination, for `/metrics`. Delivered and skipped
   * rows, which accumulate for ever, are not read: the `(status, destination)` index covers the query.
   */
  static async depth(
    db: Kysely<Database>,
  ): Promise<{ destination: string; state: 'pending' | 'dead'; rows: number }[]> {
    const rows = await db
      .selectFrom('deliveries')
      .select((eb) => ['status', 'destination', eb.fn.countAll<number | string>().as('rows')])
      .where('status', 'in', ['pending', 'dead'])
      .groupBy(['status', 'destination'])
      .execute();
    return rows.map((r) => ({
      destination: r.destination,
      state: r.status as 'pending' | 'dead',
      rows: Number(r.rows),
    }));
  }

  /** Adds rows; a row that already exists (same destination, kind and subject) is left as it is. */
  static async enqueue(trx: Transaction<Database>, drafts: readonly DeliveryDraft[], now: number) {
    if (drafts.length === 0) return;
    await writer.write(
      trx,
      drafts.map((d) => ({
        id: deliveryId(d.destination, d.kind, d.subjectId),
        destination: d.destination,
        kind: d.kind,
        subject_id: d.subjectId,
        profile_id: d.profileId ?? null,
        status: d.status ?? 'pending',
        attempts: 0,
        created_at: now,
        updated_at: now,
        next_attempt_at: d.dueAt ?? now,
        retry_from: now,
        claimed_by: null,
        delivered_at: null,
        last_error_json: null,
        payload_json: JSON.stringify(d.payload),
        outcome_json: d.outcome === undefined ? null : JSON.stringify(d.outcome),
      })),
    );
  }

  /** Takes up to `limit` rows of `destination` that are due at `now`, for `holder`, until `now + ttl`. */
  async claim(
    destination: string,
    now: number,
    limit: number,
    holder: string,
    ttl: number,
  ): Promise<ClaimedDelivery[]> {
    return this.store.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('deliveries')
        .select([
          'id',
          'destination',
          'kind',
          'subject_id',
          'profile_id',
          'attempts',
          'retry_from',
          'payload_json',
        ])
        .where('destination', '=', destination)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit);
      if (this.store.capabilities.supportsSkipLocked) query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      for (const part of inChunks(
        this.store.capabilities,
        rows.map((r) => r.id),
        { otherParams: 2 },
      )) {
        await trx
          .updateTable('deliveries')
          .set({ claimed_by: holder, next_attempt_at: now + ttl })
          .where('id', 'in', part)
          .execute();
      }
      return rows.map((r): ClaimedDelivery => ({
        id: r.id,
        destination: r.destination,
        subjectId: r.subject_id,
        profileId: r.profile_id,
        attempts: r.attempts,
        retryFrom: r.retry_from,
        // Written by `enqueue` from a draft of the same kind; the one place a row's payload is decoded.
        ...({ kind: r.kind, payload: JSON.parse(r.payload_json) as unknown } as OutboxPayload),
      }));
    });
  }

  /**
   * Records what happened to claimed rows, in one transaction. A row is only changed while `holder` still
   * holds it: if its claim ran out and another worker took it, that worker's outcome counts. `attempt`,
   * the request these rows went out in, is counted in the same transaction.
   */
  async settle(
    holder: string,
    settlements: readonly Settlement[],
    now: number,
    attempt?: { destination: string } & Attempt,
  ): Promise<void> {
    if (settlements.length === 0 && !attempt) return;
    // Rows that end the same way are updated together.
    const groups = new Map<string, { set: Partial<Row>; attempted: boolean; ids: string[] }>();
    for (const s of settlements) {
      const { set, attempted } = changesFor(s, now);
      const key = JSON.stringify([set, attempted]);
      const group = groups.get(key) ?? { set, attempted, ids: [] };
      group.ids.push(s.id);
      groups.set(key, group);
    }
    await this.store.db.transaction().execute(async (trx) => {
      if (attempt) await AttemptCounts.add(trx, attempt.destination, attempt, now);
      for (const { set, attempted, ids } of groups.values()) {
        const otherParams = Object.keys(set).length + 4;
        for (const part of inChunks(this.store.capabilities, ids, { otherParams })) {
          await trx
            .updateTable('deliveries')
            .set((eb) => ({
              ...set,
              claimed_by: null,
              updated_at: now,
              ...(attempted && { attempts: eb('attempts', '+', 1) }),
            }))
            .where('id', 'in', part)
            .where('claimed_by', '=', holder)
            .execute();
        }
      }
    });
  }

  /** Hands every row `holder` still holds back, due at `now` (shutdown, a paused destination). */
  async release(holder: string, now: number): Promise<void> {
    await this.store.db
      .updateTable('deliveries')
      .set({ claimed_by: null, next_attempt_at: now })
      .where('claimed_by', '=', holder)
      .where('status', '=', 'pending')
      .execute();
  }

  /** The earliest time a pending row of these destinations is due, if any. */
  async nextDueAt(destinations: readonly string[]): Promise<number | undefined> {
    if (destinations.length === 0) return undefined;
    const row = await this.store.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min<number>('next_attempt_at').as('at'))
      .where('status', '=', 'pending')
      .where('destination', 'in', destinations)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }
}

function changesFor(s: Settlement, now: number): { set: Partial<Row>; attempted: boolean } {
  switch (s.status) {
    case 'delivered':
      return {
        set: {
          status: 'delivered',
          delivered_at: now,
          outcome_json: JSON.stringify(s.outcome),
          ...(s.forget && { payload_json: '{}' }),
        },
        attempted: true,
      };
    case 'skipped':
      return { set: { status: 'skipped', outcome_json: JSON.stringify(s.outcome) }, attempted: false };
    case 'dead':
      return { set: { status: 'dead', last_error_json: JSON.stringify(s.error) }, attempted: s.attempted };
    case 'retry':
      return { set: { next_attempt_at: s.at, last_error_json: JSON.stringify(s.error) }, attempted: true };
    case 'later':
      return {
        set: {
          next_attempt_at: s.at,
          ...(s.outcome !== undefined && { outcome_json: JSON.stringify(s.outcome) }),
        },
        attempted: false,
      };
  }
}
