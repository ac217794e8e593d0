import type { Kysely } from 'kysely';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { firedTriggers } from '../journeys/trigger-repository.ts';
import type { Database } from '../store/schema.ts';

/**
 * Abandonment triggers fired in `[from, to)` (event time, ms) that `destination` accepted (delivery
 * `delivered`), counted by stage; a stage without any counts 0.
 */
export async function deliveredByStage(
  db: Kysely<Database>,
  destination: string,
  { from, to }: { from: number; to: number },
): Promise<Record<JourneyStage, number>> {
  const rows = await db
    .selectFrom(firedTriggers(db).as('t'))
    .innerJoin('deliveries', 'deliveries.subject_id', 't.id')
    .select(['t.stage as stage', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('deliveries.destination', '=', destination)
    .where('deliveries.kind', '=', 'abandonment')
    .where('deliveries.status', '=', 'delivered')
    .where('t.fired_at', '>=', from)
    .where('t.fired_at', '<', to)
    .groupBy('t.stage')
    .execute();
  const sent = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<JourneyStage, number>;
  for (const row of rows) sent[row.stage] = Number(row.n);
  return sent;
}
