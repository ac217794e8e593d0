import type { Kysely } from 'kysely';
import { deliveredByStage } from '../delivery/delivered-by-stage.ts';
import type { JourneyStage } from '../journeys/journey.ts';
import type { Database } from '../store/schema.ts';

/**
 * Reclaim's own count of abandonment triggers Klaviyo accepted, by stage, for triggers that fired in
 * `[from, to)`: what `reclaim klaviyo results` sets beside the recipients Klaviyo's flows report, so a
 * gap between "sent" and "entered a flow" shows.
 */
export async function klaviyoSentByStage(
  db: Kysely<Database>,
  period: { from: number; to: number },
): Promise<Record<JourneyStage, number>> {
  return deliveredByStage(db, 'klaviyo', period);
}
