// `npm run bench:dashboard`: the dashboard's JavaScript size and the time its overview and deliveries data take.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { DASHBOARD_DIR } from '../src/web/dashboard-static.ts';
import { DASHBOARD_TOKEN, ensureDashboardBuilt, startDemoServer } from '../test/support/dashboard-server.ts';
import { table, writeSection, type BenchSection } from './support/report.ts';

const ROUNDS = 30;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runDashboardBench(): Promise<BenchSection> {
  ensureDashboardBuilt();
  const assets = join(DASHBOARD_DIR, 'assets');
  const sizes = readdirSync(assets).map((file) => {
    const bytes = readFileSync(join(assets, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const js = sizes.filter((s) => s.file.endsWith('.js'));

  const shoppers = Number(process.env.BENCH_DASHBOARD_SHOPPERS ?? 1000);
  const days = 30;
  const started = performance.now();
  const server = await startDemoServer({ shoppers, days });
  const seedSeconds = (performance.now() - started) / 1000;
  try {
    const db = server.running.store.db;
    const count = async (t: 'events' | 'triggers') =>
      Number(
        (
          await db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const [events, triggers] = [await count('events'), await count('triggers')];
    const newest = await db
      .selectFrom('triggers')
      .select('fired_at')
      .orderBy('fired_at', 'desc')
      .executeTakeFirst();
    const to = new Date(Number(newest?.fired_at ?? Date.now())).toISOString().slice(0, 10);
    const from = new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
    const calls = [
      ['baseline: GET /healthz', '/healthz'],
      ['GET /admin/v1/triggers?limit=1', '/admin/v1/triggers?limit=1'],
      ['GET /admin/v1/reports/gap (30 days)', `/admin/v1/reports/gap?from=${from}&to=${to}`],
      [
        'GET /admin/v1/reports/stages-by-day (30 days)',
        `/admin/v1/reports/stages-by-day?from=${from}&to=${to}`,
      ],
      ['GET /admin/v1/destinations', '/admin/v1/destinations'],
      ['GET /admin/v1/reports/accuracy (30 days)', `/admin/v1/reports/accuracy?from=${from}&to=${to}`],
    ] as const;
    const orders = Number(
      (
        await db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', 'order_completed')
          .executeTakeFirstOrThrow()
      ).n,
    );
    const rows: (string | number)[][] = [];
    for (const [name, path] of calls) {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const res = await fetch(server.running.url + path, {
          headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        times.push(performance.now() - t0);
      }
      rows.push([name, percentile(times, 50).toFixed(1), percentile(times, 95).toFixed(1)]);
    }
    const markdown = [
      `Bundle (\`npm run build:dashboard\`, gzip -9): JavaScript **${(js.reduce((a, s) => a + s.gzip, 0) / 1024).toFixed(1)} KiB** gzipped (goal ≤ 150 KB).`,
      '',
      table(
        ['asset', 'bytes', 'gzipped'],
        sizes.map((s) => [s.file, s.raw, s.gzip]),
      ),
      '',
      `Overview data on a store simulated by the demo machinery: ${shoppers} shoppers over ${days} days, ${events.toLocaleString('en')} stored events, ${triggers.toLocaleString('en')} triggers, ${orders.toLocaleString('en')} order events, delivered to Klaviyo, Meta and GA4 stand-ins (seeded in ${seedSeconds.toFixed(0)} s). ${ROUNDS} sequential calls each, over loopback, milliseconds; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')} when the calls ended:`,
      '',
      table(['call', 'p50 ms', 'p95 ms'], rows),
      '',
      "The overview makes the second to fourth calls; the deliveries page the last two (the destinations' answers read `delivery_attempt_counts` for 24 hours, at most a few thousand rows; the accuracy report reads the period's order events through the `(kind, event_time)` index and their purchases' outbox rows by primary key). The issue's realistic size is a month of 1,000,000 events; this run is smaller (the simulation seeds the store through the real engine, which takes minutes per 100,000 events): set `BENCH_DASHBOARD_SHOPPERS` to scale it. The gap report reads triggers and their deliveries, not the event log, so its cost follows the number of abandonments in the period, not the number of events. What bounds it: the gap report parses every trigger body of the period and reads their deliveries in chunks, then every purchase of the period, on the request's thread; its goal of p95 ≤ 200 ms is not met here (the baseline's own p95 shows how loaded the shared machine was). Pre-aggregating the report per day, or caching it for a minute, is the next step.",
    ].join('\n');
    return { key: 'dashboard', title: 'Dashboard', command: 'npm run bench:dashboard', markdown };
  } finally {
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const section = await runDashboardBench();
  writeSection(section);
  console.log(section.markdown);
}
