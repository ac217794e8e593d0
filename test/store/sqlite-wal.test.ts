import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';

describe('SQLite write-ahead log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stays bounded under sustained writes that never yield to the event loop', async () => {
    const path = join(dir, 'r.sqlite');
    const store = await openStore({ url: `sqlite:${path}` });
    await migrateToLatest(store);
    const holder = 'x'.repeat(1000);
    let largest = 0;
    // About 200 MiB of rows in back-to-back transactions: no timer gets a turn in between.
    for (let round = 0; round < 400; round++) {
      await store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 5; i++)
          await trx
            .insertInto('leases')
            .values(
              Array.from({ length: 100 }, (_, j) => ({ name: `${round}-${i}-${j}`, holder, expires_at: 1 })),
            )
            .execute();
      });
      largest = Math.max(largest, statSync(`${path}-wal`).size);
    }
    const rows = await store.db
      .selectFrom('leases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(200_000);
    await store.close();
    expect(largest).toBeLessThan(128 * 2 ** 20);
    expect(statSync(path).size).toBeGreaterThan(150 * 2 ** 20);
    expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
  });
});
