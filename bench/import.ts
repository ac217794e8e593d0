// Day-one import: `reclaim shopify import`'s work — bulk export download, parse, map, append with
// checkpoints, then the engine processing what was stored — against the Shopify stand-in in its own
// process, next to a baseline that only downloads and parses the same JSONL.
// `npm run bench:import` — writes its section of BENCHMARKS.md.
import { loadavg } from 'node:os';
import { resourceUsage } from 'node:process';
import { loadConfig } from '../src/config/load-config.ts';
import { createEngine } from '../src/engine/engine.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { ShopifyAdminClient } from '../src/shopify/shopify-admin-api.ts';
import { jsonlLines, startBulkQuery, waitForBulkOperation } from '../src/shopify/shopify-bulk-operation.ts';
import { runShopifyImport } from '../src/shopify/shopify-import.ts';
import { bulkQuery } from '../src/shopify/shopify-import-mapper.ts';
import { ShopifyStandIn } from '../src/stand-ins/shopify-stand-in.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore } from '../src/store/store.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { startStandIn } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const CUSTOMERS = Number(process.env.BENCH_IMPORT_CUSTOMERS ?? 1_000_000);
const ORDERS = Number(process.env.BENCH_IMPORT_ORDERS ?? 200_000);
const CHECKOUTS = Number(process.env.BENCH_IMPORT_CHECKOUTS ?? 20_000);
const DAYS = 180;

const peakRssMiB = () => resourceUsage().maxRSS / 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  const client = () =>
    new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: ShopifyStandIn.DEFAULT_TOKEN,
      baseUrl: standIn.url,
      sleep,
    });
  const rows: (string | number)[][] = [];
  try {
    // Baseline: the customers export downloaded and every line parsed, nothing stored.
    const op = await startBulkQuery(client(), bulkQuery('customers', 0));
    const done = await waitForBulkOperation(client(), op, sleep, 50);
    let started = performance.now();
    let lines = 0;
    for await (const line of jsonlLines(done!.url!)) {
      JSON.parse(line);
      lines++;
    }
    const baselineRate = lines / ((performance.now() - started) / 1000);
    rows.push([
      'baseline (download + parse)',
      '–',
      fmt(baselineRate),
      '–',
      '–',
      '1.00',
      '–',
      fmt(peakRssMiB()),
      '–',
    ]);

    const databases = [sqliteDatabase(), await postgresDatabase()].filter(
      (d): d is BenchDatabase => d !== undefined,
    );
    for (const db of databases) {
      const store = await openStore({ url: db.url });
      await migrateToLatest(store);
      let customersSeconds = 0;
      let lastName = '';
      let exportStarted = performance.now();
      started = performance.now();
      const report = await runShopifyImport({
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
      });
      const importSeconds = (performance.now() - started) / 1000;
      const importRss = peakRssMiB();
      const processStarted = performance.now();
      const engine = createEngine({
        config: loadConfig({ env: { RECLAIM_DATABASE_URL: db.url } }),
        store,
        log: createLogger({ level: 'silent' }),
        clock: systemClock,
      });
      const events = await engine.processor.drain();
      const processSeconds = (performance.now() - processStarted) / 1000;
      const customersRate = CUSTOMERS / customersSeconds;
      rows.push([
        db.name,
        `${fmt(report.counts.customers?.lines ?? 0)} customers, ${fmt(report.counts.orders?.lines ?? 0)} orders, ${fmt(report.counts.checkouts?.lines ?? 0)} checkouts`,
        fmt(customersRate),
        fmt(importSeconds, 1),
        `${fmt(events)} events in ${fmt(processSeconds, 1)} s (${fmt(events / processSeconds)}/s)`,
        fmt(customersRate / baselineRate, 2),
        fmt(CUSTOMERS / (importSeconds + processSeconds)),
        fmt(importRss),
        fmt(peakRssMiB()),
      ]);
      await store.close();
      await db.drop();
    }
  } finally {
    await standIn.stop();
  }
  return {
    key: 'import',
    title: 'Shopify import',
    command: `BENCH_IMPORT_CUSTOMERS=${CUSTOMERS} BENCH_IMPORT_ORDERS=${ORDERS} npm run bench:import`,
    markdown: `\`reclaim shopify import\`'s work against the Shopify stand-in (\`reclaim stand-in shopify\`, its own process,
generating the shop line by line): ${fmt(CUSTOMERS)} customers with their email and SMS consent, ${fmt(ORDERS)} orders over
180 days and ${fmt(CHECKOUTS)} abandoned checkouts, all imported (\`--days ${DAYS}\`). "Customers/s (stored)" is the customers
export — download, parse, map to events, append to the event log with a checkpoint every 4,000 lines — against
the baseline, which downloads and parses the same export and stores nothing. "Processing" is the engine then
putting those events through identity, the consent ledger and purchases; "customers/s end to end" divides the
customers by import plus processing time. Peak memory is the bench process's maximum resident set so far
(the stand-in runs apart), taken after the import and again after processing; each row includes the rows
above it. Load average at the end of the run:
${loadavg()
  .map((l) => fmt(l, 1))
  .join(', ')} (on a shared machine, a load above its core count slows every row alike).

${table(['run', 'exported', 'customers/s (stored)', 'import s (all exports)', 'processing', 'ratio to baseline', 'customers/s end to end', 'peak RSS MiB after import', 'peak RSS MiB after processing'], rows)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runImportBench();
  writeSection(section);
  console.log(section.markdown);
}
