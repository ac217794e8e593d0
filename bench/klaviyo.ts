// Klaviyo setup and consent carrying, against the Klaviyo stand-in with Klaviyo's published limits:
// the requests `reclaim klaviyo setup` makes for three native flows (first run and rerun) and how long
// the flow and segment creation limits (1/s each) make it take; and the subscription jobs and drain time
// of 10,000 SMS opt-ins carried through the outbox, batched, against one job per opt-in (the baseline,
// measured on a smaller backlog because Klaviyo's 75/s, 750/min limit makes 10,000 jobs take 13 min).
// `npm run bench:klaviyo` — writes its section of BENCHMARKS.md.
import { loadConfig } from '../src/config/load-config.ts';
import type { SubscriptionChange } from '../src/consent/subscription-change.ts';
import { DeliveryRunner } from '../src/delivery/delivery-runner.ts';
import { outboxSubscriptionSink } from '../src/delivery/outbox-subscription-sink.ts';
import { enabledDestinations } from '../src/destinations/registry.ts';
import { klaviyoSettings } from '../src/destinations/klaviyo/settings.ts';
import { KlaviyoApi } from '../src/klaviyo/klaviyo-api.ts';
import { setupKlaviyo } from '../src/klaviyo/klaviyo-setup.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { KlaviyoStandIn } from '../src/stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openStore } from '../src/store/store.ts';
import { sqliteDatabase } from './support/databases.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const CONSENTS = Number(process.env.BENCH_KLAVIYO_CONSENTS ?? 10_000);
const BASELINE_CONSENTS = Number(process.env.BENCH_KLAVIYO_BASELINE_CONSENTS ?? 500);
/** `x-klaviyo-ratelimit` of the subscription jobs: 75/s burst, 750/min steady. */
const JOBS_PER_MINUTE = 750;

const totalRequests = (standIn: KlaviyoStandIn) =>
  Object.values(standIn.stats().requests).reduce(
    (n, statuses) => n + Object.values(statuses).reduce((a, b) => a + b, 0),
    0,
  );

async function setupRuns() {
  const standIn = new KlaviyoStandIn();
  const url = await standIn.start();
  for (const name of ['Placed Order', 'Received Email', 'Received SMS']) standIn.seedMetric(name);
  for (const stage of ['Browse', 'Cart', 'Checkout']) standIn.seedMetric(`Reclaim ${stage} Abandonment`);
  standIn.seedFlow({ name: 'Browse Abandonment', status: 'live', metric: 'Viewed Product' });
  standIn.seedFlow({ name: 'Abandoned Cart', status: 'live', metric: 'Added to Cart' });
  standIn.seedFlow({ name: 'Abandoned Checkout', status: 'live', metric: 'Started Checkout' });
  const config = loadConfig({ env: { KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: url } });
  const api = new KlaviyoApi(klaviyoSettings(config)!);
  const runs = [];
  for (const run of ['first run', 'rerun']) {
    const before = totalRequests(standIn);
    const throttledBefore = standIn.throttled;
    const started = performance.now();
    const report = await setupKlaviyo(api);
    runs.push({
      run,
      seconds: (performance.now() - started) / 1000,
      requests: totalRequests(standIn) - before,
      throttled: standIn.throttled - throttledBefore,
      created: report.created.length,
      ok: report.ok,
    });
  }
  await standIn.close();
  return runs;
}

/** Queues `count` SMS opt-ins as the consent stage does and drains them into the stand-in. */
async function carry(count: number, bulkBacklog: number) {
  const db = sqliteDatabase();
  const standIn = new KlaviyoStandIn();
  const url = await standIn.start();
  const config = loadConfig({
    env: {
      RECLAIM_DATABASE_URL: db.url,
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: url,
      KLAVIYO_RATE_LIMIT_SHARE: '1',
      RECLAIM_KLAVIYO_SYNC_SMS_CONSENT: 'true',
    },
    overrides: { 'klaviyo.bulkBacklog': bulkBacklog },
  });
  const store = await openStore({ url: config.databaseUrl });
  await migrateToLatest(store);
  const destinations = enabledDestinations(config);
  const sink = outboxSubscriptionSink(destinations)!;
  const now = Date.now();
  for (let start = 0; start < count; start += 1000) {
    const changes: SubscriptionChange[] = Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({
      channel: 'sms',
      action: 'subscribe',
      phone: `+1415${String(5_000_000 + start + i).padStart(7, '0')}`,
      at: now - 60_000,
      recordId: `cr_bench_${start + i}`,
      source: 'popup',
    }));
    await store.db.transaction().execute((trx) => sink(trx, changes, now));
  }
  const runner = new DeliveryRunner({
    destinations,
    store,
    clock: systemClock,
    log: createLogger({ level: 'silent' }),
    settings: config.delivery,
  });
  const started = performance.now();
  await runner.drain();
  const seconds = (performance.now() - started) / 1000;
  const jobs = standIn.requests.filter((r) => r.path === '/api/profile-subscription-bulk-create-jobs').length;
  const result = {
    count,
    seconds,
    jobs,
    subscribed: standIn.subscriptions.length,
    throttled: standIn.throttled,
  };
  await store.close();
  await standIn.close();
  await db.drop();
  return result;
}

export async function runKlaviyoBench(): Promise<BenchSection> {
  const setups = await setupRuns();
  const baseline = await carry(BASELINE_CONSENTS, 1_000_000);
  const batched = await carry(CONSENTS, 100);
  const perJob = (r: { count: number; jobs: number }) => r.count / Math.max(1, r.jobs);
  const markdown = `Against the Klaviyo stand-in in the same process, which enforces Klaviyo's published limits with 429
and \`Retry-After\` (creating a flow or a segment: 1/s, 15/min, 100/day; subscription jobs: 75/s, 750/min).

**\`reclaim klaviyo setup\`** for an account with three native abandonment flows (browse, cart,
checkout). It creates three draft flows and three segments; creation is limited to 1 a second per
endpoint, so the first run takes at least 2 s whoever runs it. The rerun only reads.

${table(
  ['run', 'requests', 'created', '429 answers (waited out)', 'seconds'],
  setups.map((s) => [s.run, s.requests, s.created, s.throttled, fmt(s.seconds, 1)]),
)}

**Carrying SMS opt-ins** (\`RECLAIM_KLAVIYO_SYNC_SMS_CONSENT\`): opt-ins queued in the outbox as the consent
stage queues them, then drained. Batched (the default: once 100 wait, subscribes go in jobs of up to
1,000 profiles) against one job per opt-in (the baseline, \`klaviyo.bulkBacklog\` out of reach). At 750
jobs a minute, one job per opt-in would need ${fmt(CONSENTS / JOBS_PER_MINUTE, 1)} min for ${fmt(CONSENTS)} opt-ins.

${table(
  ['mode', 'opt-ins', 'subscription jobs', 'opt-ins per job', 'seconds', 'opt-ins/s', '429s', 'subscribed'],
  [
    [
      'one job per opt-in (baseline)',
      fmt(baseline.count),
      baseline.jobs,
      fmt(perJob(baseline), 1),
      fmt(baseline.seconds, 1),
      fmt(baseline.count / baseline.seconds),
      baseline.throttled,
      fmt(baseline.subscribed),
    ],
    [
      'batched',
      fmt(batched.count),
      batched.jobs,
      fmt(perJob(batched), 1),
      fmt(batched.seconds, 1),
      fmt(batched.count / batched.seconds),
      batched.throttled,
      fmt(batched.subscribed),
    ],
  ],
)}

Ratio of opt-ins carried per second, batched ÷ baseline: ${fmt(batched.count / batched.seconds / (baseline.count / baseline.seconds), 1)}.`;
  return {
    key: 'klaviyo',
    title: 'Klaviyo setup and consent carrying',
    command: 'npm run bench:klaviyo',
    markdown,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runKlaviyoBench();
  writeSection(section);
  console.log(section.markdown);
}
