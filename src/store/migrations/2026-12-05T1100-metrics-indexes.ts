import type { Kysely } from 'kysely';

/**
 * `/metrics` counts the outbox rows waiting and dead-lettered per destination at every scrape: with this
 * index that count reads only those rows' index entries, not the delivered rows that pile up for ever.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('deliveries_state_destination')
    .on('deliveries')
    .columns(['status', 'destination'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deliveries_state_destination').execute();
}
