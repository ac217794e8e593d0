import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Journeys the store's rules held back (one trigger per cart or checkout, the browse cap, a recent
 * purchase) whose last activity fell in `[from, to)` (event time, ms), counted by `outcome` (`unknown`
 * where none was recorded).
 */
export async function suppressedJourneys(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<Record<string, number>> {
  const suppressed: Record<string, number> = {};
  const rows = await db
    .selectFrom('journeys')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    // A literal, so either database may read the partial index of suppressed journeys.
    .where('status', '=', sql.lit('suppressed'))
    .where('last_activity_at', '>=', from)
    .where('last_activity_at', '<', to)
    .groupBy('outcome')
    .execute();
  for (const row of rows) suppressed[row.outcome ?? 'unknown'] = Number(row.n);
  return suppressed;
}
