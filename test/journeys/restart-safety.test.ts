import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/event-log/event-log.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { abandonedCarts, countRows } from '../support/kill-delivery.ts';
import { RECLAIM_BIN } from '../support/process.ts';

const SHOPPERS = 3000;

describe('a worker killed at any point', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-restart-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('neither loses nor repeats a trigger', async () => {
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    const store = await openStore({ url });
    await migrateToLatest(store);
    await new EventLog(store).append(abandonedCarts(SHOPPERS, Date.now(), 'restart'));
    const triggers = () => countRows(store, 'triggers');

    const env = {
      PATH: process.env.PATH ?? '',
      RECLAIM_DATABASE_URL: url,
      RECLAIM_CART_AFTER: '1s',
      RECLAIM_LOG_LEVEL: 'silent',
    };
    let kills = 0;
    for (let round = 0; round < 12 && (await triggers()) < SHOPPERS; round++) {
      const child = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
      const exited = once(child, 'exit');
      // Kill at a different moment each round: while starting, processing, or firing.
      await new Promise((r) => setTimeout(r, 700 + ((round * 397) % 1500)));
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
    }
    // One last run to completion, stopped gracefully.
    const child = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
    const holdsLease = async () =>
      (await store.db
        .selectFrom('leases')
        .select('holder')
        .where('holder', 'like', `${child.pid}-%`)
        .executeTakeFirst()) !== undefined;
    // Until it holds the engine lease the worker is still starting, and a stop would find no handler yet.
    for (let waited = 0; waited < 60_000 && !(await holdsLease()); waited += 200)
      await new Promise((r) => setTimeout(r, 200));
    for (let waited = 0; waited < 60_000 && (await triggers()) < SHOPPERS; waited += 200)
      await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);

    expect(kills).toBeGreaterThan(3);
    expect(await triggers()).toBe(SHOPPERS);
    const perJourney = await store.db
      .selectFrom('triggers')
      .select(['journey_id'])
      .groupBy('journey_id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(perJourney).toEqual([]);
    const open = await store.db.selectFrom('journeys').select('id').where('status', '=', 'open').execute();
    expect(open).toEqual([]);
    await store.close();
  }, 180_000);
});
