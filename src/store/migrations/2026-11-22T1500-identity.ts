import type { Kysely } from 'kysely';
import { serialType } from './dialect.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('merged_into', 'text')
    .addColumn('counts_json', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .execute();
  await db.schema.createIndex('profiles_merged_into').on('profiles').column('merged_into').execute();

  await db.schema
    .createTable('identifiers')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('linked_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identifiers_profile').on('identifiers').column('profile_id').execute();

  await db.schema
    .createTable('identity_links')
    .addColumn('a', 'text', (c) => c.notNull())
    .addColumn('b', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('identity_links_pk', ['a', 'b'])
    .execute();
  await db.schema.createIndex('identity_links_b').on('identity_links').column('b').execute();

  await db.schema
    .createTable('identity_decisions')
    .addColumn('seq', serialType(db), (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('other_profile_id', 'text')
    .addColumn('identifier_type', 'text')
    .execute();
  await db.schema
    .createIndex('identity_decisions_profile')
    .on('identity_decisions')
    .column('profile_id')
    .execute();

  await db.schema
    .createTable('profile_events')
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('event_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_events_pk', ['profile_id', 'event_seq'])
    .execute();

  await db.schema
    .createTable('cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('erasure_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('erased_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('counts_json', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'data_exports',
    'erasure_receipts',
    'cursors',
    'profile_events',
    'identity_decisions',
    'identity_links',
    'identifiers',
    'profiles',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
