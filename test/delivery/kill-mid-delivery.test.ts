import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../src/ingest/canonical-event.ts';
import { EventLog, eventIdFor } from '../../src/ingest/event-log.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { RECLAIM_BIN } from '../support/process.ts';

const SHOPPERS = 200;

/** Cart adds an hour old: every journey is due as soon as the worker processes it. */
function cartEvents(now: number): CanonicalEvent[] {
  return Array.from({ length: SHOPPERS }, (_, n) => {
    const key = `kill-delivery:${n}`;
    const time = now - 3_600_000 + n;
    return {
      id: eventIdFor(key, time),
      kind: 'cart_add',
      source: 'segment',
      name: 'Product Added',
      idempotencyKey: key,
      eventTime: time,
      receivedAt: time,
      ids: { anonymousId: `anon-${n}`, cartToken: `cart-${n}`, email: `killed${n}@shop.example` },
      context: { geo: { country: 'US' } },
      commerce: {
        lines: [{ productId: 'p1', title: 'Tee', price: '10.00', quantity: 1 }],
        value: '10.00',
        currency: 'USD',
      },
    };
  });
}

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
    await new EventLog(store).append(cartEvents(Date.now()));
    const configFile = join(dir, 'reclaim.json');
    // Single events (no bulk), and claims that run out quickly after the kill.
    writeFileSync(
      configFile,
      JSON.stringify({ klaviyo: { bulkBacklog: 1_000_000 }, delivery: { claimTimeout: '2s' } }),
    );
    const env = {
      PATH: process.env.PATH ?? '',
      RECLAIM_DATABASE_URL: url,
      RECLAIM_CONFIG: configFile,
      RECLAIM_CART_AFTER: '1s',
      RECLAIM_LOG_LEVEL: 'silent',
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: standIn.url,
    };
    // Klaviyo answers the first 60 events; then it records events but its answers never arrive, and
    // the worker is killed with those sends in flight.
    let hung = 0;
    standIn.faults.down = () => {
      if (standIn.events.length < 60) return undefined;
      hung++;
      return { hang: true, processed: true };
    };
    const first = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
    for (let waited = 0; waited < 60_000 && hung < 5; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(hung).toBeGreaterThanOrEqual(5);
    const claimed = await store.db
      .selectFrom('deliveries')
      .select('id')
      .where('claimed_by', 'is not', null)
      .execute();
    expect(claimed.length).toBeGreaterThan(0);

    standIn.faults.down = () => undefined;
    const second = spawn(process.execPath, [RECLAIM_BIN, 'worker'], { env, stdio: 'ignore' });
    const delivered = async () =>
      Number(
        (
          await store.db
            .selectFrom('deliveries')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '=', 'delivered')
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (let waited = 0; waited < 60_000 && (await delivered()) < SHOPPERS; waited += 200)
      await new Promise((r) => setTimeout(r, 200));
    second.kill('SIGTERM');
    expect((await once(second, 'exit'))[0]).toBe(0);

    expect(await delivered()).toBe(SHOPPERS);
    const triggers = await store.db.selectFrom('triggers').select('id').execute();
    expect(triggers).toHaveLength(SHOPPERS);
    for (const { id } of triggers) expect(standIn.eventsFor(id)).toHaveLength(1);
    expect(standIn.events).toHaveLength(SHOPPERS);
    // The sends whose answers were lost went again, and Klaviyo kept each event once.
    expect(standIn.duplicatesIgnored).toBeGreaterThanOrEqual(5);
    await store.close();
  }, 120_000);
});
