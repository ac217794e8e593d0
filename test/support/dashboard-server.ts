import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import { replayFile } from '../../src/app/replay/replay.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startReclaim, type RunningReclaim } from '../../src/app/reclaim-server.ts';
import { scoringOverrides } from '../../src/simulation/scorer.ts';
import { simulate, SIMULATION_FILES } from '../../src/simulation/simulator.ts';
import { Ga4StandIn } from '../../src/stand-ins/ga4-stand-in.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { MetaStandIn } from '../../src/stand-ins/meta-stand-in.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { DASHBOARD_DIR } from '../../src/web/dashboard-static.ts';

export const DASHBOARD_TOKEN = 'dashboard-test-admin-token-0123';

/** Builds the dashboard bundle when a checkout has none yet (`npm install` builds it otherwise). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(DASHBOARD_DIR, 'index.html'))) return;
  execFileSync('npm', ['run', '--silent', 'build:dashboard'], { stdio: 'inherit' });
}

export interface DemoServer {
  running: RunningReclaim;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * What `reclaim demo` does, smaller: simulates a store's shoppers, replays them through the real engine
 * into a fresh SQLite file delivering to Klaviyo, Meta and GA4 stand-ins, then serves it on a loopback port.
 */
export async function startDemoServer(options: { shoppers: number; days: number }): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-dashboard-'));
  const simulation = await simulate({
    shoppers: options.shoppers,
    days: options.days,
    seed: 'dashboard',
    profile: 'eu-fashion',
    out: join(dir, 'simulation'),
  });
  const replayClock = new ManualClock(0);
  let live = false;
  const partnerClock = () => (live ? Date.now() : replayClock.now());
  const standIn = new KlaviyoStandIn({ clock: partnerClock });
  const meta = new MetaStandIn({ clock: partnerClock });
  const ga4 = new Ga4StandIn({ clock: partnerClock });
  // A few of Meta's answers are refusals, so the deliveries page has throttling and a refusal to show.
  meta.faults.failNext({ status: 429, retryAfter: 1 }, 2);
  meta.faults.failNext({ status: 400 }, 1);
  const databaseUrl = `sqlite:${join(dir, 'reclaim.sqlite')}`;
  const config = loadConfig({
    env: {},
    overrides: {
      ...scoringOverrides(simulation, await standIn.start()),
      'meta.pixelId': MetaStandIn.DEFAULT_PIXEL,
      'meta.accessToken': MetaStandIn.DEFAULT_TOKEN,
      'meta.baseUrl': await meta.start(),
      'ga4.measurementId': Ga4StandIn.DEFAULT_MEASUREMENT_ID,
      'ga4.apiSecret': Ga4StandIn.DEFAULT_SECRET,
      'ga4.baseUrl': await ga4.start(),
      databaseUrl,
      port: 0,
      host: '127.0.0.1',
      adminToken: DASHBOARD_TOKEN,
      logLevel: 'warn',
      'ingest.workers': 0,
    },
  });
  const log = createLogger({ level: 'warn', destination: process.stderr });
  const store = await openStore({ url: databaseUrl });
  try {
    await migrateToLatest(store);
    await replayFile({
      file: join(dir, 'simulation', SIMULATION_FILES.input),
      config,
      store,
      log,
      clock: replayClock,
      partnersOnReplayClock: true,
    });
  } finally {
    await store.close();
  }
  live = true;
  const running = await startReclaim({ config, log });
  return {
    running,
    databaseUrl,
    async close() {
      await running.stop();
      await Promise.all([standIn.close(), meta.close(), ga4.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
