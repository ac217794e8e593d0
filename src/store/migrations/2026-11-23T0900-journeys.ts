import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('journeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_received_at', 'bigint', (c) => c.notNull())
    .addColumn('due_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('trigger_id', 'text')
    .addColumn('state_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('journeys_profile').on('journeys').columns(['profile_id', 'status']).execute();
  await db.schema
    .createIndex('journeys_due')
    .on('journeys')
    .column('due_at')
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema.createIndex('journeys_started').on('journeys').column('started_at').execute();

  await db.schema
    .createTable('purchases')
    .addColumn('order_key', 'text', (c) => c.primaryKey())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('checkout_token', 'text')
    .addColumn('cart_token', 'text')
    .addColumn('value', 'text')
    .addColumn('currency', 'text')
    .execute();
  await db.schema.createIndex('purchases_profile').on('purchases').column('profile_id').execute();

  await db.schema
    .createTable('triggers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('journey_id', 'text', (c) => c.notNull().unique())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('fired_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('triggers_profile')
    .on('triggers')
    .columns(['profile_id', 'fired_at'])
    .execute();
  await db.schema.createIndex('triggers_fired').on('triggers').column('fired_at').execute();

  await db.schema
    .createTable('trigger_caps')
    .addColumn('cap_key', 'text', (c) => c.primaryKey())
    .addColumn('trigger_id', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['trigger_caps', 'triggers', 'purchases', 'journeys'])
    await db.schema.dropTable(table).execute();
}
