import type { Kysely } from 'kysely';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database, DeliveryStatus } from '../store/schema.ts';

/** Where one abandonment delivery of a trigger (to one destination) stands. */
export interface AbandonmentDelivery {
  status: DeliveryStatus;
  /** What came of it, as stored (JSON text: `withheld` holds a skipped send's reasons); null before any. */
  outcomeJson: string | null;
}

/** The abandonment deliveries of these triggers, by trigger id; a trigger with none has no entry. */
export async function abandonmentDeliveries(
  db: Kysely<Database>,
  triggerIds: readonly string[],
): Promise<Map<string, AbandonmentDelivery[]>> {
  const deliveries = new Map<string, AbandonmentDelivery[]>();
  for (const part of inChunks(capabilitiesOf(db), triggerIds, { otherParams: 1 })) {
    const rows = await db
      .selectFrom('deliveries')
      .select(['subject_id', 'status', 'outcome_json'])
      .where('kind', '=', 'abandonment')
      .where('subject_id', 'in', part)
      .execute();
    for (const row of rows)
      deliveries.set(row.subject_id, [
        ...(deliveries.get(row.subject_id) ?? []),
        { status: row.status, outcomeJson: row.outcome_json },
      ]);
  }
  return deliveries;
}
