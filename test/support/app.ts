import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config-schema.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger, type Logger } from '../../src/runtime/logger.ts';
import { buildApp, type AppDeps } from '../../src/app/build-app.ts';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import type { Store } from '../../src/store/store.ts';

/** Collects every log line a component writes, so tests can assert what reached (and did not reach) logs. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      RECLAIM_DATABASE_URL: 'sqlite::memory:',
      RECLAIM_LOG_LEVEL: 'info',
      // In-process unless a test says otherwise: a worker thread per test app would only slow the suite.
      RECLAIM_INGEST_WORKERS: '0',
      ...env,
    },
  });
}

export interface TestApp {
  app: FastifyInstance;
  engine: Engine;
  logs: LogCapture;
  log: Logger;
  clock: ManualClock;
}

export async function buildTestApp(
  store: Store,
  config: Config = testConfig(),
  configure?: (app: FastifyInstance) => void,
  extra: Pick<AppDeps, 'storefront' | 'storefrontDist' | 'dashboardDir'> = {},
): Promise<TestApp> {
  const logs = new LogCapture();
  const log = createLogger({ level: config.logLevel, destination: logs });
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
  const engine = createEngine({ config, store, log, clock });
  const app = await buildApp({
    config,
    store,
    log,
    clock,
    engine,
    wakeEngine: () => void engine.processor.drain(),
    ...extra,
  });
  configure?.(app);
  await app.ready();
  return { app, engine, logs, log, clock };
}
