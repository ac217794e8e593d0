import type { Kysely } from 'kysely';

/**
 * `reclaim shopify status` asks, per shop and topic, when a webhook last arrived: with this index each
 * answer is one seek instead of a scan of every delivery ever kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('webhook_deliveries_topic')
    .on('webhook_deliveries')
    .columns(['shop', 'topic', 'received_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_topic').execute();
}
