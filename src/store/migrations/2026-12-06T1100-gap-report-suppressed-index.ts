import { sql, type Kysely } from 'kysely';

/**
 * The gap report counts the journeys suppressed in its period, by why: this index holds only suppressed
 * journeys, so the count reads them alone rather than every journey's row, and costs no write to the
 * journeys that are never suppressed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('journeys_suppressed')
    .on('journeys')
    .columns(['last_activity_at', 'outcome'])
    .where(sql.ref('status'), '=', sql.lit('suppressed'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('journeys_suppressed').execute();
}
