// Identity throughput: the event processor resolving and linking a realistic event mix against a
// graph already holding 1,000,000 identifiers, next to a baseline that only reads the same events.
// `npm run bench:identity` — writes its section of BENCHMARKS.md.
import { memoryUsage } from 'node:process';
import { EventProcessor } from '../src/pipeline/event-processor.ts';
import { IdentityResolver } from '../src/identity/identity-resolver.ts';
import { identityRules } from '../src/app/engine.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { CanonicalEvent, EventKind } from '../src/event-log/canonical-event.ts';
import { EventLog, eventIdFor, readStoredEvent } from '../src/event-log/event-log.ts';
import { ManualClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const IDENTIFIERS = Number(process.env.BENCH_IDENTIFIERS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PER_PROFILE = 4;
const T0 = Date.UTC(2026, 9, 1);
const SEED_COUNTS = JSON.stringify({ clientId: 1, email: 1, cartToken: 1, checkoutToken: 1 });

/** Deterministic pseudo-random numbers, so every run measures the same mix. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Profiles of four identifiers each: a browser, an email, a cart, a checkout. */
async function preload(store: Store): Promise<number> {
  const profiles = IDENTIFIERS / PER_PROFILE;
  for (let start = 0; start < profiles; start += 25_000) {
    await store.db.transaction().execute(async (trx) => {
      for (let p = start; p < Math.min(profiles, start + 25_000); p += 100) {
        const ids = Array.from({ length: Math.min(100, profiles - p) }, (_, i) => p + i);
        await trx
          .insertInto('profiles')
          .values(
            ids.map((i) => ({
              id: `pr_seed${i}`,
              created_at: T0,
              updated_at: T0,
              merged_into: null,
              counts_json: SEED_COUNTS,
              customer_id: null,
            })),
          )
          .execute();
        await trx
          .insertInto('identifiers')
          .values(
            ids.flatMap((i) =>
              (
                [
                  ['clientId', `client-${i}`],
                  ['email', `shopper${i}@mail.example`],
                  ['cartToken', `cart-${i}`],
                  ['checkoutToken', `chk-${i}`],
                ] as const
              ).map(([type, value]) => ({
                key: `${type}:${value}`,
                type,
                value,
                profile_id: `pr_seed${i}`,
                first_seen: T0,
                last_seen: T0,
                linked_at: T0,
                confirmed_at: null,
                status: 'active',
              })),
            ),
          )
          .execute();
      }
    });
  }
  return profiles;
}

/**
 * A live store's traffic as sessions, interleaved in time: 70 % from returning shoppers' browsers, 30 %
 * from new ones; each session views a few pages and products, a third add to cart, one in eight types an
 * email at checkout (half of them a returning shopper's address), one in twenty orders.
 */
function mix(profiles: number, count: number): CanonicalEvent[] {
  const rnd = random(42);
  const events: CanonicalEvent[] = [];
  let session = 0;
  while (events.length < count) {
    session++;
    const known = Math.floor(rnd() * profiles);
    const returning = rnd() < 0.7;
    const client = returning ? `client-${known}` : `client-new-${session}`;
    const start = T0 + 86_400_000 + session * 2_000;
    const length = 3 + Math.floor(rnd() * 10);
    const carts = rnd() < 0.33;
    const checkout = carts && rnd() < 0.4;
    const orders = checkout && rnd() < 0.5;
    const email = returning || rnd() < 0.5 ? `shopper${known}@mail.example` : `new${session}@mail.example`;
    for (let n = 0; n < length && events.length < count; n++) {
      let kind: EventKind = n === 0 ? 'page_view' : 'product_view';
      let ids: CanonicalEvent['ids'] = { clientId: client };
      if (carts && n === length - 3)
        [kind, ids] = ['cart_add', { clientId: client, cartToken: `cart-s${session}` }];
      if (checkout && n === length - 2)
        [kind, ids] = [
          'checkout_contact',
          { clientId: client, cartToken: `cart-s${session}`, checkoutToken: `chk-s${session}`, email },
        ];
      if (orders && n === length - 1)
        [kind, ids] = [
          'order_completed',
          { email, checkoutToken: `chk-s${session}`, orderId: `order-${session}` },
        ];
      const time = start + n * 60_000;
      const key = `bench:${session}:${n}`;
      events.push({
        id: eventIdFor(key, time),
        kind,
        source: 'pixel',
        name: kind,
        idempotencyKey: key,
        eventTime: time,
        receivedAt: time,
        ids,
        context: {},
      });
    }
  }
  return events.sort((a, b) => a.eventTime - b.eventTime);
}

interface Run {
  eventsPerSec: number;
  seconds: number;
}

/** Baseline: read the same events in batches and move a cursor, without resolving anything. */
async function readOnly(store: Store): Promise<Run> {
  const started = performance.now();
  let cursor = 0;
  for (;;) {
    const rows = await store.db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    rows.forEach(readStoredEvent);
    cursor = rows.at(-1)!.seq;
    await store.db
      .insertInto('cursors')
      .values({ name: 'bench-baseline', position: cursor })
      .onConflict((oc) => oc.column('name').doUpdateSet({ position: cursor }))
      .execute();
  }
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSec: EVENTS / seconds, seconds };
}

async function resolveAll(store: Store): Promise<Run> {
  const config = loadConfig({ env: {} });
  const processor = new EventProcessor({
    store,
    log: createLogger({ level: 'silent' }),
    clock: new ManualClock(T0),
    resolver: new IdentityResolver(identityRules(config)),
  });
  const started = performance.now();
  const processed = await processor.drain();
  const seconds = (performance.now() - started) / 1000;
  if (processed !== EVENTS) throw new Error(`processed ${processed} of ${EVENTS}`);
  return { eventsPerSec: EVENTS / seconds, seconds };
}

export async function runIdentityBench(): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  const databases = [sqliteDatabase(), await postgresDatabase()].filter(
    (d): d is BenchDatabase => d !== undefined,
  );
  for (const db of databases) {
    const store = await openStore({ url: db.url });
    await migrateToLatest(store);
    const loadStart = performance.now();
    const profiles = await preload(store);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await new EventLog(store).append(mix(profiles, EVENTS));
    const baseline = await readOnly(store);
    const identity = await resolveAll(store);
    const { rss, heapUsed } = memoryUsage();
    const identifiers = await store.db
      .selectFrom('identifiers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    rows.push([
      db.name,
      fmt(IDENTIFIERS),
      fmt(EVENTS),
      fmt(baseline.eventsPerSec),
      fmt(identity.eventsPerSec),
      fmt(identity.eventsPerSec / baseline.eventsPerSec, 2),
      fmt(Number(identifiers.n)),
      `${fmt(rss / 2 ** 20)} MiB (heap ${fmt(heapUsed / 2 ** 20)} MiB)`,
      fmt(loadSeconds, 1),
    ]);
    await store.close();
    await db.drop();
  }
  return {
    key: 'identity',
    title: 'Identity',
    command: 'npm run bench:identity',
    markdown: `The graph is preloaded with ${fmt(IDENTIFIERS)} identifiers (${fmt(IDENTIFIERS / PER_PROFILE)} profiles of a browser, an
email, a cart and a checkout). Then ${fmt(EVENTS)} events of a live store's mix go through the event processor:
shoppers' sessions of 3–12 events (70 % of sessions from returning browsers, a third adding to cart, one in
eight typing an email at checkout, one in twenty ordering), interleaved in time as a live store's traffic
is — every event resolved, linked, merged where the evidence says so, and committed with the cursor, 1,000
per transaction. The baseline reads the same events from the log and moves a cursor,
without resolving anything. Memory is the process's resident set and the heap in use after the run.

${table(['database', 'identifiers loaded', 'events', 'baseline (read log) events/s', 'resolve + link events/s', 'ratio to baseline', 'identifiers after', 'memory', 'preload s'], rows)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runIdentityBench();
  writeSection(section);
  console.log(section.markdown);
}
