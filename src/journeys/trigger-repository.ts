import type { Kysely } from 'kysely';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import type { TriggerBody } from './firing.ts';
import type { JourneyStage } from './journey.ts';

const DAY = 86_400_000;

/** Triggers fired so far, per stage and in all. */
export async function triggerCounts(db: Kysely<Database>): Promise<Record<JourneyStage | 'total', number>> {
  const counts = { browse: 0, cart: 0, checkout: 0, total: 0 };
  const rows = await db
    .selectFrom('triggers')
    .select(['stage', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('stage')
    .execute();
  for (const row of rows) {
    counts[row.stage] = Number(row.n);
    counts.total += Number(row.n);
  }
  return counts;
}

/** One trigger as stored, or undefined. */
export async function loadTrigger(db: Kysely<Database>, id: string): Promise<TriggerBody | undefined> {
  const row = await db.selectFrom('triggers').select('body_json').where('id', '=', id).executeTakeFirst();
  return row && (JSON.parse(row.body_json) as TriggerBody);
}

/** The triggers of these ids as stored, by id; an id whose trigger is gone (erased) has no entry. */
export async function loadTriggers(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, TriggerBody>> {
  const found = new Map<string, TriggerBody>();
  for (const part of inChunks(capabilitiesOf(db), ids)) {
    const rows = await db
      .selectFrom('triggers')
      .select(['id', 'body_json'])
      .where('id', 'in', part)
      .execute();
    for (const row of rows) found.set(row.id, JSON.parse(row.body_json) as TriggerBody);
  }
  return found;
}

/**
 * Every trigger fired in `[from, to)` (event time, ms), in firing order. Triggers fired at the same moment
 * follow their ids, so the order does not depend on how a database orders ties.
 */
export async function triggersFiredBetween(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<TriggerBody[]> {
  const rows = await db
    .selectFrom('triggers')
    .select('body_json')
    .where('fired_at', '>=', from)
    .where('fired_at', '<', to)
    .orderBy('fired_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => JSON.parse(r.body_json) as TriggerBody);
}

/** How many triggers of one stage fired on one UTC day. */
export interface TriggerDayCount {
  stage: JourneyStage;
  /** UTC day number of `fired_at`: milliseconds ÷ 86,400,000, rounded down. */
  day: number;
  count: number;
}

/** The triggers fired in `[from, to)` (event time, ms), counted per stage and UTC day by the database. */
export async function triggerCountsByDay(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<TriggerDayCount[]> {
  const rows = await db
    .selectFrom('triggers')
    .select((eb) => [
      'stage',
      eb(eb.ref('fired_at'), '/', DAY).as('day_number'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('fired_at', '>=', from)
    .where('fired_at', '<', to)
    .groupBy(['stage', 'day_number'])
    .execute();
  return rows.map((row) => ({
    stage: row.stage,
    day: Math.floor(Number(row.day_number)),
    count: Number(row.n),
  }));
}

/**
 * Fired triggers as another module may read them inside a query of its own (`.as('t')` and join it): the
 * trigger's id (a delivery's `subject_id`), its stage, and `fired_at` (event time, ms).
 */
export function firedTriggers(db: Kysely<Database>) {
  return db.selectFrom('triggers').select(['id', 'stage', 'fired_at']);
}

/**
 * Each fired trigger beside the journey it closed, as another module may read them inside a query of its
 * own: the trigger's id and stored body (`TriggerBody` as JSON text), and the journey's state
 * (`JourneyState` as JSON text) and start (event time, ms).
 */
export function triggersWithJourneys(db: Kysely<Database>) {
  return db
    .selectFrom('triggers')
    .innerJoin('journeys', 'journeys.id', 'triggers.journey_id')
    .select([
      'triggers.id as id',
      'triggers.body_json as body_json',
      'journeys.state_json as journey_state_json',
      'journeys.started_at as journey_started_at',
    ]);
}
