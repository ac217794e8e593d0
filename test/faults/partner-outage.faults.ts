import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/event-log/event-log.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { abandonedCarts, countRows } from '../support/kill-delivery.ts';
import { RECLAIM_BIN } from '../support/process.ts';
import { figure, report } from '../support/fault-report.ts';
import { until } from '../support/wait.ts';

const SHOPPERS = 100;
/** Seconds Klaviyo's 429 answers ask Reclaim to wait. */
const RETRY_AFTER = 3;
/** The shortest wait before the first retry of a 5xx (half of the 30 s ceiling: `retryDelay`). */
const FIRST_RETRY_MIN = 15_000;

describe('Klaviyo down (503), then throttling (429 with Retry-After), then back', () => {
  let dir: string;
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-partner-outage-'));
    standIn = new KlaviyoStandIn({ keptRequests: 100_000 });
    await standIn.start();
  });
  afterEach(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delays every delivery as the partner asks, and loses and repeats none', async () => {
    const startedAt = Date.now();
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    const store = await openStore({ url });
    await migrateToLatest(store);
    await new EventLog(store).append(abandonedCarts(SHOPPERS, Date.now(), 'outage'));
    const configFile = join(dir, 'reclaim.json');
    writeFileSync(configFile, JSON.stringify({ klaviyo: { bulkBacklog: 1_000_000 } }));

    /** Unique ids of the triggers Klaviyo has answered with `status`, so far. */
    const answered = (status: number) =>
      new Set(standIn.requests.filter((r) => r.status === status).map((r) => uniqueIdOf(r.body)));
    // The windows end when every trigger has met them, not after a time: a slow machine only makes
    // them longer.
    let window: 'outage' | 'throttled' | 'open' = 'outage';
    standIn.faults.down = () =>
      window === 'outage'
        ? { status: 503 }
        : window === 'throttled'
          ? { status: 429, retryAfter: RETRY_AFTER }
          : undefined;

    const worker = spawn(process.execPath, [RECLAIM_BIN, 'worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        RECLAIM_DATABASE_URL: url,
        RECLAIM_CONFIG: configFile,
        RECLAIM_CART_AFTER: '1s',
        RECLAIM_LOG_LEVEL: 'silent',
        KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
        KLAVIYO_BASE_URL: standIn.url,
      },
      stdio: 'ignore',
    });
    const exited = once(worker, 'exit');
    try {
      await until(() => answered(503).size === SHOPPERS, 'every trigger met the outage', 180_000);
      window = 'throttled';
      await until(() => answered(429).size === SHOPPERS, 'every trigger met the throttling', 180_000);
      window = 'open';
      await until(
        async () => (await countRows(store, 'deliveries', { status: 'delivered' })) === SHOPPERS,
        'every trigger delivered',
        180_000,
      );
    } finally {
      worker.kill('SIGTERM');
    }
    expect(((await exited) as [number | null])[0]).toBe(0);

    const triggers = await store.db.selectFrom('triggers').select('id').execute();
    expect(triggers).toHaveLength(SHOPPERS);
    expect(triggers.map(({ id }) => standIn.eventsFor(id).length).filter((n) => n !== 1)).toEqual([]);
    expect(standIn.events).toHaveLength(SHOPPERS);
    expect(standIn.duplicatesIgnored).toBe(0);
    const deliveries = await store.db.selectFrom('deliveries').select(['status', 'attempts']).execute();
    expect(deliveries.filter((d) => d.status !== 'delivered' || d.attempts < 3)).toEqual([]);

    // Each trigger's requests, in the order Klaviyo answered them: the waits between them are the ones
    // the failures called for.
    const byTrigger = new Map<string, { status: number; at: number }[]>();
    for (const r of standIn.requests) {
      const id = uniqueIdOf(r.body);
      byTrigger.set(id, [...(byTrigger.get(id) ?? []), { status: r.status, at: r.at }]);
    }
    const tooSoon: string[] = [];
    const delays: number[] = [];
    for (const [id, answers] of byTrigger) {
      expect(answers[0]!.status, id).toBe(503);
      expect(answers.at(-1)!.status, id).toBe(202);
      for (let i = 1; i < answers.length; i++) {
        const gap = answers[i]!.at - answers[i - 1]!.at;
        const owed = answers[i - 1]!.status === 503 ? FIRST_RETRY_MIN : RETRY_AFTER * 1_000;
        if (gap < owed) tooSoon.push(`${id}: ${gap} ms after a ${answers[i - 1]!.status}`);
      }
      delays.push(answers.at(-1)!.at - answers[0]!.at);
    }
    expect(tooSoon).toEqual([]);
    delays.sort((a, b) => a - b);
    const throttled = standIn.requests.filter((r) => r.status === 429).length;
    const refused = standIn.requests.filter((r) => r.status === 503).length;
    report(
      'partner 503 then 429 windows',
      `${SHOPPERS} triggers; Klaviyo answered ${figure(refused)} requests 503 and ${figure(throttled)} 429 ` +
        `(Retry-After ${RETRY_AFTER} s); all ${SHOPPERS} delayed (first attempt to delivery: ` +
        `${(delays[0]! / 1000).toFixed(1)}–${(delays.at(-1)! / 1000).toFixed(1)} s, median ` +
        `${(delays[Math.floor(delays.length / 2)]! / 1000).toFixed(1)} s), no retry sooner than the failure ` +
        `allowed; ${standIn.events.length} Klaviyo events, one per trigger, none lost, none repeated`,
      startedAt,
    );
    await store.close();
  });
});

function uniqueIdOf(body: unknown): string {
  return (body as { data: { attributes: { unique_id: string } } }).data.attributes.unique_id;
}
