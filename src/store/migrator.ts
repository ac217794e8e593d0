import { Migrator, type MigrationResultSet } from 'kysely';
import type { Store } from './store.ts';
import { MIGRATIONS } from './migrations/index.ts';

function migrator(store: Pick<Store, 'db' | 'schema'>): Migrator {
  return new Migrator({
    db: store.db,
    // Kysely looks migration tables up by name across schemas; name ours, so two schemas never mix
    // (a schema given to Reclaim, or one its URL's search_path picks).
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: 'reclaim_migrations',
    migrationLockTableName: 'reclaim_migrations_lock',
  });
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Applies every migration not yet applied; returns the names it applied. */
export async function migrateToLatest(store: Pick<Store, 'db' | 'schema'>): Promise<string[]> {
  const result: MigrationResultSet = await migrator(store).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const reason = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new MigrationError(`migration ${failed} failed: ${reason}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations this build knows but the database has not applied. */
export async function pendingMigrations(store: Pick<Store, 'db' | 'schema'>): Promise<string[]> {
  const all = await migrator(store).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
