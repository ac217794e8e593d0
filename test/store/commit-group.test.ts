import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';

describe('SQLite commit group', () => {
  let dir: string;
  let store: Store;
  let reader: Store;
  const lease = (name: string) => ({ name, holder: 'h', expires_at: 1 });
  const names = async (s: Store) =>
    (await s.db.selectFrom('leases').select('name').orderBy('name').execute()).map((r) => r.name);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-group-'));
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    store = await openStore({ url });
    await migrateToLatest(store);
    reader = await openStore({ url });
  });
  afterEach(async () => {
    await reader.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each transaction all or nothing, and shows the group to others only once it commits', async () => {
    store.commitGroup!.open();
    await store.db.transaction().execute((trx) => trx.insertInto('leases').values(lease('a')).execute());
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('leases').values(lease('b')).execute();
        throw new Error('this transaction fails');
      }),
    ).rejects.toThrow('this transaction fails');
    await store.db.transaction().execute((trx) => trx.insertInto('leases').values(lease('c')).execute());

    expect(await names(store)).toEqual(['a', 'c']);
    expect(await names(reader)).toEqual([]);
    store.commitGroup!.commit();
    expect(await names(reader)).toEqual(['a', 'c']);

    // After the group, transactions commit one by one again.
    await store.db.transaction().execute((trx) => trx.insertInto('leases').values(lease('d')).execute());
    expect(await names(reader)).toEqual(['a', 'c', 'd']);
  });
});
