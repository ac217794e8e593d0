import type { Kysely } from 'kysely';
import { triggersWithJourneys } from '../journeys/trigger-repository.ts';
import type { Database } from '../store/schema.ts';

/** A fired trigger, the journey it closed, and its delivery to one destination. */
export interface TriggerWithDelivery {
  /** The trigger as stored (`TriggerBody` as JSON text). */
  body_json: string;
  /** The journey's state (`JourneyState` as JSON text). */
  journey_state_json: string;
  /** When the journey started (event time, ms). */
  journey_started_at: number;
  /** When the destination accepted it (ms); null when it has not, or there is no delivery there. */
  delivered_at: number | null;
  /** What came of the delivery, as stored (JSON text); null before any, or with no delivery there. */
  outcome_json: string | null;
}

/** Every fired trigger with its journey and its delivery to `destination` (nulls when it has none there). */
export async function triggersWithDelivery(
  db: Kysely<Database>,
  destination: string,
): Promise<TriggerWithDelivery[]> {
  return db
    .selectFrom(triggersWithJourneys(db).as('t'))
    .leftJoin('deliveries', (join) =>
      join.onRef('deliveries.subject_id', '=', 't.id').on('deliveries.destination', '=', destination),
    )
    .select([
      't.body_json',
      't.journey_state_json',
      't.journey_started_at',
      'deliveries.delivered_at',
      'deliveries.outcome_json',
    ])
    .execute();
}
