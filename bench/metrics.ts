// The cost of `/metrics`: one scrape's SQL statements and time against a month-sized database, and ingest
// throughput with metrics on against metrics off, same run. `npm run bench:metrics` — writes its section of
// BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import type { KyselyPlugin, Transaction } from 'kysely';
import { PROCESSOR_CURSOR, processorBacklog } from '../src/pipeline/event-processor.ts';
import { Metrics } from '../src/runtime/metrics.ts';
import { readDatabaseFigures } from '../src/app/metrics-routes.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import type { Database, DeliveryStatus } from '../src/store/schema.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { startReclaimServer } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

/** A month of a mid-sized store: a million events; journeys, deliveries and ledger records in proportion. */
const EVENTS = Number(process.env.BENCH_METRICS_EVENTS ?? 1_000_000);
const SCRAPES = Number(process.env.BENCH_METRICS_SCRAPES ?? 200);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const BACKLOG = 1_000;
const DAY = 86_400_000;
const ROWS_PER_INSERT = 500;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function insertAll<T>(
  store: Store,
  count: number,
  row: (i: number) => T,
  into: (trx: Transaction<Database>, rows: T[]) => Promise<unknown>,
) {
  for (let from = 0; from < count; from += ROWS_PER_INSERT * 20) {
    await store.db.transaction().execute(async (trx) => {
      for (let i = from; i < Math.min(count, from + ROWS_PER_INSERT * 20); i += ROWS_PER_INSERT) {
        const rows: T[] = [];
        for (let j = i; j < Math.min(count, i + ROWS_PER_INSERT); j++) rows.push(row(j));
        await into(trx, rows);
      }
    });
  }
}

/**
 * Fills the database as a month of traffic leaves it: events (the last `BACKLOG` not processed yet),
 * one journey per ten events (5 % open, the rest closed), two deliveries per trigger (nearly all
 * delivered; some waiting, some dead), and a consent ledger of one record per twenty events.
 */
async function seed(store: Store, now: number): Promise<{ journeys: number; deliveries: number }> {
  const body = JSON.stringify({
    kind: 'page',
    properties: { url: 'https://shop.example/products/tee' },
    pad: 'x'.repeat(200),
  });
  await insertAll(
    store,
    EVENTS,
    (i) => ({
      id: `ev-${i}`,
      idempotency_key: `key-${i}`,
      kind: 'page',
      source: 'pixel',
      event_time: now - 30 * DAY + Math.floor((i / EVENTS) * 30 * DAY),
      received_at: now - 30 * DAY + Math.floor((i / EVENTS) * 30 * DAY),
      body_json: body,
    }),
    (trx, rows) => trx.insertInto('events').values(rows).execute(),
  );
  const head = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.max<number>('seq').as('seq'))
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('cursors')
    .values({ name: PROCESSOR_CURSOR, position: Number(head.seq) - BACKLOG })
    .execute();
  const journeys = Math.floor(EVENTS / 10);
  await insertAll(
    store,
    journeys,
    (i) => {
      const open = i % 20 === 0;
      return {
        id: `jn-${i}`,
        profile_id: `pr-${i}`,
        status: open ? ('open' as const) : ('fired' as const),
        stage: (['browse', 'cart', 'checkout'] as const)[i % 3]!,
        started_at: now - 30 * DAY + i,
        last_activity_at: now - 30 * DAY + i,
        updated_received_at: now - 30 * DAY + i,
        due_at: open ? now - 2 * 3_600_000 + ((i % 4) * 3_600_000) / 4 : null,
        outcome: open ? null : 'triggered',
        trigger_id: null,
        state_json: '{}',
      };
    },
    (trx, rows) => trx.insertInto('journeys').values(rows).execute(),
  );
  const deliveries = Math.floor(EVENTS / 20) * 2;
  await insertAll<Database['deliveries']>(
    store,
    deliveries,
    (i) => {
      const status: DeliveryStatus =
        i % 1000 === 0 ? 'dead' : i % 250 === 0 ? 'pending' : i % 7 === 0 ? 'skipped' : 'delivered';
      const destination = i % 2 === 0 ? 'klaviyo' : 'meta';
      return {
        id: `${destination}:abandonment:tr-${i}`,
        destination,
        kind: 'abandonment',
        subject_id: `tr-${i}`,
        profile_id: `pr-${i}`,
        status,
        attempts: 1,
        created_at: now - DAY,
        updated_at: now - DAY,
        next_attempt_at: now,
        retry_from: now - DAY,
        claimed_by: null,
        delivered_at: status === 'delivered' ? now - DAY : null,
        last_error_json: null,
        payload_json: '{"triggerId":"tr"}',
        outcome_json: null,
      };
    },
    (trx, rows) => trx.insertInto('deliveries').values(rows).execute(),
  );
  await store.db
    .insertInto('consent_chain')
    .values({ id: 1, position: Math.floor(EVENTS / 20), hash: 'ab'.repeat(32) })
    .execute();
  return { journeys, deliveries };
}

interface ScrapeCost {
  statements: number;
  p50: number;
  p95: number;
  bytes: number;
}

/** Times whole scrapes in-process: the database figures read, the gauges set, the text written. */
async function scrapeCost(store: Store, now: number): Promise<ScrapeCost> {
  let statements = 0;
  const counting: KyselyPlugin = {
    transformQuery: ({ node }) => {
      statements++;
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
  const counted: Store = { ...store, db: store.db.withPlugin(counting) };
  const metrics = new Metrics();
  const scrape = async () => {
    metrics.setDatabaseFigures(await readDatabaseFigures(counted, now, ['klaviyo', 'meta']), now);
    return metrics.text();
  };
  for (let i = 0; i < 20; i++) await scrape();
  statements = 0;
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    bytes = (await scrape()).length;
    times.push(performance.now() - started);
  }
  return { statements: statements / SCRAPES, p50: median(times), p95: percentile(times, 95), bytes };
}

const productViewed = JSON.parse(
  readFileSync(new URL('../contracts/shopify/pixel-events/product_viewed.json', import.meta.url), 'utf8'),
);
let counter = 0;
const pixelBody = () =>
  JSON.stringify({
    events: [
      {
        ...productViewed,
        id: `sh-metrics-${++counter}`,
        timestamp: new Date(Date.now() - 500).toISOString(),
      },
    ],
    customerPrivacy: {
      analyticsProcessingAllowed: true,
      marketingAllowed: true,
      preferencesProcessingAllowed: true,
      saleOfDataAllowed: true,
    },
  });

/** Waits until the server's event processor has caught up, so its work does not fall into the next load. */
async function processed(db: BenchDatabase): Promise<void> {
  const store = await openStore({ url: db.url });
  try {
    for (;;) {
      const { behind } = await processorBacklog(store.db);
      if (behind === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await store.close();
  }
}

async function pixelLoad(url: string, duration = DURATION): Promise<number> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/v1/pixel',
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          'cf-ipcountry': 'US',
          'cf-region-code': 'US-NY',
        },
        setupRequest: (req) => ({ ...req, body: pixelBody() }),
      },
    ],
  });
  return result['2xx'] / result.duration;
}

/**
 * What counting costs one ingest request, apart from the machine's noise: the counter increment the HTTP
 * edge makes per request, timed over a million calls (ns per call).
 */
function counterCost(): number {
  const metrics = new Metrics({ process: false });
  const calls = 1_000_000;
  for (let i = 0; i < 100_000; i++) metrics.ingest('pixel', 200, undefined);
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++)
    metrics.ingest('pixel', i % 50 === 0 ? 400 : 200, 'RECLAIM_ERR_MALFORMED_JSON');
  return Number(process.hrtime.bigint() - started) / calls;
}

export async function runMetricsBench(): Promise<BenchSection> {
  const now = Date.now();
  const perRequestNs = counterCost();
  const scrapeRows: (string | number)[][] = [];
  const databases = [sqliteDatabase(), await postgresDatabase()].filter(
    (d): d is BenchDatabase => d !== undefined,
  );
  for (const db of databases) {
    const store = await openStore({ url: db.url });
    try {
      await migrateToLatest(store);
      const seeding = performance.now();
      const sizes = await seed(store, now);
      console.error(`${db.name}: seeded in ${fmt((performance.now() - seeding) / 1000, 1)} s`);
      const cost = await scrapeCost(store, now);
      scrapeRows.push([
        db.name,
        `${fmt(EVENTS)} events, ${fmt(sizes.journeys)} journeys, ${fmt(sizes.deliveries)} deliveries`,
        fmt(cost.statements, 1),
        fmt(cost.p50, 2),
        fmt(cost.p95, 2),
        fmt(cost.bytes),
      ]);
      console.error(`${db.name}: ${JSON.stringify(cost)}`);
    } finally {
      await store.close();
      await db.drop();
    }
  }

  // Two servers on two SQLite files, loaded in turn; the order alternates so neither always goes first.
  const dbOn = sqliteDatabase();
  const dbOff = sqliteDatabase();
  const on = await startReclaimServer({
    RECLAIM_DATABASE_URL: dbOn.url,
    RECLAIM_PIXEL_RATE_LIMIT: '10000000',
    RECLAIM_METRICS_ENABLED: 'true',
  });
  const off = await startReclaimServer({
    RECLAIM_DATABASE_URL: dbOff.url,
    RECLAIM_PIXEL_RATE_LIMIT: '10000000',
    RECLAIM_METRICS_ENABLED: 'false',
  });
  const rounds: { on: number; off: number }[] = [];
  const loadBefore = loadavg()[0]!;
  const servers = { on: { server: on, db: dbOn }, off: { server: off, db: dbOff } };
  try {
    for (const { server, db } of Object.values(servers)) {
      await pixelLoad(server.url, 2);
      await processed(db);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0 ? 'off' : 'on';
      const result = { on: 0, off: 0 };
      for (const which of first === 'off' ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        result[which] = await pixelLoad(servers[which].server.url);
        await processed(servers[which].db);
      }
      rounds.push(result);
      console.error(
        `round ${round + 1}/${ROUNDS}: off ${fmt(result.off)} requests/s, on ${fmt(result.on)} requests/s`,
      );
    }
  } finally {
    await on.stop();
    await off.stop();
    await dbOn.drop();
    await dbOff.drop();
  }
  const loadAfter = loadavg()[0]!;
  const ratios = rounds.map((r) => r.on / r.off);
  const ingestRows = [
    ['metrics off (`RECLAIM_METRICS_ENABLED=false`)', fmt(median(rounds.map((r) => r.off))), '1.00'],
    [
      'metrics on (default)',
      fmt(median(rounds.map((r) => r.on))),
      `${fmt(median(ratios), 2)} (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})`,
    ],
  ];

  return {
    key: 'metrics',
    title: 'Metrics',
    command: 'npm run bench:metrics',
    markdown: `**One scrape of \`/metrics\`**, in-process (the database figures read, the gauges set, the text format written,
Node's process metrics included), ${SCRAPES} scrapes after 20 to warm up, against a month of traffic: ${fmt(EVENTS)} events of which
the last ${fmt(BACKLOG)} are not processed yet, one journey per ten events (5 % open), two deliveries per twenty events
(0.4 % waiting, 0.1 % dead, the rest delivered or skipped). Statements are counted on their way to the database.

${table(['database', 'size', 'SQL statements per scrape', 'p50 ms', 'p95 ms', 'bytes of text'], scrapeRows)}

**Ingest with metrics on and off**: pixel events (1 per request), ${CONNECTIONS} connections for ${DURATION}s per load
(autocannon, loopback), two \`reclaim serve\` processes on two SQLite files, each warmed up by a 2 s load, then loaded in
turn, ${ROUNDS} rounds, the order alternating; after each load the next waits until that server has processed what it took in.
Median requests/s, and the median (lowest–highest) of each round's ratio of on to off. The machine's load average
(1 min) was ${fmt(loadBefore, 1)} before the loads and ${fmt(loadAfter, 1)} after, on ${cpus().length} cores: when it is far above the core count
(other work sharing the machine), the spread between rounds is that noise, not metrics.

${table(['server', 'requests/s', 'ratio to metrics off'], ingestRows)}

What metrics add to an ingest request, measured apart from that noise: the counter increment at the HTTP edge takes
${fmt(perRequestNs)} ns per request (a million calls, in-process), against the ${fmt(1e9 / Math.max(...rounds.map((r) => r.off)))} ns or more that one
request took the server at the best round's rate above.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runMetricsBench();
  writeSection(section);
  console.log(section.markdown);
}
