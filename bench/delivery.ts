// Delivery to Klaviyo at Klaviyo's published limits: sustained single events per second against the
// Events API limit (3,500/min), and the drain time of a 100,000-trigger backlog through the bulk
// endpoint against the fastest its limit allows. Both against the local Klaviyo stand-in, which
// enforces the limits with 429s as Klaviyo does. `npm run bench:delivery` — writes its section of
// BENCHMARKS.md.
import { loadConfig } from '../src/config/load-config.ts';
import { consentSignals } from '../src/consent/consent-signals.ts';
import { resolveJurisdiction } from '../src/consent/jurisdiction.ts';
import { DeliveryRunner } from '../src/delivery/delivery-runner.ts';
import { outboxTriggerSink } from '../src/delivery/outbox-trigger-sink.ts';
import { enabledDestinations } from '../src/destinations/registry.ts';
import type { TriggerBody } from '../src/journeys/firing.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { KlaviyoStandIn } from '../src/stand-ins/klaviyo-stand-in.ts';
import { startStandIn } from './support/processes.ts';
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from './support/databases.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const SUSTAINED_SECONDS = Number(process.env.BENCH_DELIVERY_SECONDS ?? 125);
const BACKLOG = Number(process.env.BENCH_DELIVERY_BACKLOG ?? 100_000);
/** Klaviyo's published limits (`x-klaviyo-ratelimit`). */
const EVENTS_PER_MINUTE = 3500;
const BULK_PER_SECOND = 10;
const BULK_PER_MINUTE = 150;
const BULK_SIZE = 1000;

const jurisdiction = resolveJurisdiction([{ country: 'US', region: 'US-NY' }]);

/** A fired cart trigger for shopper `n`, as the journey stage stores it. */
function trigger(n: number, at: number): TriggerBody {
  return {
    id: `tr_bench_${n}`,
    journeyId: `jn_bench_${n}`,
    profileId: `pr_bench_${n}`,
    stage: 'cart',
    dueAt: at,
    firedAt: at,
    items: [
      {
        productId: '632910392',
        variantId: '808950810',
        title: 'Organic Cotton Tee',
        price: '32.00',
        quantity: 2,
      },
    ],
    value: '64.00',
    currency: 'USD',
    recoveryUrl: 'https://northwind-demo.myshopify.com/cart/808950810:2',
    shop: 'northwind-demo.myshopify.com',
    recipient: {
      email: { value: `shopper${n}@mail.example`, reason: 'asserted_in_journey' },
      phone: { refused: 'none_known' },
    },
    decisions: {
      email: { allowed: true, basis: 'can_spam_opt_out', recordIds: [] },
      sms: { allowed: false, reason: 'no_contact', recordIds: [] },
    },
    jurisdiction: { regime: 'US', country: 'US', region: 'US-NY', signals: jurisdiction.signals },
    signals: consentSignals({ jurisdiction, recorded: {}, gpc: false }),
    native: { klaviyoLikelySaw: false, reason: 'klaviyo_script_not_seen' },
  };
}

/** Stores `count` triggers and queues them, as firing does, in transactions of 2,000. */
async function fire(store: Store, config: ReturnType<typeof loadConfig>, count: number): Promise<number> {
  const sink = outboxTriggerSink(enabledDestinations(config));
  const started = performance.now();
  const now = Date.now();
  for (let start = 0; start < count; start += 2000) {
    const part = Array.from({ length: Math.min(2000, count - start) }, (_, i) => trigger(start + i, now));
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < part.length; i += 200) {
        await trx
          .insertInto('triggers')
          .values(
            part.slice(i, i + 200).map((t) => ({
              id: t.id,
              journey_id: t.journeyId,
              profile_id: t.profileId,
              stage: t.stage,
              due_at: t.dueAt,
              fired_at: t.firedAt,
              created_at: now,
              body_json: JSON.stringify(t),
            })),
          )
          .execute();
      }
      await sink(trx, part, now);
    });
  }
  return performance.now() - started;
}

async function setup(db: BenchDatabase, standIn: { url: string }, overrides: Record<string, unknown>) {
  const config = loadConfig({
    env: {
      RECLAIM_DATABASE_URL: db.url,
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: standIn.url,
      KLAVIYO_RATE_LIMIT_SHARE: '1',
    },
    overrides,
  });
  const store = await openStore({ url: config.databaseUrl });
  await migrateToLatest(store);
  const runner = new DeliveryRunner({
    destinations: enabledDestinations(config),
    store,
    clock: systemClock,
    log: createLogger({ level: 'silent' }),
    settings: config.delivery,
  });
  return { config, store, runner };
}

/** Single events for SUSTAINED_SECONDS: the first second's burst, then the steady rate. */
async function sustained() {
  const db = sqliteDatabase();
  const standIn = await startStandIn('klaviyo');
  const { config, store, runner } = await setup(db, standIn, { 'klaviyo.bulkBacklog': 1_000_000 });
  await fire(store, config, Math.ceil((EVENTS_PER_MINUTE / 60) * SUSTAINED_SECONDS * 1.2) + 400);
  const counts: number[] = [];
  const started = performance.now();
  await runner.start();
  for (let s = 1; s <= SUSTAINED_SECONDS; s++) {
    await new Promise((r) => setTimeout(r, started + s * 1000 - performance.now()));
    counts.push((await standIn.stats()).events as number);
  }
  await runner.stop();
  const { throttled } = await standIn.stats();
  await store.close();
  await standIn.stop();
  await db.drop();
  // Each minute's allowance goes out at the burst rate, then the limiter waits for the window to move:
  // over two whole windows (121 s from the first send) that is the sustained rate of a long backlog.
  const span = Math.min(121, SUSTAINED_SECONDS);
  const steady = counts[span - 1]! / span;
  return { burst: counts[0]!, steady, total: counts.at(-1)!, throttled: throttled as number };
}

/** Raw capacity of the stand-in (no rate limit), to show the limit — not the machine — sets the pace. */
async function standInCapacity() {
  const standIn = new KlaviyoStandIn({ rateLimits: false });
  const url = await standIn.start();
  // In this process: the stand-in's own pace, with a client on another core would only be faster.
  const body = (n: number) =>
    JSON.stringify({
      data: {
        type: 'event',
        attributes: {
          properties: { stage: 'cart' },
          unique_id: `cap-${n}`,
          metric: { data: { type: 'metric', attributes: { name: 'Reclaim Cart Abandonment' } } },
          profile: { data: { type: 'profile', attributes: { email: `cap${n}@mail.example` } } },
        },
      },
    });
  let sent = 0;
  const until = performance.now() + 3000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        const res = await fetch(`${url}/api/events`, {
          method: 'POST',
          headers: {
            authorization: `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`,
            revision: '2026-07-15',
            'content-type': 'application/vnd.api+json',
          },
          body: body(sent++),
        });
        await res.arrayBuffer();
      }
    }),
  );
  await standIn.close();
  return sent / 3;
}

/**
 * How long the stand-in itself takes per 1,000-event bulk request (no rate limit, 3 in flight, bodies
 * built beforehand): the other floor under the drain time, which real Klaviyo does not have.
 */
async function bulkCapacity() {
  const standIn = new KlaviyoStandIn({ rateLimits: false });
  const url = await standIn.start();
  const requests = 12;
  const bodies = Array.from({ length: requests }, (_, r) =>
    JSON.stringify({
      data: {
        type: 'event-bulk-create-job',
        attributes: {
          'events-bulk-create': {
            data: Array.from({ length: BULK_SIZE }, (_, i) => {
              const t = trigger(r * BULK_SIZE + i, Date.now());
              return {
                type: 'event-bulk-create',
                attributes: {
                  profile: {
                    data: {
                      type: 'profile',
                      attributes: { email: `shopper${r * BULK_SIZE + i}@mail.example` },
                    },
                  },
                  events: {
                    data: [
                      {
                        type: 'event',
                        attributes: {
                          properties: {
                            reclaim_trigger_id: t.id,
                            stage: t.stage,
                            items: t.items,
                            recovery_url: t.recoveryUrl,
                          },
                          time: new Date(t.firedAt).toISOString(),
                          value: 64,
                          value_currency: 'USD',
                          unique_id: t.id,
                          metric: {
                            data: { type: 'metric', attributes: { name: 'Reclaim Cart Abandonment' } },
                          },
                        },
                      },
                    ],
                  },
                },
              };
            }),
          },
        },
      },
    }),
  );
  const started = performance.now();
  const queue = [...bodies];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let body = queue.shift(); body; body = queue.shift()) {
        const res = await fetch(`${url}/api/event-bulk-create-jobs`, {
          method: 'POST',
          headers: {
            authorization: `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`,
            revision: '2026-07-15',
            'content-type': 'application/vnd.api+json',
          },
          body,
        });
        if (res.status !== 202) throw new Error(`stand-in refused a bulk request: ${await res.text()}`);
      }
    }),
  );
  const perRequest = (performance.now() - started) / requests;
  await standIn.close();
  return perRequest;
}

/** A backlog of BACKLOG triggers drained through the bulk endpoint. */
async function backlog(db: BenchDatabase) {
  const standIn = await startStandIn('klaviyo');
  const { config, store, runner } = await setup(db, standIn, {});
  const enqueueMs = await fire(store, config, BACKLOG);
  const started = performance.now();
  await runner.drain();
  const drainMs = performance.now() - started;
  const delivered = await store.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'delivered')
    .executeTakeFirstOrThrow();
  const stats = await standIn.stats();
  await store.close();
  await standIn.stop();
  await db.drop();
  return {
    dialect: db.name,
    enqueueMs,
    drainMs,
    delivered: Number(delivered.n),
    recorded: stats.events as number,
    bulkRequests: (stats.requests['/api/event-bulk-create-jobs']?.['202'] ?? 0) as number,
    throttled: stats.throttled as number,
  };
}

/** The fastest Klaviyo's bulk limit allows for `events`: 10 requests a second, 150 a minute. */
function bulkFloorSeconds(events: number): number {
  const requests = Math.ceil(events / BULK_SIZE);
  const minutes = Math.floor((requests - 1) / BULK_PER_MINUTE);
  const rest = requests - minutes * BULK_PER_MINUTE;
  return minutes * 60 + (rest - 1) / BULK_PER_SECOND;
}

export async function runDeliveryBench(): Promise<BenchSection> {
  const capacity = await standInCapacity();
  const bulkMs = await bulkCapacity();
  const single = await sustained();
  const databases: BenchDatabase[] = [sqliteDatabase()];
  const pg = await postgresDatabase();
  if (pg) databases.push(pg);
  const drains = [];
  for (const db of databases) drains.push(await backlog(db));
  const limit = EVENTS_PER_MINUTE / 60;
  const floor = bulkFloorSeconds(BACKLOG);
  const standInFloor = (bulkMs * Math.ceil(BACKLOG / BULK_SIZE)) / 1000;
  const markdown = `Against the Klaviyo stand-in on loopback, which enforces Klaviyo's per-account limits with fixed
one-second and one-minute windows and answers 429 with \`Retry-After\` as Klaviyo does. Reclaim runs with
\`klaviyo.rateLimitShare\` = 1 (the whole quota; the default 0.9 leaves a tenth to the store's other apps).

**Sustained single events** (\`POST /api/events\`, ${SUSTAINED_SECONDS} s, bulk endpoint off). Klaviyo allows
350/s in bursts and 3,500/min steady (${fmt(limit, 1)}/s). The stand-in alone, without limits, takes
${fmt(capacity)} events/s from 16 connections — the limit, not Reclaim or the machine, sets the pace.

${table(
  ['measure', 'Reclaim', 'Klaviyo limit (baseline)', 'ratio'],
  [
    ['first second (burst)', fmt(single.burst), '350', fmt(single.burst / 350, 2)],
    [
      'sustained, over two minute windows (events/s)',
      fmt(single.steady, 1),
      fmt(limit, 1),
      fmt(single.steady / limit, 2),
    ],
    [`delivered in ${SUSTAINED_SECONDS} s`, fmt(single.total), '–', '–'],
    ['429 answers', fmt(single.throttled), '0', '–'],
  ],
)}

**Backlog drain** of ${fmt(BACKLOG)} triggers through \`POST /api/event-bulk-create-jobs\` (1,000 events a
request; Klaviyo allows 10 requests/s and 150/min, so ${fmt(BACKLOG)} events take at least
${fmt(floor, 1)} s). The stand-in itself needs ${fmt(bulkMs)} ms per bulk request (validating 1,000 events against
the schema), so it cannot take ${fmt(BACKLOG)} events in under ${fmt(standInFloor, 1)} s whoever sends them.
The floor is the larger of the two. Queueing is the time to store the triggers and their outbox rows, as firing does.

${table(
  [
    'database',
    'queue (s)',
    'drain (s)',
    'events/s',
    'bulk requests',
    '429s',
    'delivered / recorded',
    'ratio to the floor',
  ],
  drains.map((d) => [
    d.dialect,
    fmt(d.enqueueMs / 1000, 1),
    fmt(d.drainMs / 1000, 1),
    fmt(d.delivered / (d.drainMs / 1000)),
    fmt(d.bulkRequests),
    fmt(d.throttled),
    `${fmt(d.delivered)} / ${fmt(d.recorded)}`,
    fmt(Math.max(floor, standInFloor) / (d.drainMs / 1000), 2),
  ]),
)}`;
  return { key: 'delivery', title: 'Delivery', command: 'npm run bench:delivery', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runDeliveryBench();
  writeSection(section);
  console.log(section.markdown);
}
