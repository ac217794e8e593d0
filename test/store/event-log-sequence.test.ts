import { Migrator } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { openStore, type Store } from '../../src/store/store.ts';

let store: Store;
afterEach(async () => store.close());

it('starts new events past the processor’s cursor on a database whose log was emptied before the upgrade', async () => {
  store = await openStore({ url: 'sqlite::memory:' });
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: 'reclaim_migrations',
    migrationLockTableName: 'reclaim_migrations_lock',
  });
  expect((await migrator.migrateTo('2026-12-01T0900-event-log-cursor')).error).toBeUndefined();
  // What a shop erasure left behind: the processor had read up to 40, the log is empty.
  await store.db.insertInto('cursors').values({ name: 'event-processor', position: 40 }).execute();
  expect((await migrator.migrateToLatest()).error).toBeUndefined();
  const row = {
    idempotency_key: 'k',
    kind: 'track',
    source: 'segment',
    event_time: 1,
    received_at: 1,
    body_json: '{}',
  };
  await store.db
    .insertInto('events')
    .values({ ...row, id: 'e1' })
    .execute();
  const [first] = await store.db.selectFrom('events').select('seq').execute();
  expect(Number(first!.seq)).toBe(41);
});
