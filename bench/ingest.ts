// Ingest throughput: Reclaim's live server over loopback against a bare Fastify handler, same run.
// `npm run bench:ingest` — writes its section of BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config/load-config.ts';
import { PROCESSOR_CURSOR } from '../src/engine/event-processor.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore } from '../src/store/store.ts';
import { sqliteDatabase, postgresDatabase, type BenchDatabase } from './support/databases.ts';
import { startBareServer, startReclaimServer } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
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

export async function runIngestBench(): Promise<BenchSection> {
  const bare = await startBareServer();
  const bareSingle = await load(bare.url, '/v1/pixel', pixelBody, 1);
  const bareBatch = await load(bare.url, '/v1/batch', batchBody, BATCH_SIZE);
  await bare.stop();

  const rows: (string | number)[][] = [
    [
      'bare Fastify (baseline)',
      'pixel, 1 event/request',
      fmt(bareSingle.reqPerSec),
      fmt(bareSingle.eventsPerSec),
      bareSingle.p50,
      bareSingle.p99,
      '1.00',
      '–',
      '–',
      '–',
    ],
    [
      'bare Fastify (baseline)',
      `Segment batch, ${BATCH_SIZE} events/request`,
      fmt(bareBatch.reqPerSec),
      fmt(bareBatch.eventsPerSec),
      bareBatch.p50,
      bareBatch.p99,
      '1.00',
      '–',
      '–',
      '–',
    ],
  ];
  const databases = [sqliteDatabase(), await postgresDatabase()].filter(
    (d): d is BenchDatabase => d !== undefined,
  );
  for (const db of databases) {
    const server = await startReclaimServer({
      RECLAIM_DATABASE_URL: db.url,
      RECLAIM_WRITE_KEYS: WRITE_KEY,
      RECLAIM_PIXEL_RATE_LIMIT: '10000000',
    });
    const single = await load(server.url, '/v1/pixel', pixelBody, 1);
    const singleProcessed = await processedAfter(db);
    const batch = await load(server.url, '/v1/batch', batchBody, BATCH_SIZE, true);
    const batchProcessed = await processedAfter(db);
    await server.stop();
    const stored = await storedCount(db);
    const acknowledged = single.ok + batch.ok * BATCH_SIZE;
    const durable =
      stored >= acknowledged
        ? `${fmt(stored)} / ${fmt(acknowledged)} ✓`
        : `${fmt(stored)} / ${fmt(acknowledged)} ✗`;
    rows.push(
      [
        `Reclaim on ${db.name}`,
        'pixel, 1 event/request',
        fmt(single.reqPerSec),
        fmt(single.eventsPerSec),
        single.p50,
        single.p99,
        fmt(single.reqPerSec / bareSingle.reqPerSec, 2),
        durable,
        fmt(singleProcessed, 1),
        fmt(single.ok / (DURATION + singleProcessed)),
      ],
      [
        `Reclaim on ${db.name}`,
        `Segment batch, ${BATCH_SIZE} events/request`,
        fmt(batch.reqPerSec),
        fmt(batch.eventsPerSec),
        batch.p50,
        batch.p99,
        fmt(batch.reqPerSec / bareBatch.reqPerSec, 2),
        '',
        fmt(batchProcessed, 1),
        fmt((batch.ok * BATCH_SIZE) / (DURATION + batchProcessed)),
      ],
    );
    if (single.failed + batch.failed > 0)
      rows.push([
        `Reclaim on ${db.name}`,
        'failed requests',
        single.failed + batch.failed,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ]);
    await db.drop();
  }
  return {
    key: 'ingest',
    title: 'Ingest',
    command: 'npm run bench:ingest',
    markdown: `${CONNECTIONS} connections for ${DURATION}s per row (autocannon, same machine, loopback). Every event has a unique id and comes
from a US visitor who accepted tracking, so every request is a real insert of events with their identifiers
(not an anonymous count). "Acknowledged → stored" counts the events in the database after the server stopped against
the events the server answered 2xx for: an acknowledgement is only sent after the transaction that holds the event
committed (SQLite in WAL mode with \`synchronous=NORMAL\`, which survives a crash or kill of the process; PostgreSQL
with its defaults). Both servers run with the project's Node options (\`.npmrc\`: \`--max-semi-space-size=64\`).
Reclaim runs with its default of ${INGEST_WORKERS} ingest worker thread(s) on this machine: a Segment batch (about 39 KB) is
parsed, validated, mapped and serialised there while the main thread commits; a single pixel event (about 2 KB) is
prepared on the main thread.

The server gives way to requests: while they keep coming, the event processor (identity, consent, journeys)
waits for a pause, unless the oldest unprocessed event has waited 30 s, so a burst is acknowledged at the
collector's speed and processed right after it. "Processed after" is how long after the end of the ${DURATION}s burst
the processor had processed every event of it; "sustained" divides the burst's events by the burst plus that
time — the rate at which this one process can both take in and process events for as long as the load lasts.

${table(['server', 'load', 'requests/s', 'events/s', 'p50 ms', 'p99 ms', 'ratio to baseline', 'acknowledged → stored', 'processed after, s', 'sustained events/s'], rows)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runIngestBench();
  writeSection(section);
  console.log(section.markdown);
}
