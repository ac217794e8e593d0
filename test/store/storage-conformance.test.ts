import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { acquireLease, releaseLease } from '../../src/store/lease.ts';
import { migrateToLatest, pendingMigrations } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { createPostgresSchemaUrl, describeEachDialect } from '../support/dialects.ts';

describeEachDialect('storage conformance', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('applies every migration once and reports none pending', async () => {
    expect(await pendingMigrations(store)).toEqual([]);
    expect(await migrateToLatest(store)).toEqual([]);
  });

  it('names its capabilities instead of its dialect', () => {
    expect(store.capabilities.dialect).toBe(dialect.name);
    expect(store.capabilities.supportsSkipLocked).toBe(dialect.name === 'postgres');
  });

  it('keeps epoch-millisecond times as exact numbers', async () => {
    const later = Date.UTC(2099, 11, 31, 23, 59, 59, 999);
    await store.db.insertInto('leases').values({ name: 'n', holder: 'h', expires_at: later }).execute();
    const row = await store.db.selectFrom('leases').selectAll().executeTakeFirstOrThrow();
    expect(row.expires_at).toBe(later);
    expect(typeof row.expires_at).toBe('number');
  });

  it('keeps 18-digit ids and non-ASCII text exactly', async () => {
    const holder = '820982911946154508 · Zoë 😀';
    await store.db.insertInto('leases').values({ name: 'n', holder, expires_at: 1 }).execute();
    const row = await store.db.selectFrom('leases').select('holder').executeTakeFirstOrThrow();
    expect(row.holder).toBe(holder);
  });

  it('rolls a failed transaction back completely', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('leases').values({ name: 'a', holder: 'h', expires_at: 1 }).execute();
        await trx.insertInto('leases').values({ name: 'a', holder: 'h', expires_at: 1 }).execute();
      }),
    ).rejects.toThrow();
    const rows = await store.db.selectFrom('leases').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('gives a lease to one holder until it expires', async () => {
    expect(await acquireLease(store, 'processor', 'a', 1_000, 10_000)).toBe(true);
    expect(await acquireLease(store, 'processor', 'b', 1_000, 10_500)).toBe(false);
    expect(await acquireLease(store, 'processor', 'a', 1_000, 10_600)).toBe(true);
    expect(await acquireLease(store, 'processor', 'b', 1_000, 11_601)).toBe(true);
    await releaseLease(store, 'processor', 'b');
    expect(await acquireLease(store, 'processor', 'a', 1_000, 11_700)).toBe(true);
  });

  it.runIf(dialect.name === 'postgres')(
    'lets concurrent workers claim disjoint rows (skip locked)',
    async () => {
      await store.db
        .insertInto('leases')
        .values([
          { name: 'x', holder: '', expires_at: 1 },
          { name: 'y', holder: '', expires_at: 2 },
        ])
        .execute();
      let releaseFirst!: () => void;
      const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstClaimed!: (name: string) => void;
      const firstClaim = new Promise<string>((resolve) => (firstClaimed = resolve));
      const first = store.db.transaction().execute(async (trx) => {
        const rows = await sql<{
          name: string;
        }>`select name from leases order by expires_at limit 1 for update skip locked`.execute(trx);
        firstClaimed(rows.rows[0]!.name);
        await firstHolds;
      });
      const claimedByFirst = await firstClaim;
      const second = await store.db.transaction().execute(async (trx) => {
        const rows = await sql<{
          name: string;
        }>`select name from leases order by expires_at limit 1 for update skip locked`.execute(trx);
        return rows.rows[0]!.name;
      });
      releaseFirst();
      await first;
      expect([claimedByFirst, second]).toEqual(['x', 'y']);
    },
  );

  it.runIf(dialect.name === 'postgres')(
    'migrates the schema its URL’s search_path names, beside another Reclaim in the same database',
    async () => {
      // `store` already holds Reclaim's tables in its own schema; a second one must not mistake them for its own.
      const other = await createPostgresSchemaUrl();
      try {
        const second = await openStore({ url: other.url });
        try {
          expect(second.schema).toMatch(/^reclaim_test_/);
          expect((await migrateToLatest(second)).length).toBeGreaterThan(0);
          expect(await pendingMigrations(second)).toEqual([]);
          await second.db.insertInto('leases').values({ name: 'n', holder: 'h', expires_at: 1 }).execute();
          expect(await store.db.selectFrom('leases').selectAll().execute()).toEqual([]);
        } finally {
          await second.close();
        }
      } finally {
        await other.drop();
      }
    },
  );
});
