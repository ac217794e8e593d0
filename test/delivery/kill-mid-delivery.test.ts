import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { countRows, killWorkersMidDelivery } from '../support/kill-delivery.ts';

const SHOPPERS = 200;

describe('a worker killed while deliveries are in flight', () => {
  let dir: string;
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-kill-delivery-'));
    standIn = new KlaviyoStandIn();
    await standIn.start();
  });
  afterEach(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no trigger and creates no duplicate Klaviyo event', async () => {
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    const store = await openStore({ url });
    await migrateToLatest(store);
    // Klaviyo answers the first 60 events; then it records events but its answers never arrive, and
    // the worker is killed with those sends in flight.
    const run = await killWorkersMidDelivery({
      url,
      store,
      dir,
      standIn,
      shoppers: SHOPPERS,
      kills: 1,
      answeredPerLife: 60,
      lostAnswersPerLife: 5,
    });
    expect(run.claimedAtKill[0]).toBeGreaterThan(0);
    expect(run.lastExit).toBe(0);

    expect(await countRows(store, 'deliveries', { status: 'delivered' })).toBe(SHOPPERS);
    const triggers = await store.db.selectFrom('triggers').select('id').execute();
    expect(triggers).toHaveLength(SHOPPERS);
    for (const { id } of triggers) expect(standIn.eventsFor(id)).toHaveLength(1);
    expect(standIn.events).toHaveLength(SHOPPERS);
    // The sends whose answers were lost went again, and Klaviyo kept each event once.
    expect(standIn.duplicatesIgnored).toBeGreaterThanOrEqual(5);
    await store.close();
  }, 120_000);
});
