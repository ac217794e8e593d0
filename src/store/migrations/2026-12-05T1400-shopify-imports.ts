import type { Kysely } from 'kysely';

/**
 * One row per `reclaim shopify import` run: which export it is on, the bulk operation behind it, and how
 * many lines of that export are stored, so a run that stops resumes where it stopped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('shopify_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shop', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('days', 'integer', (c) => c.notNull())
    .addColumn('since', 'bigint', (c) => c.notNull())
    .addColumn('export', 'text', (c) => c.notNull())
    .addColumn('bulk_operation_id', 'text')
    .addColumn('lines_done', 'bigint', (c) => c.notNull())
    .addColumn('counts_json', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('shopify_imports_shop')
    .on('shopify_imports')
    .columns(['shop', 'started_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shopify_imports').execute();
}
