// Day-one import: `reclaim shopify import`'s work — bulk export download, parse, map, append with
// checkpoints — against the Shopify stand-in in its own process, next to baselines that only generate, or
// download and parse, the same JSONL; the event log alone with the import's ids; and the engine processing
// a smaller import's events.
// `npm run bench:import` — writes its section of BENCHMARKS.md.
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config/load-config.ts';
import { createEngine } from '../src/app/engine.ts';
import type { CanonicalEvent } from '../src/event-log/canonical-event.ts';
import { EventLog, eventIdFor } from '../src/event-log/event-log.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { ShopifyAdminClient } from '../src/shopify/shopify-admin-api.ts';
import { jsonlLines, startBulkQuery, waitForBulkOperation } from '../src/shopify/shopify-bulk-operation.ts';
import { CHECKPOINT_LINES, runShopifyImport } from '../src/shopify/shopify-import.ts';
import { bulkQuery } from '../src/shopify/shopify-import-mapper.ts';
import { customerAt } from '../src/stand-ins/shopify-shop-data.ts';
import { ShopifyStandIn } from '../src/stand-ins/shopify-stand-in.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore } from '../src/store/store.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { startStandIn } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const CUSTOMERS = Number(process.env.BENCH_IMPORT_CUSTOMERS ?? 1_000_000);
const ORDERS = Number(process.env.BENCH_IMPORT_ORDERS ?? 200_000);
const CHECKOUTS = Number(process.env.BENCH_IMPORT_CHECKOUTS ?? 20_000);
/** The smaller shop whose imported events the engine then processes (its own stand-in). */
const PROCESS_CUSTOMERS = Number(process.env.BENCH_IMPORT_PROCESS_CUSTOMERS ?? 20_000);
/** Events appended in the event-log rows. */
const LOG_EVENTS = Number(process.env.BENCH_IMPORT_LOG_EVENTS ?? 1_000_000);
const DAYS = 180;
const DAY = 86_400_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 2 ** 20;

/**
 * Highest resident set while `run` runs, sampled every 100 ms from a thread of its own (a main thread busy
 * with database work does not run timers), and the JS heap in use when it ends. The stand-in runs apart.
 */
async function sampled<T>(run: () => Promise<T>): Promise<{ value: T; rss: number; heap: number }> {
  const peak = new Float64Array(new SharedArrayBuffer(8));
  const sampler = new Worker(
    `const { workerData } = require('node:worker_threads');
     const peak = workerData;
     setInterval(() => { peak[0] = Math.max(peak[0], process.memoryUsage.rss()); }, 100);`,
    { eval: true, workerData: peak },
  );
  try {
    const value = await run();
    return {
      value,
      rss: mib(Math.max(peak[0]!, process.memoryUsage.rss())),
      heap: mib(process.memoryUsage().heapUsed),
    };
  } finally {
    await sampler.terminate();
  }
}

type Row = (string | number)[];

/** Customers per second of each run, by run (`generator`, `baseline`, `sqlite:import`, `sqlite:scattered`…). */
const rates = new Map<string, number>();
const rate = (key: string) => fmt(rates.get(key) ?? 0);
let sqliteImportRss = 0;

/** The customers export's lines generated and serialised in this process: no HTTP, no parse. */
function generatorRow(): Row {
  const spec = { customers: CUSTOMERS, orders: 0, checkouts: 0, seed: 11, asOf: Date.now() };
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < CUSTOMERS; i++) bytes += JSON.stringify(customerAt(spec, i)).length;
  const perSecond = CUSTOMERS / ((performance.now() - started) / 1000);
  rates.set('generator', perSecond);
  return [
    'stand-in generator alone',
    `${fmt(CUSTOMERS)} customers, ${fmt(mib(bytes))} MiB`,
    fmt(perSecond),
    '–',
    '–',
    '–',
  ];
}

/**
 * The event log alone: `LOG_EVENTS` events shaped like the import's, appended `2 × CHECKPOINT_LINES` per
 * transaction, once with ids as the import makes them (times scattered over the customers' 1,000 days)
 * and once with the same keys at rising times.
 */
async function eventLogRows(fresh: () => Promise<BenchDatabase | undefined>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const order of ['scattered', 'rising'] as const) {
    const db = await fresh();
    if (!db) return rows;
    const store = await openStore({ url: db.url });
    await migrateToLatest(store);
    const log = new EventLog(store);
    const now = Date.now();
    const perCommit = 2 * CHECKPOINT_LINES;
    const { value: seconds, rss } = await sampled(async () => {
      const started = performance.now();
      for (let base = 0; base < LOG_EVENTS; base += perCommit) {
        const events: CanonicalEvent[] = [];
        for (let i = base; i < Math.min(LOG_EVENTS, base + perCommit); i++) {
          const key = `shopify_import:bench.myshopify.com:customer:${8_100_000_000_000 + i}:${i}`;
          const at =
            order === 'rising'
              ? now - LOG_EVENTS + i
              : now - Math.floor(((Math.imul(i, 0x9e3779b1) >>> 0) / 2 ** 32) * 1_000 * DAY);
          events.push({
            id: eventIdFor(key, at),
            kind: 'customer_update',
            source: 'shopify_import',
            name: 'shopify_import/customers',
            idempotencyKey: key,
            eventTime: at,
            receivedAt: now,
            ids: { customerId: String(8_100_000_000_000 + i), email: `shopper${i}@example.com` },
            context: { shop: 'bench.myshopify.com', geo: { customerCountry: 'DE' } },
          });
        }
        await log.append(events);
      }
      return (performance.now() - started) / 1000;
    });
    rates.set(`${db.name}:${order}`, LOG_EVENTS / seconds / 2);
    rows.push([
      `${db.name}: event log alone, ids ${order === 'scattered' ? 'as the import makes them (times scattered)' : 'at rising times'}`,
      `${fmt(LOG_EVENTS)} events, ${fmt(perCommit)} per transaction`,
      `${fmt(LOG_EVENTS / seconds)} events/s (${fmt(LOG_EVENTS / seconds / 2)} customers/s at 2 events each)`,
      fmt(seconds, 1),
      '–',
      fmt(rss),
    ]);
    await store.close();
    await db.drop();
  }
  return rows;
}

export async function runImportBench(): Promise<BenchSection> {
  const standIn = await startStandIn('shopify', [
    '--customers',
    String(CUSTOMERS),
    '--orders',
    String(ORDERS),
    '--checkouts',
    String(CHECKOUTS),
    '--seed',
    '11',
  ]);
  const clientOf = (url: string) => () =>
    new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: ShopifyStandIn.DEFAULT_TOKEN,
      baseUrl: url,
      sleep,
    });
  const rows: Row[] = [];
  const processRows: Row[] = [];
  let baselineRate = 0;
  try {
    rows.push(generatorRow());
    // Baseline: the customers export downloaded and every line parsed, nothing stored.
    const client = clientOf(standIn.url);
    const op = await startBulkQuery(client(), bulkQuery('customers', 0));
    const done = await waitForBulkOperation(client(), op, sleep, 50);
    const baseline = await sampled(async () => {
      const started = performance.now();
      let lines = 0;
      for await (const line of jsonlLines(done!.url!)) {
        JSON.parse(line);
        lines++;
      }
      return lines / ((performance.now() - started) / 1000);
    });
    baselineRate = baseline.value;
    rates.set('baseline', baselineRate);
    rows.push([
      'baseline (download + parse)',
      `${fmt(CUSTOMERS)} customers`,
      fmt(baselineRate),
      '–',
      '1.00',
      fmt(baseline.rss),
    ]);

    const databases = async () =>
      [sqliteDatabase(), await postgresDatabase()].filter((d): d is BenchDatabase => d !== undefined);
    for (const db of await databases()) {
      const store = await openStore({ url: db.url });
      await migrateToLatest(store);
      let customersSeconds = 0;
      let lastName = '';
      let exportStarted = performance.now();
      const started = performance.now();
      const { value: report, rss } = await sampled(() =>
        runShopifyImport({
          client: client(),
          store,
          shop: ShopifyStandIn.SHOP,
          days: DAYS,
          now: Date.now,
          sleep,
          onProgress(name) {
            if (name === lastName) return;
            if (lastName === 'customers') customersSeconds = (performance.now() - exportStarted) / 1000;
            lastName = name;
            exportStarted = performance.now();
          },
        }),
      );
      const importSeconds = (performance.now() - started) / 1000;
      const customersRate = CUSTOMERS / customersSeconds;
      rates.set(`${db.name}:import`, customersRate);
      if (db.name === 'sqlite') sqliteImportRss = rss;
      rows.push([
        `${db.name}: import`,
        `${fmt(report.counts.customers?.lines ?? 0)} customers, ${fmt(report.counts.orders?.lines ?? 0)} orders, ${fmt(report.counts.checkouts?.lines ?? 0)} checkouts`,
        fmt(customersRate),
        fmt(importSeconds, 1),
        fmt(customersRate / baselineRate, 2),
        fmt(rss),
      ]);
      await store.close();
      await db.drop();
    }
    rows.push(...(await eventLogRows(() => Promise.resolve(sqliteDatabase()))));
    rows.push(...(await eventLogRows(postgresDatabase)));
  } finally {
    await standIn.stop();
  }

  const small = await startStandIn('shopify', [
    '--customers',
    String(PROCESS_CUSTOMERS),
    '--orders',
    String(PROCESS_CUSTOMERS / 5),
    '--checkouts',
    String(PROCESS_CUSTOMERS / 50),
    '--seed',
    '11',
  ]);
  try {
    for (const db of [sqliteDatabase(), await postgresDatabase()]) {
      if (!db) continue;
      const store = await openStore({ url: db.url });
      await migrateToLatest(store);
      const imported = await sampled(() =>
        runShopifyImport({
          client: clientOf(small.url)(),
          store,
          shop: ShopifyStandIn.SHOP,
          days: DAYS,
          now: Date.now,
          sleep,
        }),
      );
      const engine = createEngine({
        config: loadConfig({ env: { RECLAIM_DATABASE_URL: db.url } }),
        store,
        log: createLogger({ level: 'silent' }),
        clock: systemClock,
      });
      const started = performance.now();
      const processed = await sampled(() => engine.processor.drain());
      const seconds = (performance.now() - started) / 1000;
      processRows.push([
        db.name,
        `${fmt(PROCESS_CUSTOMERS)} customers, ${fmt(imported.value.counts.orders?.lines ?? 0)} orders, ${fmt(imported.value.counts.checkouts?.lines ?? 0)} checkouts`,
        `${fmt(processed.value)} events in ${fmt(seconds, 1)} s (${fmt(processed.value / seconds)}/s)`,
        fmt(imported.rss),
        fmt(processed.rss),
        fmt(processed.heap),
      ]);
      await store.close();
      await db.drop();
    }
  } finally {
    await small.stop();
  }

  return {
    key: 'import',
    title: 'Shopify import',
    command: `BENCH_IMPORT_CUSTOMERS=${CUSTOMERS} BENCH_IMPORT_ORDERS=${ORDERS} npm run bench:import`,
    markdown: `\`reclaim shopify import\`'s work against the Shopify stand-in (\`reclaim stand-in shopify\`, its own process,
generating the shop line by line): ${fmt(CUSTOMERS)} customers with their email and SMS consent, ${fmt(ORDERS)} orders over
180 days and ${fmt(CHECKOUTS)} abandoned checkouts, all imported (\`--days ${DAYS}\`). "Customers/s" of an import is the
customers export — download, parse, map to events, append to the event log with a checkpoint every
${fmt(CHECKPOINT_LINES)} lines — against the baseline, which downloads and parses the same export and stores nothing; the
generator row makes and serialises the same lines in the bench process, without HTTP. The event-log rows append
${fmt(LOG_EVENTS)} events shaped like the import's through \`EventLog\` alone, with ids as the import makes them and with the
same keys at rising times. Peak RSS is the bench process's highest resident set while that row ran, sampled every
100 ms from a thread of its own (the stand-in runs apart). Load average at the end of the run:
${loadavg()
  .map((l) => fmt(l, 1))
  .join(', ')} (on a shared machine, a load above its core count slows every row alike).

${table(['run', 'work', 'customers/s', 'seconds (all exports)', 'ratio to baseline', 'peak RSS MiB'], rows)}

**What bounds it.** The goal is 20,000 customers/s on SQLite; the import stores ${rate('sqlite:import')}. The stand-in is not
the bound: it serves ${rate('baseline')} customers/s (download and parse) and generates ${rate('generator')}/s. The event log is:
appending the import's events alone reaches ${rate('sqlite:scattered')} customers/s with the ids the import makes, and
${rate('sqlite:rising')} with the same events at rising times. An event id starts with the event's own time, so for live
traffic the unique index on \`events.id\` grows at its end; an import's times are its customers' consent and update
times, scattered over years, so each transaction of ${fmt(2 * CHECKPOINT_LINES)} events writes pages all over that index — at a
million customers its 2 million entries fill some 20,000 leaf pages, and 8,000 scattered inserts dirty about 7,000
of them, each written whole (4 KiB) to SQLite's log at commit and copied again by the checkpointer. A CPU profile of a 1,000,000-customer
import (\`node --cpu-prof\`, load about 11, 2026-12-04) put the main thread's time in executing the inserts (29 %),
committing them (21 %, writing those pages), garbage collection (11 %), mapping lines to events (12 %, of which phone
validation 4 %) and serialising them (4 %); the checkpointer's thread spent 47 s copying the log into the database.
Larger transactions do not help: 40,000 lines per checkpoint stored 3,712 customers/s against 7,926 with 4,000 in the
same conditions, and held 844 MiB, as the pages a transaction dirties outgrow SQLite's 128 MiB page cache. Ids that
rise in the export's order would lift the bound, but they would change the ids of imported events, and a rerun over
an import stored before the change would store every line again: a decision about stored data, not made here. On PostgreSQL
the scattered ids cost nothing extra (its event-log rows are alike), so its import is bound elsewhere, which this
pass did not profile.

**Memory.** The goal of a resident set under 400 MB is missed: the SQLite import peaked at ${fmt(sqliteImportRss)} MiB in this
run, in a process that had generated and parsed the whole export before it. Run alone (2026-12-04, sampled every
100,000 lines of a million-customer import), it stays flat at 389–435 MiB however far it gets: the export is
streamed and at most one checkpoint's events are held. About the baseline row's figure is the process itself, up to
128 MiB is SQLite's page cache (\`cache_size\`, a store setting, full once the database outgrows it) and the rest is
the JS heap, which V8 keeps reserved once grown. What the engine adds when it processes the imported events is its
own, and not held: after it processed a 20,000-customer import (44,896 events, SQLite, 2026-12-04), a heap snapshot held
52 MiB of live objects (strings 15, compiled code 10, plain objects 8), while the JS heap had reached 171 MiB in use
and 192 MiB reserved — the working set of its batches, which V8 keeps reserved once grown — next to SQLite's page
cache, for 382 MiB resident.

Processing a full-size import through the engine would take hours at its rate, so it is measured on a smaller
shop (its own stand-in): the import, then the engine putting its events through identity, the consent ledger and
purchases.

${table(['store', 'imported', 'processing', 'peak RSS MiB, import', 'peak RSS MiB, processing', 'JS heap MiB after processing'], processRows)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runImportBench();
  writeSection(section);
  console.log(section.markdown);
}
