// The abandonment engine at a month's scale: replay of a simulated month of a mid-size store (over
// 1,000,000 events) through ingest, identity, consent, journeys and delivery into the Klaviyo stand-in,
// next to a baseline that only reads and parses the same file; and the time to fire 1,000,000 due
// journeys, next to a baseline that only reads them. `npm run bench:engine` — writes its section of
// BENCHMARKS.md.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryUsage } from 'node:process';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config/load-config.ts';
import { firingSettings } from '../src/app/engine.ts';
import { outboxTriggerSink } from '../src/delivery/outbox-trigger-sink.ts';
import { enabledDestinations } from '../src/destinations/registry.ts';
import type { JourneyState } from '../src/journeys/journey.ts';
import { toJourney } from '../src/journeys/journey-repository.ts';
import { fireAllDue } from '../src/journeys/scheduler.ts';
import { ManualClock } from '../src/runtime/clock.ts';
import { parseJsonExact } from '../src/http/body/json-body.ts';
import { simulate, SIMULATION_FILES, type SimulationMeta } from '../src/simulation/simulator.ts';
import { KlaviyoStandIn } from '../src/stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';
import { scoringReplay } from './support/scoring-replay.ts';

/** Shoppers in the simulated month: 37,000 of the eu-fashion profile carry just over 1,000,000 events. */
const SHOPPERS = Number(process.env.BENCH_ENGINE_SHOPPERS ?? 37_500);
const JOURNEYS = Number(process.env.BENCH_ENGINE_JOURNEYS ?? 1_000_000);

/** Peak resident memory while `work` runs, sampled every 100 ms. */
async function withPeakMemory<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, memoryUsage().rss)), 100);
  try {
    const result = await work();
    peak = Math.max(peak, memoryUsage().rss);
    return { result, peakMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** Baseline: read the replay file and parse every line as replay does, without ingesting anything. */
async function parseOnly(file: string): Promise<number> {
  const started = performance.now();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line) parseJsonExact(Buffer.from(line));
  return (performance.now() - started) / 1000;
}

async function replayMonth(db: BenchDatabase, dir: string, meta: SimulationMeta) {
  const scoring = await scoringReplay(dir, meta);
  const store = await openStore({ url: db.url });
  try {
    await migrateToLatest(store);
    const started = performance.now();
    const { result: summary, peakMiB } = await withPeakMemory(() => scoring.replay(store));
    const seconds = (performance.now() - started) / 1000;
    return { seconds, summary, peakMiB, klaviyoEvents: scoring.received.length };
  } finally {
    await store.close();
    await scoring.close();
  }
}

const T0 = Date.UTC(2026, 10, 2, 12);

/** A cart journey of shopper `n`, quiet since an hour before T0, as the journey stage stores it. */
function dueJourney(n: number) {
  const state: JourneyState = {
    browsed: [],
    cartItems: [
      {
        productId: '632910392',
        variantId: String(47_100_000_000_000 + (n % 500)),
        title: 'Organic Cotton Tee',
        price: '32.00',
        quantity: 1 + (n % 3),
      },
    ],
    checkoutItems: [],
    currency: 'USD',
    cartTokens: [`cart-${n}`],
    checkoutTokens: [],
    shop: 'northwind-demo.myshopify.com',
    geos: [{ country: 'US', region: 'US-NY' }],
    tracking: {
      categories: { analytics: true, marketing: true, preferences: true, saleOfData: true },
      at: T0 - 3_600_000,
    },
    gpc: false,
    devices: [`clientId:client-${n}`],
    klaviyo: { scriptSeen: n % 2 === 0, identified: n % 4 === 0 },
    events: 4,
  };
  return {
    id: `jr_bench_${n}`,
    profile_id: `pr_bench_${n}`,
    status: 'open' as const,
    stage: 'cart' as const,
    started_at: T0 - 7_200_000,
    last_activity_at: T0 - 3_600_000,
    updated_received_at: T0 - 3_600_000,
    due_at: T0 - (n % 3_600) * 1000,
    outcome: null,
    trigger_id: null,
    state_json: JSON.stringify(state),
  };
}

/** A million shoppers with a browser and an email each, and a cart journey each that is due. */
async function preloadJourneys(store: Store): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < JOURNEYS; start += 20_000) {
    await store.db.transaction().execute(async (trx) => {
      for (let p = start; p < Math.min(JOURNEYS, start + 20_000); p += 100) {
        const ids = Array.from({ length: Math.min(100, JOURNEYS - p) }, (_, i) => p + i);
        await trx
          .insertInto('profiles')
          .values(
            ids.map((n) => ({
              id: `pr_bench_${n}`,
              created_at: T0,
              updated_at: T0,
              merged_into: null,
              counts_json: '{"clientId":1,"email":1,"cartToken":1}',
              customer_id: null,
            })),
          )
          .execute();
        await trx
          .insertInto('identifiers')
          .values(
            ids.flatMap((n) =>
              (
                [
                  ['clientId', `client-${n}`],
                  ['email', `shopper${n}@mail.example`],
                ] as const
              ).map(([type, value]) => ({
                key: `${type}:${value}`,
                type,
                value,
                profile_id: `pr_bench_${n}`,
                first_seen: T0 - 86_400_000,
                last_seen: T0 - 3_600_000,
                linked_at: T0 - 3_600_000,
                confirmed_at: type === 'email' ? T0 - 3_600_000 : null,
                status: 'active',
              })),
            ),
          )
          .execute();
        await trx.insertInto('journeys').values(ids.map(dueJourney)).execute();
      }
    });
  }
  return (performance.now() - started) / 1000;
}

/** Baseline: page through the due journeys by the due-time index and parse them, without firing. */
async function readDue(store: Store): Promise<number> {
  const started = performance.now();
  let after = -1;
  let afterId = '';
  let read = 0;
  for (;;) {
    const rows = await store.db
      .selectFrom('journeys')
      .selectAll()
      .where('status', '=', 'open')
      .where('due_at', '<=', T0)
      // Keyset paging: the first condition lets either database start from the due-time index.
      .where('due_at', '>=', after)
      .where((eb) => eb(eb.refTuple('due_at', 'id'), '>', eb.tuple(after, afterId)))
      .orderBy('due_at')
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    rows.forEach(toJourney);
    read += rows.length;
    after = rows.at(-1)!.due_at!;
    afterId = rows.at(-1)!.id;
  }
  if (read !== JOURNEYS) throw new Error(`read ${read} of ${JOURNEYS} due journeys`);
  return (performance.now() - started) / 1000;
}

async function fireMillion(db: BenchDatabase) {
  const store = await openStore({ url: db.url });
  try {
    await migrateToLatest(store);
    const preloadSeconds = await preloadJourneys(store);
    const baselineSeconds = await readDue(store);
    const config = loadConfig({
      env: {},
      overrides: { 'klaviyo.apiKey': KlaviyoStandIn.DEFAULT_KEY, 'klaviyo.baseUrl': 'http://127.0.0.1:9' },
    });
    const scheduler = {
      store,
      clock: new ManualClock(T0),
      settings: firingSettings(config),
      sinks: [outboxTriggerSink(enabledDestinations(config))],
    };
    const started = performance.now();
    const { result: looked, peakMiB } = await withPeakMemory(() => fireAllDue(scheduler, T0));
    const seconds = (performance.now() - started) / 1000;
    const fired = await store.db
      .selectFrom('triggers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const queued = await store.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (looked !== JOURNEYS || Number(fired.n) !== JOURNEYS)
      throw new Error(`fired ${fired.n} of ${JOURNEYS} due journeys`);
    return { preloadSeconds, baselineSeconds, seconds, peakMiB, queued: Number(queued.n) };
  } finally {
    await store.close();
  }
}

export async function runEngineBench(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-bench-engine-'));
  try {
    const simStart = performance.now();
    const meta = await simulate({
      profile: 'eu-fashion',
      shoppers: SHOPPERS,
      days: 30,
      seed: 'bench',
      out: dir,
    });
    const simSeconds = (performance.now() - simStart) / 1000;
    const parseSeconds = await parseOnly(join(dir, SIMULATION_FILES.input));
    console.log(
      `simulated ${fmt(meta.events)} events in ${fmt(simSeconds, 1)} s; parsed in ${fmt(parseSeconds, 1)} s`,
    );
    const databases = [sqliteDatabase(), await postgresDatabase()].filter(
      (d): d is BenchDatabase => d !== undefined,
    );
    const replayRows: (string | number)[][] = [
      [
        'read and parse the file (baseline)',
        fmt(meta.events / parseSeconds),
        fmt(parseSeconds, 1),
        '1.00',
        '–',
        '–',
        '–',
      ],
    ];
    const fireRows: (string | number)[][] = [];
    for (const db of databases) {
      try {
        const replay = await replayMonth(db, dir, meta);
        const t = replay.summary.triggers;
        console.log(`${db.name}: replayed in ${fmt(replay.seconds, 1)} s`);
        replayRows.push([
          `replay on ${db.name}`,
          fmt(meta.events / replay.seconds),
          fmt(replay.seconds, 1),
          fmt(parseSeconds / replay.seconds, 3),
          `${fmt(t.total)} (${fmt(t.browse)} / ${fmt(t.cart)} / ${fmt(t.checkout)})`,
          fmt(replay.klaviyoEvents),
          `${fmt(replay.peakMiB)} MiB`,
        ]);
      } finally {
        await db.drop();
      }
    }
    for (const db of [sqliteDatabase(), await postgresDatabase()].filter(
      (d): d is BenchDatabase => d !== undefined,
    )) {
      try {
        const fired = await fireMillion(db);
        console.log(`${db.name}: fired ${fmt(JOURNEYS)} journeys in ${fmt(fired.seconds, 1)} s`);
        fireRows.push([
          db.name,
          fmt(JOURNEYS),
          fmt(fired.baselineSeconds, 1),
          fmt(fired.seconds, 1),
          fmt(JOURNEYS / fired.seconds),
          fmt(fired.baselineSeconds / fired.seconds, 3),
          fmt(fired.queued),
          `${fmt(fired.peakMiB)} MiB`,
          fmt(fired.preloadSeconds, 1),
        ]);
      } finally {
        await db.drop();
      }
    }
    return {
      key: 'engine',
      title: 'Engine',
      command: 'npm run bench:engine',
      markdown: `**Replay of a simulated month** (\`reclaim simulate --profile eu-fashion --shoppers ${fmt(SHOPPERS)} --days 30\`:
${fmt(meta.lines)} requests carrying ${fmt(meta.events)} events, simulated in ${fmt(simSeconds, 1)} s) through the whole
engine — ingest, identity, consent, journeys, firing, and delivery into the Klaviyo stand-in at Klaviyo's
limits — with the clock following the input. The baseline reads the same file and parses every line as
replay does, and does nothing else. Memory is the peak resident set of the process during the replay.

${table(['run', 'events/s', 'seconds', 'ratio to baseline', 'triggers (browse / cart / checkout)', 'Klaviyo events', 'peak memory'], replayRows)}

**Firing ${fmt(JOURNEYS)} due journeys**: ${fmt(JOURNEYS)} shoppers with a browser, an email and a cart journey
that is due, fired by the scheduler (suppression, caps, recipient, consent decision per channel, the
trigger and its Klaviyo outbox row, 500 journeys per transaction). The baseline pages through the same due
journeys by the due-time index and parses them, without firing.

${table(['database', 'journeys', 'baseline (read) s', 'fire s', 'journeys fired/s', 'ratio to baseline', 'outbox rows', 'peak memory', 'preload s'], fireRows)}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runEngineBench();
  writeSection(section);
  console.log(section.markdown);
}
