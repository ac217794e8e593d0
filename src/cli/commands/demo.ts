import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { replayFile } from '../../engine/replay.ts';
import { gapReport } from '../../reports/gap-report.ts';
import { formatGapReport } from '../../reports/gap-report-text.ts';
import { ManualClock } from '../../runtime/clock.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startReclaim } from '../../server/reclaim-server.ts';
import { scoringOverrides } from '../../simulation/scorer.ts';
import { simulate, SIMULATION_FILES } from '../../simulation/simulator.ts';
import { STORE_PROFILES, storeProfile } from '../../simulation/store-profiles.ts';
import { KlaviyoStandIn } from '../../stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { openStore } from '../../store/store.ts';
import type { TriggerBody } from '../../journeys/firing.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { progress } from '../progress.ts';

const DEMO_DIR = 'data/demo';
const DAY = 86_400_000;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'See it work: simulate a store’s month, replay it, print the gap report, keep serving',
  help: `Usage: reclaim demo [--profile NAME] [--shoppers N] [--days D] [--seed S]

Runs Reclaim end to end on this machine with nothing else needed: simulates a store's shoppers
(default: 1000 shoppers of eu-fashion over 30 days), replays what the store would have sent through
the real engine into a fresh SQLite database at ${DEMO_DIR}/reclaim.sqlite, delivering to a local
Klaviyo stand-in, prints the gap report, then serves the admin API on PORT (default 8080) until
Ctrl-C, so you can look at triggers, profiles and the report. The admin token is RECLAIM_ADMIN_TOKEN
when set, otherwise one made up for this run and printed. Every run starts from scratch.

  --profile NAME   ${Object.keys(STORE_PROFILES).join(' | ')} (default eu-fashion)
  --shoppers N     shoppers (default 1000)
  --days D         days (default 30)
  --seed S         random seed (default demo)`,
  async run(ctx) {
    const { values } = parseOptions(ctx.argv, {
      profile: { type: 'string' },
      shoppers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
    });
    const profile = values.profile ?? 'eu-fashion';
    if (!storeProfile(profile))
      throw new UsageError(`--profile must be one of ${Object.keys(STORE_PROFILES).join(', ')}`);
    const shoppers = Number(values.shoppers ?? 1000);
    const days = Number(values.days ?? 30);
    if (!Number.isInteger(shoppers) || shoppers < 1 || shoppers > 100_000)
      throw new UsageError('--shoppers must be an integer from 1 to 100000');
    if (!Number.isInteger(days) || days < 1 || days > 90)
      throw new UsageError('--days must be an integer from 1 to 90');
    const base = loadConfig({ file: ctx.configFile });

    rmSync(DEMO_DIR, { recursive: true, force: true });
    mkdirSync(DEMO_DIR, { recursive: true });
    const simulationDir = join(DEMO_DIR, 'simulation');
    const simulated = progress({ label: 'simulating', unit: 'shoppers', stream: ctx.stderr });
    const meta = await simulate({
      shoppers,
      days,
      seed: values.seed ?? 'demo',
      profile,
      out: simulationDir,
      onProgress: (done, total) => simulated.update(done, total),
    });
    simulated.finish();

    // The stand-in follows the replay's clock (Klaviyo's rate limits in event time), then the wall clock.
    const replayClock = new ManualClock(0);
    let live = false;
    const standIn = new KlaviyoStandIn({ clock: () => (live ? Date.now() : replayClock.now()) });
    const adminToken = base.adminToken ?? randomBytes(18).toString('base64url');
    const config = loadConfig({
      env: {},
      overrides: {
        ...scoringOverrides(meta, await standIn.start()),
        databaseUrl: `sqlite:${join(DEMO_DIR, 'reclaim.sqlite')}`,
        port: base.port,
        host: base.host,
        adminToken,
        logLevel: 'warn',
      },
    });
    const log = createLogger({ level: 'warn', destination: process.stderr });
    const store = await openStore({ url: config.databaseUrl });
    let report: string;
    let sample: TriggerBody | undefined;
    try {
      await migrateToLatest(store);
      const replayed = progress({ label: 'replaying', unit: 'requests', stream: ctx.stderr });
      await replayFile({
        file: join(simulationDir, SIMULATION_FILES.input),
        config,
        store,
        log,
        clock: replayClock,
        partnersOnReplayClock: true,
        onProgress: (done, total) => replayed.update(done, total),
      });
      replayed.finish();
      const period = { from: Date.parse(meta.start), to: Date.parse(meta.end) };
      report = formatGapReport(
        await gapReport(store.db, { ...period, attributionWindow: config.reports.attributionWindow }),
      );
      const row = await store.db
        .selectFrom('triggers')
        .innerJoin('deliveries', 'deliveries.subject_id', 'triggers.id')
        .select('triggers.body_json')
        .where('deliveries.status', '=', 'delivered')
        .where('triggers.stage', '=', 'cart')
        .orderBy('triggers.fired_at')
        .executeTakeFirst();
      sample = row && (JSON.parse(row.body_json) as TriggerBody);
    } finally {
      await store.close();
    }

    live = true;
    // A taken port ends the demo with exit 69; the stand-in's server would otherwise keep the process alive.
    const running = await startReclaim({ config, log }).catch(async (error: unknown) => {
      await standIn.close();
      throw error;
    });
    const auth = `-H "Authorization: Bearer ${adminToken}"`;
    const databaseUrl = `sqlite:${resolve(DEMO_DIR, 'reclaim.sqlite')}`;
    const { from, to } = periodOptions(meta.start, meta.end);
    const email = sample && 'value' in sample.recipient.email ? sample.recipient.email.value : undefined;
    ctx.stdout.write(
      [
        report,
        '',
        // Neither the demo's database nor its simulated month are `report gap`'s defaults.
        'This report again, now or after the demo has stopped:',
        `  RECLAIM_DATABASE_URL=${shellWord(databaseUrl)} npx reclaim report gap --from ${from} --to ${to}`,
        '',
        `Reclaim is serving the demo at ${running.url} (database ${resolve(DEMO_DIR, 'reclaim.sqlite')}).`,
        `Open the dashboard at ${running.url}/ and sign in with the admin token ${adminToken}`,
        `The Klaviyo stand-in it delivered to is at ${standIn.url}.`,
        '',
        `  curl ${auth} "${running.url}/admin/v1/reports/gap?from=${from}&to=${to}"`,
        `  curl ${auth} "${running.url}/admin/v1/triggers?stage=cart&limit=5"`,
        ...(sample ? [`  curl ${auth} "${running.url}/admin/v1/triggers/${sample.id}"`] : []),
        ...(email
          ? [`  curl ${auth} "${running.url}/admin/v1/profiles/lookup?email=${encodeURIComponent(email)}"`]
          : []),
        `  curl "${standIn.url}/_stand-in/events?limit=5"`,
        '',
        'Stop it with Ctrl-C.',
        '',
      ].join('\n'),
    );
    await ctx.stopSignal;
    await running.stop();
    await standIn.close();
    return EXIT.OK;
  },
};

/**
 * `--from` and `--to` that cover exactly the period `[start, end)`: whole days when it starts and ends at
 * midnight UTC (`--to` names the last day), ISO times otherwise.
 */
function periodOptions(start: string, end: string): { from: string; to: string } {
  const [from, until] = [Date.parse(start), Date.parse(end)];
  if (from % DAY !== 0 || until % DAY !== 0) return { from: start, to: end };
  return {
    from: new Date(from).toISOString().slice(0, 10),
    to: new Date(until - DAY).toISOString().slice(0, 10),
  };
}

/** `text` as one word for a POSIX shell, quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
