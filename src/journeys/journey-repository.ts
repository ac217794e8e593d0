import type { Kysely, Transaction } from 'kysely';
import { BulkWriter } from '../store/bulk-writer.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import type { Journey, JourneyState } from './journey.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Open journeys, and those whose abandonment time (`due_at`, event time) is at or before `now`: both read
 * from the partial index of open journeys, for `/metrics`.
 */
export async function countOpenJourneys(db: Db, now: number): Promise<{ open: number; due: number }> {
  const row = await db
    .selectFrom('journeys')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('open'),
      eb.fn.sum<number | string | null>(eb.case().when('due_at', '<=', now).then(1).else(0).end()).as('due'),
    ])
    .where('status', '=', 'open')
    .where('due_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return { open: Number(row.open), due: Number(row.due ?? 0) };
}

export function toJourney(row: Database['journeys']): Journey {
  return {
    id: row.id,
    profileId: row.profile_id,
    status: row.status,
    stage: row.stage,
    startedAt: row.started_at,
    lastActivityAt: row.last_activity_at,
    updatedReceivedAt: row.updated_received_at,
    dueAt: row.due_at,
    outcome: row.outcome,
    triggerId: row.trigger_id,
    state: JSON.parse(row.state_json) as JourneyState,
  };
}

const journeyWriter = new BulkWriter<Database['journeys']>(
  [
    'id',
    'profile_id',
    'status',
    'stage',
    'started_at',
    'last_activity_at',
    'updated_received_at',
    'due_at',
    'outcome',
    'trigger_id',
    'state_json',
  ],
  (trx, rows) =>
    trx
      .insertInto('journeys')
      .values(rows)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          profile_id: eb.ref('excluded.profile_id'),
          status: eb.ref('excluded.status'),
          stage: eb.ref('excluded.stage'),
          started_at: eb.ref('excluded.started_at'),
          last_activity_at: eb.ref('excluded.last_activity_at'),
          updated_received_at: eb.ref('excluded.updated_received_at'),
          due_at: eb.ref('excluded.due_at'),
          outcome: eb.ref('excluded.outcome'),
          trigger_id: eb.ref('excluded.trigger_id'),
          state_json: eb.ref('excluded.state_json'),
        })),
      ),
);

export async function saveJourneys(trx: Transaction<Database>, journeys: readonly Journey[]): Promise<void> {
  await journeyWriter.write(
    trx,
    journeys.map((j) => ({
      id: j.id,
      profile_id: j.profileId,
      status: j.status,
      stage: j.stage,
      started_at: j.startedAt,
      last_activity_at: j.lastActivityAt,
      updated_received_at: j.updatedReceivedAt,
      due_at: j.dueAt,
      outcome: j.outcome,
      trigger_id: j.triggerId,
      state_json: JSON.stringify(j.state),
    })),
  );
}

/** Open journeys of these profiles. */
export async function loadOpenJourneys(db: Db, profileIds: readonly string[]): Promise<Journey[]> {
  const out: Journey[] = [];
  for (const part of inChunks(capabilitiesOf(db), profileIds, { otherParams: 1 })) {
    const rows = await db
      .selectFrom('journeys')
      .selectAll()
      .where('profile_id', 'in', part)
      .where('status', '=', 'open')
      .execute();
    out.push(...rows.map(toJourney));
  }
  return out;
}

export interface Purchase {
  orderKey: string;
  profileId: string;
  at: number;
  checkoutToken: string | null;
  cartToken: string | null;
  value: string | null;
  currency: string | null;
}

const toPurchase = (r: Database['purchases']): Purchase => ({
  orderKey: r.order_key,
  profileId: r.profile_id,
  at: r.at,
  checkoutToken: r.checkout_token,
  cartToken: r.cart_token,
  value: r.value,
  currency: r.currency,
});

export async function loadPurchases(db: Db, profileIds: readonly string[]): Promise<Purchase[]> {
  const out: Purchase[] = [];
  for (const part of inChunks(capabilitiesOf(db), profileIds)) {
    const rows = await db.selectFrom('purchases').selectAll().where('profile_id', 'in', part).execute();
    out.push(...rows.map(toPurchase));
  }
  return out;
}

/**
 * The purchases recorded at a time in `(after, until]` (event time, ms), earliest first. An order can be
 * here twice, once by its checkout and once by its order webhook (`orderKey` differs, `checkoutToken` not).
 */
export async function purchasesBetween(db: Db, after: number, until: number): Promise<Purchase[]> {
  const rows = await db
    .selectFrom('purchases')
    .selectAll()
    .where('at', '>', after)
    .where('at', '<=', until)
    .orderBy('at')
    .execute();
  return rows.map(toPurchase);
}

/**
 * Records purchases; one already recorded keeps its earliest time and takes the latest profile. The same
 * order can arrive twice in one batch (the checkout completing and the order webhook): those are folded
 * first, since one statement may not upsert a row twice (PostgreSQL refuses it).
 */
export async function savePurchases(
  trx: Transaction<Database>,
  purchases: readonly Purchase[],
): Promise<void> {
  const folded = new Map<string, Purchase>();
  for (const p of purchases) {
    const seen = folded.get(p.orderKey);
    folded.set(
      p.orderKey,
      seen
        ? {
            orderKey: p.orderKey,
            profileId: p.profileId,
            at: Math.min(seen.at, p.at),
            checkoutToken: p.checkoutToken ?? seen.checkoutToken,
            cartToken: p.cartToken ?? seen.cartToken,
            value: p.value ?? seen.value,
            currency: p.currency ?? seen.currency,
          }
        : p,
    );
  }
  for (const part of inChunks(capabilitiesOf(trx), [...folded.values()], { perValue: 7 })) {
    await trx
      .insertInto('purchases')
      .values(
        part.map((p) => ({
          order_key: p.orderKey,
          profile_id: p.profileId,
          at: p.at,
          checkout_token: p.checkoutToken,
          cart_token: p.cartToken,
          value: p.value,
          currency: p.currency,
        })),
      )
      .onConflict((oc) =>
        oc.column('order_key').doUpdateSet((eb) => ({
          profile_id: eb.ref('excluded.profile_id'),
          at: eb
            .case()
            .when('excluded.at', '<', eb.ref('purchases.at'))
            .then(eb.ref('excluded.at'))
            .else(eb.ref('purchases.at'))
            .end(),
        })),
      )
      .execute();
  }
}

/** Identifiers a trigger addresses or names the shopper by. */
export const CONTACT_IDENTIFIERS = ['email', 'phone', 'customerId', 'kx'] as const;

/** The earliest due time of an open journey, or Infinity. */
export async function nextDueAt(db: Db): Promise<number> {
  const row = await db
    .selectFrom('journeys')
    .select((eb) => eb.fn.min<number>('due_at').as('at'))
    .where('status', '=', 'open')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? Number.POSITIVE_INFINITY : Number(row.at);
}
