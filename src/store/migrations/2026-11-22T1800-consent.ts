import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_ledger')
    .addColumn('position', 'bigint', (c) => c.primaryKey())
    .addColumn('record_id', 'text', (c) => c.notNull().unique())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('record_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('consent_chain')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('consent_subjects')
    .addColumn('record_id', 'text', (c) => c.primaryKey())
    .addColumn('subject_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('consent_subject_index')
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_subject_index_pk', ['subject_key', 'record_id'])
    .execute();
  await db.schema
    .createTable('consent_states')
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull())
    .addColumn('state_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_states_pk', ['subject_key', 'permission'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'consent_states',
    'consent_subject_index',
    'consent_subjects',
    'consent_chain',
    'consent_ledger',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
