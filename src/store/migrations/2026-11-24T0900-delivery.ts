import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('retry_from', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('delivered_at', 'bigint')
    .addColumn('last_error_json', 'text')
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('outcome_json', 'text')
    .execute();
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .columns(['destination', 'next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('deliveries_subject').on('deliveries').column('subject_id').execute();
  await db.schema.createIndex('deliveries_profile').on('deliveries').column('profile_id').execute();
  await db.schema
    .createIndex('deliveries_status')
    .on('deliveries')
    .columns(['status', 'updated_at'])
    .execute();

  await db.schema
    .createTable('destination_states')
    .addColumn('destination', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason_json', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['destination_states', 'deliveries']) await db.schema.dropTable(table).execute();
}
