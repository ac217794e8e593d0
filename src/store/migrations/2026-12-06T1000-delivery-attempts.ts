import type { Kysely } from 'kysely';

/**
 * Partner answers per destination, minute and outcome, so the dashboard shows rates and refusals after a
 * restart; and order events by kind and time, so the accuracy report reads a period's orders only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delivery_attempt_counts')
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('deliveries', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('delivery_attempt_counts_pk', ['minute', 'destination', 'outcome', 'status'])
    .execute();
  await db.schema.createIndex('events_kind_time').on('events').columns(['kind', 'event_time']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('events_kind_time').execute();
  await db.schema.dropTable('delivery_attempt_counts').execute();
}
