import type { Kysely } from 'kysely';

/** The offline access token each shop granted through the OAuth install, encrypted (`TokenCipher`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('shopify_installations')
    .addColumn('shop', 'text', (c) => c.primaryKey())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('token_encrypted', 'text', (c) => c.notNull())
    .addColumn('installed_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shopify_installations').execute();
}
