import type { Kysely } from 'kysely';
import { serialType } from './dialect.ts';

/** Scheduled consent scans of the store's pages (`RECLAIM_SCAN_URLS`), newest read first. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scans')
    .addColumn('id', serialType(db), (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('urls_json', 'text', (c) => c.notNull())
    .addColumn('violations', 'integer', (c) => c.notNull())
    .addColumn('results_json', 'text', (c) => c.notNull())
    .addColumn('changes_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scans_started').on('scans').column('started_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scans').execute();
}
