import type { Kysely } from 'kysely';

/**
 * The banner's anonymous counters: per UTC day and regime, how often it was shown and how visitors
 * decided. No identifier of any visitor is kept, so the dashboard's consent rates need no consent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_banner_counts')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('regime', 'text', (c) => c.notNull())
    .addColumn('impressions', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('accept_all', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reject_all', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('custom', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('consent_banner_counts_pk', ['day', 'regime'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('consent_banner_counts').execute();
}
