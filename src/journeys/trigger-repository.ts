import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { TriggerBody } from './firing.ts';
import type { JourneyStage } from './journey.ts';

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
