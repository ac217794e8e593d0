import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { replayFile } from '../../src/app/replay/replay.ts';
import { gapReport, gapReportFromTriggers, type GapReportOptions } from '../../src/reports/gap-report.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { scoringOverrides } from '../../src/simulation/scorer.ts';
import { DEFAULT_START, simulate, SIMULATION_FILES } from '../../src/simulation/simulator.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import * as gapReportDays from '../../src/store/migrations/2026-12-06T1100-gap-report-days.ts';
import { stageDays, stageDaysFromTriggers } from '../../src/reports/stage-days.ts';
import type { Store } from '../../src/store/store.ts';
import { describeEachDialect } from '../support/dialects.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const DAYS = 8;
const window = 5 * DAY;

let dir: string;
let meta: Awaited<ReturnType<typeof simulate>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-gap-cache-'));
  meta = await simulate({ profile: 'eu-fashion', shoppers: 300, days: DAYS, seed: 'gap-cache', out: dir });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Periods a report is asked for: whole days, part-days at both ends, within a day, across midnight. */
const periods: GapReportOptions[] = [
  { from: DEFAULT_START, to: DEFAULT_START + (DAYS + 2) * DAY, attributionWindow: window },
  {
    from: DEFAULT_START + 2 * DAY + 9.5 * HOUR,
    to: DEFAULT_START + 6 * DAY + 13 * HOUR,
    attributionWindow: window,
  },
  {
    from: DEFAULT_START + 3 * DAY + 2 * HOUR,
    to: DEFAULT_START + 3 * DAY + 20 * HOUR,
    attributionWindow: window,
  },
  {
    from: DEFAULT_START + 4 * DAY + 18 * HOUR,
    to: DEFAULT_START + 5 * DAY + 6 * HOUR,
    attributionWindow: DAY,
  },
];

describeEachDialect('the gap report kept per day', (dialect) => {
  let store: Store;
  let klaviyo: KlaviyoStandIn;
  const clock = new ManualClock(0);

  beforeAll(async () => {
    klaviyo = new KlaviyoStandIn({ clock: () => clock.now() });
    const config = loadConfig({
      env: {},
      overrides: { ...scoringOverrides(meta, await klaviyo.start()), 'ingest.workers': 0 },
    });
    store = await dialect.open();
    await replayFile({
      file: join(dir, SIMULATION_FILES.input),
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock,
      partnersOnReplayClock: true,
    });
  }, 600_000);
  afterAll(async () => {
    await store?.close();
    await klaviyo?.close();
  });

  const staleDays = async () =>
    (await store.db.selectFrom('gap_report_days').select(['day', 'version', 'computed_version']).execute())
      .filter((r) => r.computed_version === null || Number(r.computed_version) !== Number(r.version))
      .map((r) => Number(r.day));

  it('gives exactly the report counted from every trigger, first computed and then kept', async () => {
    const month = await gapReportFromTriggers(store.db, periods[0]!);
    expect(month.total.abandoned).toBeGreaterThan(100);
    expect(month.total.reclaimSent).toBeGreaterThan(10);
    expect(month.total.revenue.orders).toBeGreaterThan(0);
    expect(month.total.notSent.no_messaging_permission).toBeGreaterThan(0);
    for (const period of periods)
      expect(await gapReport(store.db, period)).toEqual(await gapReportFromTriggers(store.db, period));
    expect(await staleDays()).toEqual([]);
    for (const period of periods)
      expect(await gapReport(store.db, period)).toEqual(await gapReportFromTriggers(store.db, period));
  });

  it('gives the overview chart the abandonments per day and stage that the triggers give', async () => {
    const month = await stageDaysFromTriggers(store.db, periods[0]!.from, periods[0]!.to);
    expect(month.days.filter((d) => d.browse > 0 && d.cart > 0 && d.checkout > 0).length).toBeGreaterThan(3);
    for (const { from, to } of periods)
      expect(await stageDays(store.db, from, to)).toEqual(await stageDaysFromTriggers(store.db, from, to));
  });

  it('recomputes a day when one of its deliveries or triggers changes, whatever code changes it', async () => {
    const period = periods[0]!;
    const before = await gapReport(store.db, period);
    const delivered = await store.db
      .selectFrom('deliveries')
      .innerJoin('triggers', 'triggers.id', 'deliveries.subject_id')
      .select(['deliveries.id as id', 'triggers.fired_at as firedAt'])
      .where('deliveries.kind', '=', 'abandonment')
      .where('deliveries.status', '=', 'delivered')
      .orderBy('deliveries.id')
      .executeTakeFirstOrThrow();
    await store.db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', delivered.id).execute();
    expect(await staleDays()).toEqual([Math.floor(Number(delivered.firedAt) / DAY)]);
    const dead = await gapReport(store.db, period);
    expect(dead).toEqual(await gapReportFromTriggers(store.db, period));
    expect(dead.total.notSent.delivery_failed).toBe(before.total.notSent.delivery_failed + 1);

    const trigger = await store.db
      .selectFrom('triggers')
      .select(['id', 'fired_at'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await store.db.deleteFrom('deliveries').where('subject_id', '=', trigger.id).execute();
    await store.db.deleteFrom('triggers').where('id', '=', trigger.id).execute();
    expect(await staleDays()).toEqual([Math.floor(Number(trigger.fired_at) / DAY)]);
    const erased = await gapReport(store.db, period);
    expect(erased).toEqual(await gapReportFromTriggers(store.db, period));
    expect(erased.total.abandoned).toBe(before.total.abandoned - 1);
  });

  it('counts the days of a database that had triggers before it was kept, from its first report on', async () => {
    await gapReportDays.down(store.db as unknown as Kysely<unknown>);
    await gapReportDays.up(store.db as unknown as Kysely<unknown>);
    const days = await store.db.selectFrom('triggers').select('fired_at').execute();
    expect((await staleDays()).sort((a, b) => a - b)).toEqual(
      [...new Set(days.map((d) => Math.floor(Number(d.fired_at) / DAY)))].sort((a, b) => a - b),
    );
    for (const period of periods)
      expect(await gapReport(store.db, period)).toEqual(await gapReportFromTriggers(store.db, period));
    expect(await staleDays()).toEqual([]);
  });
});
