import type { Kysely } from 'kysely';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import type { Database } from '../store/schema.ts';

const DAY = 86_400_000;

/** Abandonments (fired triggers) per UTC day and stage: the overview's "episodes by stage" chart. */
export interface StageDays {
  from: string;
  to: string;
  days: ({ day: string } & Record<JourneyStage, number>)[];
}

/**
 * Counted in the database, grouped by day and stage, so the answer costs one indexed range scan of the
 * triggers however many there are. Days follow the gap report's: the trigger's `fired_at`, in UTC.
 */
export async function stageDays(db: Kysely<Database>, from: number, to: number): Promise<StageDays> {
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
  const days = new Map<number, { day: string } & Record<JourneyStage, number>>();
  for (let d = Math.floor(from / DAY); d * DAY < to; d++) {
    const empty = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<JourneyStage, number>;
    days.set(d, { day: new Date(d * DAY).toISOString().slice(0, 10), ...empty });
  }
  for (const row of rows) {
    const day = days.get(Math.floor(Number(row.day_number)));
    const stage = STAGES.find((s) => s === row.stage);
    if (day && stage) day[stage] += Number(row.n);
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days: [...days.values()] };
}
