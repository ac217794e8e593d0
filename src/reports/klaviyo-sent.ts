import type { Kysely } from 'kysely';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import type { Database } from '../store/schema.ts';

/**
 * Reclaim's own count of abandonment triggers Klaviyo accepted, by stage, for triggers that fired in
 * `[from, to)`: what `reclaim klaviyo results` sets beside the recipients Klaviyo's flows report, so a
 * gap between "sent" and "entered a flow" shows.
 */
export async function klaviyoSentByStage(
  db: Kysely<Database>,
  { from, to }: { from: number; to: number },
): Promise<Record<JourneyStage, number>> {
  const rows = await db
    .selectFrom('triggers')
    .innerJoin('deliveries', 'deliveries.subject_id', 'triggers.id')
    .select(['triggers.stage as stage', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('deliveries.destination', '=', 'klaviyo')
    .where('deliveries.kind', '=', 'abandonment')
    .where('deliveries.status', '=', 'delivered')
    .where('triggers.fired_at', '>=', from)
    .where('triggers.fired_at', '<', to)
    .groupBy('triggers.stage')
    .execute();
  const sent = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<JourneyStage, number>;
  for (const row of rows) sent[row.stage] = Number(row.n);
  return sent;
}
