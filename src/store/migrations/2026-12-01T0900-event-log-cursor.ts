import { sql, type Kysely } from 'kysely';

/**
 * The event processor follows the log with a cursor (`cursors`), so the per-event `processed` flag and
 * its index were never read — yet every append wrote an index entry. Both go.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('events_pending').execute();
  await db.schema.alterTable('events').dropColumn('processed').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('events')
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('events_pending')
    .on('events')
    .column('seq')
    .where(sql.ref('processed'), '=', 0)
    .execute();
}
