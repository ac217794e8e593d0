import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { klaviyoSettings } from '../../destinations/klaviyo/settings.ts';
import { KlaviyoApi } from '../../klaviyo/klaviyo-api.ts';
import { klaviyoResults } from '../../klaviyo/klaviyo-results.ts';
import { klaviyoSentByStage } from '../../reports/klaviyo-sent.ts';
import { replayFile } from '../../app/replay/replay.ts';
import { gapReport } from '../../reports/gap-report.ts';
import { formatGapReport } from '../../reports/gap-report-text.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startReclaim } from '../../app/reclaim-server.ts';
import { scoringOverrides } from '../../simulation/scorer.ts';
import { simulate, SIMULATION_FILES } from '../../simulation/simulator.ts';
import { STORE_PROFILES, storeProfile } from '../../simulation/store-profiles.ts';
import { KlaviyoStandIn } from '../../stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { openStore } from '../../store/store.ts';
import type { TriggerBody } from '../../journeys/firing.ts';
import { loadTrigger } from '../../journeys/trigger-repository.ts';
import { firstDeliveredTrigger } from '../../delivery/delivery-admin.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { progress } from '../progress.ts';
import { NativeFeedClock, seedNativeAccount, setUpReclaimFlows } from './demo-klaviyo.ts';
import { resultsText } from './klaviyo.ts';

const DEMO_DIR = 'data/demo';
const DAY = 86_400_000;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'See it work: simulate a store’s month, replay it, print the gap report, keep serving',
  help: `Usage: reclaim demo [--profile NAME] [--shoppers N] [--days D] [--seed S]

Runs Reclaim end to end on this machine with nothing else needed: simulates a store's shoppers
(default: 1000 shoppers of eu-fashion over 30 days); in a local Klaviyo stand-in that already runs
the store's native abandonment flows, sets up the Reclaim flows beside them (test events, setup, and
the marketer's review: the drafts set live); replays what the store would have sent through the real
engine into a fresh SQLite database at ${DEMO_DIR}/reclaim.sqlite while Klaviyo's own tracking feeds
the native flows on the same clock; prints the gap report and the Klaviyo flow results (native vs
Reclaim), then serves the admin API on PORT (default 8080) until Ctrl-C, so you can look at
triggers, profiles and the reports. The admin token is RECLAIM_ADMIN_TOKEN
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

    // The stand-in's clock: the day before the month while the flows are set up (moving with the wall
    // clock, so its rate limits clear), the replay's during the replay (Klaviyo's limits and the flows
    // in event time), then the wall clock.
    let phase: 'setup' | 'replay' | 'live' = 'setup';
    const monthStart = Date.parse(meta.start);
    const setupWall = Date.now();
    const replayClock: NativeFeedClock = new NativeFeedClock(
      join(simulationDir, SIMULATION_FILES.klaviyo),
      (): KlaviyoStandIn => standIn,
    );
    const standIn: KlaviyoStandIn = new KlaviyoStandIn({
      clock: (): number =>
        phase === 'setup'
          ? monthStart - DAY + (Date.now() - setupWall)
          : phase === 'replay'
            ? replayClock.now()
            : Date.now(),
    });
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
    let results: string;
    let sample: TriggerBody | undefined;
    const api = new KlaviyoApi(klaviyoSettings(config)!);
    seedNativeAccount(standIn, monthStart);
    let klaviyoSetup: string[];
    try {
      klaviyoSetup = await setUpReclaimFlows(api, monthStart - DAY);
    } catch (error) {
      await store.close();
      await standIn.close();
      throw error;
    }
    phase = 'replay';
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
      replayClock.feedUntil(Number.POSITIVE_INFINITY);
      // Klaviyo's flows keep sending after the replay's last trigger: the report is read "now".
      phase = 'live';
      const period = { from: Date.parse(meta.start), to: Date.parse(meta.end) };
      report = formatGapReport(
        await gapReport(store.db, { ...period, attributionWindow: config.reports.attributionWindow }),
      );
      const sampleId = await firstDeliveredTrigger(store.db, 'cart');
      sample = sampleId === undefined ? undefined : await loadTrigger(store.db, sampleId);
      const sent = await klaviyoSentByStage(store.db, period);
      results = resultsText(await klaviyoResults(api, { ...period, sent }));
    } finally {
      await store.close();
    }

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
        ...klaviyoSetup,
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
        'Stop it with Ctrl-C.',
        '',
        report,
        '',
        // Neither the demo's database nor its simulated month are `report gap`'s defaults.
        'This report again, now or after the demo has stopped:',
        `  RECLAIM_DATABASE_URL=${shellWord(databaseUrl)} npx reclaim report gap --from ${from} --to ${to}`,
        '',
        'Klaviyo’s own flow report for the month, native flows vs the Reclaim flows beside them (while the demo runs):',
        `  RECLAIM_DATABASE_URL=${shellWord(databaseUrl)} KLAVIYO_API_KEY=${KlaviyoStandIn.DEFAULT_KEY} KLAVIYO_BASE_URL=${standIn.url} npx reclaim klaviyo results --from ${from} --to ${to}`,
        '',
        results,
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
