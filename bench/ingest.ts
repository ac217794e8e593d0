// Ingest throughput: Reclaim's live server over loopback against a bare Fastify handler, same run.
// `npm run bench:ingest` — writes its section of BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/load-config.ts';
import { PROCESSOR_CURSOR } from '../src/pipeline/event-processor.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore } from '../src/store/store.ts';
import { sqliteDatabase, postgresDatabase, type BenchDatabase } from './support/databases.ts';
import { startBareServer, startReclaimServer } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
/** Rounds per database: each a baseline load, then Reclaim's, for single events and for batches. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const WRITE_KEY = 'bench_write_key';
const BATCH_SIZE = 100;
/** Reclaim's default (`RECLAIM_INGEST_WORKERS`): one thread per core beyond the first, at most 4. */
const INGEST_WORKERS = loadConfig({ env: {} }).ingest.workers;

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../contracts/shopify/pixel-events/${name}.json`, import.meta.url), 'utf8'),
  );
const productViewed = fixture('product_viewed');
/** A shopper who accepted the store's cookie banner: every event is stored with its identifiers. */
const privacy = {
  ...fixture('init').customerPrivacy,
  analyticsProcessingAllowed: true,
  marketingAllowed: true,
};

let counter = 0;
/** Event times as a live store produces them: close to now, a few per millisecond at most. */
const now = () => new Date(Date.now() - 500 + (counter % 7)).toISOString();
const pixelBody = () =>
  JSON.stringify({
    events: [{ ...productViewed, id: `sh-bench-${++counter}`, timestamp: now() }],
    customerPrivacy: privacy,
    cookies: { _fbp: 'fb.1.1700000000000.1', __kla_id: 'eyJjaWQiOiJ4In0=' },
  });
const batchBody = () =>
  JSON.stringify({
    batch: Array.from({ length: BATCH_SIZE }, (_, i) => ({
      type: 'track',
      event: 'Product Viewed',
      messageId: `m-${++counter}-${i}`,
      anonymousId: `anon-${counter % 5000}`,
      timestamp: now(),
      properties: {
        product_id: 'p-1',
        sku: 'SKU-1',
        name: 'Organic Cotton Tee',
        price: 32,
        currency: 'USD',
        url: 'https://shop.example/products/tee',
      },
      context: {
        ip: '203.0.113.9',
        userAgent: 'Mozilla/5.0',
        page: { url: 'https://shop.example/products/tee?utm_source=ig' },
      },
    })),
  });

interface Load {
  reqPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

async function load(
  url: string,
  path: string,
  body: () => string,
  eventsPerRequest: number,
  auth = false,
): Promise<Load> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path,
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          // The visitor's location, as the store's CDN passes it on (a US visitor: no opt-in needed for the
          // Segment calls, which carry no banner decision).
          'cf-ipcountry': 'US',
          'cf-region-code': 'US-NY',
          ...(auth ? { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` } : {}),
        },
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  const seconds = result.duration;
  return {
    reqPerSec: result['2xx'] / seconds,
    eventsPerSec: (result['2xx'] * eventsPerRequest) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx + result.errors,
  };
}

/**
 * Seconds from the end of a burst until the event processor has processed every event of it: the server
 * gives way to requests, so a burst is acknowledged first and processed in the pause after it.
 */
async function processedAfter(db: BenchDatabase): Promise<number> {
  const started = performance.now();
  const store = await openStore({ url: db.url });
  try {
    for (;;) {
      const cursor = await store.db
        .selectFrom('cursors')
        .select('position')
        .where('name', '=', PROCESSOR_CURSOR)
        .executeTakeFirst();
      const last = await store.db
        .selectFrom('events')
        .select((eb) => eb.fn.max<number>('seq').as('seq'))
        .executeTakeFirstOrThrow();
      if (Number(cursor?.position ?? 0) >= Number(last.seq ?? 0)) return (performance.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await store.close();
  }
}

async function storedCount(db: BenchDatabase): Promise<number> {
  const store = await openStore({ url: db.url });
  try {
    await migrateToLatest(store);
    const row = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}

/** One load of Reclaim and the bare handler's load just before it (same payloads, same moment of the machine). */
interface Round {
  bare: Load;
  reclaim: Load;
  /** Seconds until the processor had processed the round's burst. */
  processed: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Reclaim's requests/s in a round over its own baseline's. */
const roundRatio = (round: Round) => round.reclaim.reqPerSec / round.bare.reqPerSec;

/** The ratio of each round's Reclaim load to its own baseline: the median, then the range. */
function ratioCell(rounds: readonly Round[]): string {
  const ratios = rounds.map(roundRatio);
  const range = rounds.length > 1 ? ` (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})` : '';
  return fmt(median(ratios), 2) + range;
}

/** Requests/s, events/s, p50 and p99 of loads, each the median over the rounds. */
const loadCells = (loads: readonly Load[]) => [
  fmt(median(loads.map((l) => l.reqPerSec))),
  fmt(median(loads.map((l) => l.eventsPerSec))),
  median(loads.map((l) => l.p50)),
  median(loads.map((l) => l.p99)),
];

export async function runIngestBench(): Promise<BenchSection> {
  // The baseline stays up, idle between its loads, so each Reclaim load is paired with one just before it.
  const bare = await startBareServer();
  const single: Round[] = [];
  const batched: Round[] = [];
  const rows: (string | number)[][] = [];
  const databases = [sqliteDatabase(), await postgresDatabase()].filter(
    (d): d is BenchDatabase => d !== undefined,
  );
  try {
    for (const db of databases) {
      const server = await startReclaimServer({
        RECLAIM_DATABASE_URL: db.url,
        RECLAIM_WRITE_KEYS: WRITE_KEY,
        RECLAIM_PIXEL_RATE_LIMIT: '10000000',
      });
      const dbSingle: Round[] = [];
      const dbBatched: Round[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const pixel: Round = {
          bare: await load(bare.url, '/v1/pixel', pixelBody, 1),
          reclaim: await load(server.url, '/v1/pixel', pixelBody, 1),
          processed: await processedAfter(db),
        };
        const batch: Round = {
          bare: await load(bare.url, '/v1/batch', batchBody, BATCH_SIZE),
          reclaim: await load(server.url, '/v1/batch', batchBody, BATCH_SIZE, true),
          processed: await processedAfter(db),
        };
        dbSingle.push(pixel);
        dbBatched.push(batch);
        console.error(
          `${db.name} round ${round + 1}/${ROUNDS}: pixel ${fmt(pixel.reclaim.reqPerSec)} requests/s (${fmt(roundRatio(pixel), 2)} of ${fmt(pixel.bare.reqPerSec)}), ` +
            `batch ${fmt(batch.reclaim.eventsPerSec)} events/s (${fmt(roundRatio(batch), 2)} of ${fmt(batch.bare.eventsPerSec)})`,
        );
      }
      await server.stop();
      single.push(...dbSingle);
      batched.push(...dbBatched);
      const stored = await storedCount(db);
      const acknowledged =
        dbSingle.reduce((n, r) => n + r.reclaim.ok, 0) +
        dbBatched.reduce((n, r) => n + r.reclaim.ok, 0) * BATCH_SIZE;
      const durable = `${fmt(stored)} / ${fmt(acknowledged)} ${stored >= acknowledged ? '✓' : '✗'}`;
      const reclaimRow = (
        loadName: string,
        rounds: Round[],
        eventsPerRequest: number,
        storedCell: string,
      ) => {
        const processed = median(rounds.map((r) => r.processed));
        const sustained = median(
          rounds.map((r) => (r.reclaim.ok * eventsPerRequest) / (DURATION + r.processed)),
        );
        return [
          `Reclaim on ${db.name}`,
          loadName,
          ...loadCells(rounds.map((r) => r.reclaim)),
          ratioCell(rounds),
          storedCell,
          fmt(processed, 1),
          fmt(sustained),
        ];
      };
      rows.push(
        reclaimRow('pixel, 1 event/request', dbSingle, 1, durable),
        reclaimRow(`Segment batch, ${BATCH_SIZE} events/request`, dbBatched, BATCH_SIZE, ''),
      );
      const failed = [...dbSingle, ...dbBatched].reduce((n, r) => n + r.reclaim.failed, 0);
      if (failed > 0)
        rows.push([`Reclaim on ${db.name}`, 'failed requests', failed, '', '', '', '', '', '', '']);
      await db.drop();
    }
  } finally {
    await bare.stop();
  }
  const bareRow = (loadName: string, rounds: Round[]) => [
    'bare Fastify (baseline)',
    loadName,
    ...loadCells(rounds.map((r) => r.bare)),
    '1.00',
    '–',
    '–',
    '–',
  ];
  rows.unshift(
    bareRow('pixel, 1 event/request', single),
    bareRow(`Segment batch, ${BATCH_SIZE} events/request`, batched),
  );
  return {
    key: 'ingest',
    title: 'Ingest',
    command: 'npm run bench:ingest',
    markdown: `${CONNECTIONS} connections for ${DURATION}s per load (autocannon, same machine, loopback). This machine's speed drifts
by up to a half within minutes, so the baseline is measured right before each of Reclaim's loads, ${ROUNDS} rounds per
database, and each row gives the median over its rounds; the ratio is the median of each round's ratio to its own
baseline, with the lowest and highest in brackets. Every event has a unique id and comes
from a US visitor who accepted tracking, so every request is a real insert of events with their identifiers
(not an anonymous count). "Acknowledged → stored" counts the events in the database after the server stopped against
the events the server answered 2xx for, over all rounds: an acknowledgement is only sent after the transaction that holds the event
committed (SQLite in WAL mode with \`synchronous=NORMAL\`, which survives a crash or kill of the process; PostgreSQL
with its defaults). Both servers run with the project's Node options (\`.npmrc\`: \`--max-semi-space-size=64\`).
Reclaim runs with its default of ${INGEST_WORKERS} ingest worker thread(s) on this machine: a Segment batch (about 39 KB) is
parsed, validated, mapped and serialised there while the main thread commits; a single pixel event (about 2 KB) is
prepared on the main thread.

The server gives way to requests: while they keep coming, the event processor (identity, consent, journeys)
waits for a pause, unless the oldest unprocessed event has waited 30 s, so a burst is acknowledged at the
collector's speed and processed right after it. "Processed after" is how long after the end of the ${DURATION}s burst
the processor had processed every event of it (the next baseline load waits for that); "sustained" divides the burst's events by the burst plus that
time — the rate at which this one process can both take in and process events for as long as the load lasts.

${table(['server', 'load', 'requests/s', 'events/s', 'p50 ms', 'p99 ms', 'ratio to baseline', 'acknowledged → stored', 'processed after, s', 'sustained events/s'], rows)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runIngestBench();
  writeSection(section);
  console.log(section.markdown);
}
