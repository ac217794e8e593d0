import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replayFile } from '../../src/app/replay/replay.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { openStore } from '../../src/store/store.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { testConfig } from '../support/app.ts';
import { startStandIns } from '../support/delivery.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { at, ndjson, pixelLine } from '../support/replay-lines.ts';
import { scenarioEnv } from '../support/shop.ts';

type StandIns = Awaited<ReturnType<typeof startStandIns>>;
const T0 = Date.UTC(2026, 10, 4, 9);
const MIN = 60_000;
const SHOPPERS = 40;

/** Carts left by shoppers every three minutes over two hours. */
function cartLines() {
  return Array.from({ length: SHOPPERS }, (_, n) =>
    pixelLine(at(T0, n * 3), `outage-${n}`, 'product_added_to_cart', undefined, {
      customer: { id: `78100000${n}`, email: `outage${n}@shop.example` },
      cart: `cart-outage-${n}`,
    }),
  );
}

describeEachDialect('replay into a Klaviyo that is down for an hour of event time', (dialect) => {
  let standIns: StandIns;
  let store: Store;
  let dir: string;
  let clock: ManualClock;
  beforeAll(async () => {
    standIns = await startStandIns(() => clock.now());
  });
  afterAll(() => standIns.close());
  beforeEach(async () => {
    store = await dialect.open();
    dir = mkdtempSync(join(tmpdir(), 'reclaim-outage-'));
    clock = new ManualClock(T0);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every trigger exactly once after Klaviyo comes back', async () => {
    const file = join(dir, 'lines.ndjson');
    writeFileSync(file, ndjson(cartLines()));
    const outage = { from: T0 + 70 * MIN, until: T0 + 130 * MIN };
    let refused = 0;
    standIns.klaviyo.faults.down = () => {
      if (clock.now() < outage.from || clock.now() >= outage.until) return undefined;
      refused++;
      return { status: 503 };
    };
    const summary = await replayFile({
      file,
      config: testConfig({ ...scenarioEnv, ...standIns.env }),
      store,
      log: createLogger({ level: 'silent' }),
      clock,
    });
    standIns.klaviyo.faults.down = () => undefined;
    expect(summary.triggers.cart).toBe(SHOPPERS);
    expect(summary.deliveries.klaviyo).toEqual({ delivered: SHOPPERS });
    expect(refused).toBeGreaterThan(0);
    const triggers = await store.db.selectFrom('triggers').select('id').execute();
    for (const { id } of triggers) expect(standIns.klaviyo.eventsFor(id)).toHaveLength(1);
    const retried = await store.db
      .selectFrom('deliveries')
      .select('id')
      .where('destination', '=', 'klaviyo')
      .where('attempts', '>', 1)
      .execute();
    expect(retried.length).toBeGreaterThan(0);
    const last = await store.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.max('delivered_at').as('at'))
      .executeTakeFirstOrThrow();
    expect(Number(last.at)).toBeGreaterThanOrEqual(outage.until);
  });
});

describe('reclaim deliveries', () => {
  let standIns: StandIns;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(() => standIns.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-deliveries-cli-'));
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    const { code, stdout, stderr } = await cli(...argv);
    return { code, out: stdout, err: stderr };
  };

  it('lists dead letters, retries them, drops what should not go, and resumes a destination', async () => {
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    const klaviyo = {
      KLAVIYO_API_KEY: standIns.env.KLAVIYO_API_KEY,
      KLAVIYO_BASE_URL: standIns.env.KLAVIYO_BASE_URL,
    };
    Object.assign(process.env, { RECLAIM_DATABASE_URL: url, ...klaviyo });
    const file = join(dir, 'lines.ndjson');
    writeFileSync(file, ndjson(cartLines().slice(0, 3)));
    standIns.klaviyo.faults.failNext({ status: 400 }, 3);
    const store = await openStore({ url });
    await migrateToLatest(store);
    await replayFile({
      file,
      config: testConfig({ ...scenarioEnv, ...klaviyo, RECLAIM_DATABASE_URL: url }),
      store,
      log: createLogger({ level: 'silent' }),
    });
    await store.close();

    const listed = await run('deliveries', 'list', '--status', 'dead', '--json');
    expect(listed.code).toBe(0);
    const dead = JSON.parse(listed.out) as { id: string; lastError: { kind: string } }[];
    expect(dead).toHaveLength(3);
    expect(dead[0]!.lastError.kind).toBe('payload_invalid');
    expect(listed.out).not.toContain('@shop.example');

    const table = await run('deliveries', 'list');
    expect(table.out.split('\n')[0]).toBe('ID\tSTATUS\tATTEMPTS\tUPDATED\tLAST ERROR');

    expect((await run('deliveries', 'drop', dead[0]!.id)).out).toBe('1 delivery dropped\n');
    const retried = await run('deliveries', 'retry', '--all-dead', '--destination', 'klaviyo');
    expect(retried).toMatchObject({ code: 0, out: '2 deliveries queued again\n' });
    expect((await run('deliveries', 'retry', dead[0]!.id)).code).toBe(1);

    const overview = JSON.parse((await run('deliveries', 'destinations')).out);
    expect(overview.find((d: { destination: string }) => d.destination === 'klaviyo')).toMatchObject({
      status: 'active',
      deliveries: { pending: 2, dropped: 1 },
    });
    expect(await run('deliveries', 'resume', 'klaviyo')).toMatchObject({
      code: 1,
      out: 'klaviyo was not paused\n',
    });
    expect((await run('deliveries', 'list', '--status', 'lost')).code).toBe(2);
    expect((await run('deliveries', 'explode')).code).toBe(2);
  });
});
