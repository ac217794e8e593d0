// SQL statements and transactions, counted at the database driver (`StatementCounter`): deterministic
// figures where this machine's clock is not. (a) The replay of a fixed simulated store, per stored event;
// (b) one pixel event on its own, from the HTTP request to the Klaviyo stand-in's request, by phase.
// `npm run bench:statements` — writes its section of BENCHMARKS.md. BENCH_STATEMENTS_SHOPPERS, _DAYS and
// _SEED shrink the store for a smoke run (default: `reclaim simulate --shoppers 3000 --days 21 --seed 7`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.ts';
import { DeliveryRunner } from '../src/delivery/delivery-runner.ts';
import { createEngine } from '../src/app/engine.ts';
import { ManualClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { buildApp } from '../src/app/build-app.ts';
import { simulate } from '../src/simulation/simulator.ts';
import { KlaviyoStandIn } from '../src/stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import {
  countsBetween,
  StatementCounter,
  type StatementCounts,
  type StatementKind,
} from '../src/store/statement-counter.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { sqliteDatabase } from './support/databases.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';
import { scoringReplay, type ScoringReplay } from './support/scoring-replay.ts';

const SHOPPERS = Number(process.env.BENCH_STATEMENTS_SHOPPERS ?? 3000);
const DAYS = Number(process.env.BENCH_STATEMENTS_DAYS ?? 21);
const SEED = process.env.BENCH_STATEMENTS_SEED ?? '7';
const SHOP = 'northwind-demo.myshopify.com';
const KINDS: StatementKind[] = ['select', 'insert', 'update', 'delete', 'other'];
const log = createLogger({ level: 'silent' });
const checkoutStarted = JSON.parse(
  readFileSync(new URL('../contracts/shopify/pixel-events/checkout_started.json', import.meta.url), 'utf8'),
) as {
  id: string;
  clientId: string;
  timestamp: string;
  data: { checkout: { email: string | null; token: string } };
};

const byKind = (counts: StatementCounts) => KINDS.map((kind) => fmt(counts.byKind[kind])).join(' / ');

/** The store with its commit group's disk commits counted too (replay groups its transactions). */
function countingCommitGroups(store: Store): { store: Store; commits: () => number } {
  const group = store.commitGroup;
  let commits = 0;
  if (!group) return { store, commits: () => 0 };
  return {
    store: {
      ...store,
      commitGroup: {
        open: () => group.open(),
        commit() {
          group.commit();
          commits++;
        },
      },
    },
    commits: () => commits,
  };
}

/** (a) The fixed store replayed into a fresh SQLite file and the Klaviyo stand-in, as `reclaim score` does. */
async function replayCounts() {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-statements-'));
  const db = sqliteDatabase();
  const counter = new StatementCounter();
  const opened = await openStore({ url: db.url, statementCounter: counter });
  let scoring: ScoringReplay | undefined;
  try {
    const meta = await simulate({
      profile: 'eu-fashion',
      shoppers: SHOPPERS,
      days: DAYS,
      seed: SEED,
      out: dir,
    });
    await migrateToLatest(opened);
    scoring = await scoringReplay(dir, meta);
    const { store, commits } = countingCommitGroups(opened);
    counter.reset();
    const summary = await scoring.replay(store);
    return {
      meta,
      summary,
      counts: counter.counts(),
      shapes: counter.topShapes(8),
      batches:
        counter.topShapes(Number.POSITIVE_INFINITY).find((s) => s.sql.startsWith('insert into "cursors"'))
          ?.count ?? 0,
      diskCommits: commits(),
    };
  } finally {
    await opened.close();
    await scoring?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Phase = 'ingest' | 'processing' | 'firing' | 'delivery';

/**
 * (b) A checkout started with an email and marketing consent, posted to `/v1/pixel` over a socket; the
 * event processed, its journey fired once the clock passes the checkout window, its trigger delivered to
 * the Klaviyo stand-in. Each phase is the work the server's loops run for it (their idle polling left
 * out), with the clock still: the counts are the same on every run.
 */
async function pixelEventCounts() {
  const db = sqliteDatabase();
  const standIn = new KlaviyoStandIn();
  const counter = new StatementCounter();
  const store = await openStore({ url: db.url, statementCounter: counter });
  try {
    await migrateToLatest(store);
    const config = loadConfig({
      env: {
        RECLAIM_DATABASE_URL: db.url,
        RECLAIM_INGEST_WORKERS: '0',
        RECLAIM_PIXEL_ORIGINS: `https://${SHOP}`,
        KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
        KLAVIYO_BASE_URL: await standIn.start(),
        KLAVIYO_RATE_LIMIT_SHARE: '1',
      },
    });
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 12));
    const engine = createEngine({ config, store, log, clock });
    const delivery = new DeliveryRunner({
      destinations: engine.destinations,
      store,
      clock,
      log,
      settings: config.delivery,
    });
    const app = await buildApp({ config, store, log, clock, engine });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const shopper = async (n: number) => {
      const phases = {} as Record<Phase, StatementCounts>;
      const measure = async (phase: Phase, work: () => Promise<unknown>) => {
        const before = counter.counts();
        await work();
        phases[phase] = countsBetween(before, counter.counts());
      };
      const received = standIn.events.length;
      await measure('ingest', async () => {
        const response = await fetch(`${url}/v1/pixel`, {
          method: 'POST',
          headers: {
            'content-type': 'text/plain;charset=UTF-8',
            origin: `https://${SHOP}`,
            'cf-ipcountry': 'US',
          },
          body: JSON.stringify(pixelBody(n, clock.now())),
        });
        if (response.status !== 200)
          throw new Error(`pixel answered ${response.status}: ${await response.text()}`);
      });
      await measure('processing', () => engine.processor.drain());
      clock.advanceBy(config.journeys.checkoutAfter + 60_000);
      await measure('firing', () => engine.pipeline.fireDue(clock.now()));
      await measure('delivery', () => delivery.drain());
      if (standIn.events.length !== received + 1)
        throw new Error(
          `expected one Klaviyo event, the stand-in received ${standIn.events.length - received}`,
        );
      return phases;
    };
    try {
      const first = await shopper(1);
      const warm = await shopper(2);
      return { first, warm };
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
    await standIn.close();
    await db.drop();
  }
}

/** One `checkout_started` of shopper `n`, typed email included, with every consent category allowed. */
function pixelBody(n: number, now: number) {
  const event = structuredClone(checkoutStarted);
  event.id = `sh-statements-${n}`;
  event.clientId = `client-statements-${n}`;
  event.timestamp = new Date(now - 500).toISOString();
  event.data.checkout.email = `shopper${n}@mail.example`;
  event.data.checkout.token = `checkout-statements-${n}`;
  return {
    events: [event],
    customerPrivacy: {
      analyticsProcessingAllowed: true,
      marketingAllowed: true,
      preferencesProcessingAllowed: true,
      saleOfDataAllowed: true,
    },
    init: { data: { customer: null, cart: null, shop: { myshopifyDomain: SHOP } } },
  };
}

const sameCounts = (a: Record<Phase, StatementCounts>, b: Record<Phase, StatementCounts>) =>
  JSON.stringify(a) === JSON.stringify(b);

/** The counts of every phase added up. */
function total(phases: Record<Phase, StatementCounts>): StatementCounts {
  const sum = countsBetween(phases.ingest, phases.ingest);
  for (const counts of Object.values(phases)) {
    sum.statements += counts.statements;
    for (const kind of KINDS) sum.byKind[kind] += counts.byKind[kind];
    sum.transactions += counts.transactions;
    sum.commits += counts.commits;
    sum.rollbacks += counts.rollbacks;
  }
  return sum;
}

export async function runStatementsBench(): Promise<BenchSection> {
  const replay = await replayCounts();
  const pixel = await pixelEventCounts();
  const stored = replay.summary.events.stored;
  const r = replay.counts;
  const replayRows = [
    [
      fmt(replay.summary.lines),
      fmt(stored),
      fmt(r.statements),
      fmt(r.statements / stored, 2),
      byKind(r),
      fmt(r.transactions),
      fmt(replay.diskCommits),
      fmt(replay.summary.triggers.total),
    ],
  ];
  const phaseRows = (phases: Record<Phase, StatementCounts>) => {
    const all = total(phases);
    return [
      ...(Object.entries(phases) as [Phase, StatementCounts][]).map(([phase, c]) => [
        phase,
        fmt(c.statements),
        byKind(c),
        fmt(c.transactions),
      ]),
      ['**total**', `**${fmt(all.statements)}**`, byKind(all), `**${fmt(all.transactions)}**`],
    ];
  };
  return {
    key: 'statements',
    title: 'Pipeline kernel: statements per event',
    command: 'npm run bench:statements',
    markdown: `SQL statements and transactions counted where the database driver runs them (\`src/store/statement-counter.ts\`;
transaction control not counted as statements). Counts, not times: the same code gives the same statements on any machine.

**(a) Replay of a fixed store** (\`reclaim simulate --shoppers ${SHOPPERS} --days ${DAYS} --seed ${SEED}\`, eu-fashion:
${fmt(replay.meta.lines)} requests carrying ${fmt(replay.meta.events)} events) into a fresh SQLite file and the Klaviyo
stand-in, as \`reclaim score\` replays it. Transactions are Kysely's; replay runs them as savepoints inside commit
groups, whose disk commits are counted apart. The event log commits the appends that arrive together as one
transaction, and on a file this long what arrives together follows the timing of the thread that reads it: so
transactions, and the log's inserts, may differ by a few dozen from run to run; the rest repeats exactly.

${table(['lines', 'stored events', 'statements', 'per stored event', 'select / insert / update / delete / other', 'transactions', 'disk commits', 'triggers'], replayRows)}

The event processor ran ${fmt(replay.batches)} batches (its cursor moved that often), ${fmt(
      replay.summary.events.stored / Math.max(1, replay.batches),
      1,
    )} stored events each on average: replay processes what each step ingested before the clock passes the next due
time. The statements it runs most, with their value lists folded:

${table(
  ['statements', 'SQL'],
  replay.shapes.map(({ sql, count }) => [
    fmt(count),
    `\`${sql.length > 110 ? `${sql.slice(0, 110)}…` : sql}\``,
  ]),
)}

**(b) One pixel event, HTTP to Klaviyo**: a \`checkout_started\` with a typed email and every consent category
allowed (US), posted to \`/v1/pixel\` over a socket; processed; its journey fired once the clock passes the
checkout window; its trigger delivered to the Klaviyo stand-in over HTTP. Each phase counts the calls the server's
loops make for it (\`processor.drain\`, \`pipeline.fireDue\`, \`DeliveryRunner.drain\`), not their
idle polling.

${
  sameCounts(pixel.first, pixel.warm)
    ? `${table(['phase', 'statements', 'select / insert / update / delete / other', 'transactions'], phaseRows(pixel.warm))}

The second shopper on the store; the first, on an empty store, counts the same.`
    : `First event on an empty store:

${table(['phase', 'statements', 'select / insert / update / delete / other', 'transactions'], phaseRows(pixel.first))}

The second shopper's:

${table(['phase', 'statements', 'select / insert / update / delete / other', 'transactions'], phaseRows(pixel.warm))}`
}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runStatementsBench();
  writeSection(section);
  console.log(section.markdown);
}
