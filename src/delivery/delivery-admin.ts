import type { Kysely } from 'kysely';
import type { JourneyStage } from '../journeys/journey.ts';
import { firedTriggers } from '../journeys/trigger-repository.ts';
import type { TriggerDetail } from '../journeys/trigger-routes.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database, DeliveryStatus } from '../store/schema.ts';
import type { DeliveryKind, RateLimit } from '../destinations/kit/destination.ts';
import { AttemptCounts, emptySummary } from './attempt-counts.ts';
import { DestinationStates } from './destination-states.ts';
import { deliveryId } from './outbox.ts';

export type { DeliveryStatus };
export const DELIVERY_STATUSES = [
  'pending',
  'delivered',
  'skipped',
  'dead',
  'dropped',
] as const satisfies readonly DeliveryStatus[];

/** One delivery as operators see it (never the payload: it can name the shopper). */
export function showDelivery(row: Database['deliveries']) {
  const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    destination: row.destination,
    kind: row.kind,
    subjectId: row.subject_id,
    profileId: row.profile_id,
    status: row.status,
    attempts: row.attempts,
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
    nextAttemptAt: row.status === 'pending' ? time(row.next_attempt_at) : null,
    deliveredAt: time(row.delivered_at),
    lastError: row.last_error_json === null ? null : (JSON.parse(row.last_error_json) as unknown),
    outcome: row.outcome_json === null ? null : (JSON.parse(row.outcome_json) as unknown),
  };
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  destination?: string;
  kind?: DeliveryKind;
  limit?: number;
}

/** Deliveries, newest first. */
export async function listDeliveries(db: Kysely<Database>, filter: DeliveryFilter = {}) {
  let query = db
    .selectFrom('deliveries')
    .selectAll()
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(Math.min(filter.limit ?? 100, 10_000));
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.destination) query = query.where('destination', '=', filter.destination);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  return (await query.execute()).map(showDelivery);
}

/**
 * Sends dead-lettered (or pending) deliveries again, now, with a fresh retry horizon. Returns the ids it
 * changed; delivered, skipped and dropped rows stay as they are.
 */
export async function retryDeliveries(
  db: Kysely<Database>,
  target: { ids: readonly string[] } | { allDead: true; destination?: string },
  now: number,
): Promise<number> {
  let query = db
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: now, retry_from: now, claimed_by: null, updated_at: now });
  if ('ids' in target) {
    if (target.ids.length === 0) return 0;
    query = query.where('id', 'in', [...target.ids]).where('status', 'in', ['dead', 'pending']);
  } else {
    query = query.where('status', '=', 'dead');
    if (target.destination) query = query.where('destination', '=', target.destination);
  }
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}

/** Gives up on pending or dead-lettered deliveries for good. */
export async function dropDeliveries(
  db: Kysely<Database>,
  ids: readonly string[],
  now: number,
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('deliveries')
    .set((eb) => ({
      status: 'dropped',
      claimed_by: null,
      updated_at: now,
      // A deletion request or a subscription change names the shopper; once dropped nothing needs it.
      payload_json: eb
        .case()
        .when('kind', 'in', ['erasure', 'subscription'])
        .then('{}')
        .else(eb.ref('payload_json'))
        .end(),
    }))
    .where('id', 'in', [...ids])
    .where('status', 'in', ['pending', 'dead'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Each destination: on or paused (and why), its deliveries by status, its send limits, and the partner's
 * answers in the hour and the day before `now`.
 */
export async function destinationOverview(
  db: Kysely<Database>,
  destinations: readonly string[],
  now: number,
  limits: Readonly<Record<string, Partial<Record<DeliveryKind, RateLimit>>>> = {},
) {
  const recent = await AttemptCounts.recent(db, now);
  const counts = await db
    .selectFrom('deliveries')
    .select(['destination', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['destination', 'status'])
    .execute();
  const names = [...new Set([...destinations, ...counts.map((c) => c.destination)])];
  return Promise.all(
    names.map(async (name) => ({
      ...(await DestinationStates.get(db, name)),
      enabled: destinations.includes(name),
      sendLimits: (Object.hasOwn(limits, name) && limits[name]) || {},
      lastHour: recent.get(name)?.lastHour ?? emptySummary(),
      last24Hours: recent.get(name)?.last24Hours ?? emptySummary(),
      deliveries: Object.fromEntries(
        counts.filter((c) => c.destination === name).map((c) => [c.status, Number(c.n)]),
      ),
    })),
  );
}

/** Where one conversion stands in the outbox. */
export interface ConversionState {
  status: string;
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
  lastError: unknown;
  outcome: unknown;
}

/** The outbox rows of these conversions (subject ids) for these destinations, by `destination:subject`. */
export async function conversionStates(
  db: Kysely<Database>,
  destinations: readonly string[],
  subjectIds: readonly string[],
): Promise<Map<string, ConversionState>> {
  const found = new Map<string, ConversionState>();
  const ids = destinations.flatMap((d) => subjectIds.map((s) => deliveryId(d, 'conversion', s)));
  for (const part of inChunks(capabilitiesOf(db), ids)) {
    const rows = await db
      .selectFrom('deliveries')
      .select(['destination', 'subject_id', 'status', 'attempts', 'created_at', 'delivered_at'])
      .select(['last_error_json', 'outcome_json'])
      .where('id', 'in', part)
      .execute();
    for (const row of rows)
      found.set(`${row.destination}:${row.subject_id}`, {
        status: row.status,
        attempts: row.attempts,
        createdAt: Number(row.created_at),
        deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
        lastError: row.last_error_json === null ? null : (JSON.parse(row.last_error_json) as unknown),
        outcome: row.outcome_json === null ? null : (JSON.parse(row.outcome_json) as unknown),
      });
  }
  return found;
}

/** Delivery state per destination, for each trigger the admin API shows. */
export const deliveryDetail: TriggerDetail = async (db, triggerIds) => {
  const found = new Map<string, Record<string, unknown>>();
  for (const part of inChunks(capabilitiesOf(db), triggerIds, { otherParams: 1 })) {
    const rows = await db
      .selectFrom('deliveries')
      .selectAll()
      .where('kind', '=', 'abandonment')
      .where('subject_id', 'in', part)
      .execute();
    for (const row of rows) {
      const entry = found.get(row.subject_id) ?? { deliveries: {} };
      const { id, status, attempts, deliveredAt, nextAttemptAt, lastError, outcome } = showDelivery(row);
      (entry.deliveries as Record<string, unknown>)[row.destination] = {
        id,
        status,
        attempts,
        deliveredAt,
        nextAttemptAt,
        lastError,
        outcome,
      };
      found.set(row.subject_id, entry);
    }
  }
  for (const id of triggerIds) if (!found.has(id)) found.set(id, { deliveries: {} });
  return found;
};

/** Deliveries per destination and status. */
export async function deliveryCounts(db: Kysely<Database>): Promise<Record<string, Record<string, number>>> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['destination', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['destination', 'status'])
    .execute();
  const byDestination = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const statuses = byDestination.get(row.destination) ?? {};
    statuses[row.status] = Number(row.n);
    byDestination.set(row.destination, statuses);
  }
  return Object.fromEntries(byDestination);
}

/** The id of the first trigger of `stage` delivered to a destination, by firing time: a sample to show. */
export async function firstDeliveredTrigger(
  db: Kysely<Database>,
  stage: JourneyStage,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .innerJoin(firedTriggers(db).as('t'), 't.id', 'deliveries.subject_id')
    .select('t.id')
    .where('deliveries.status', '=', 'delivered')
    .where('t.stage', '=', stage)
    .orderBy('t.fired_at')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
