import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { openStore, type Store } from '../store/store.ts';
import { buildApp } from './build-app.ts';
import { createEngine } from './engine.ts';
import { EngineRunner } from './engine-runner.ts';
import { DeliveryRunner } from '../delivery/delivery-runner.ts';
import { startupKlaviyoCheck } from '../klaviyo/klaviyo-startup-check.ts';
import { Metrics } from '../runtime/metrics.ts';
import { ScanScheduler } from '../scanner/scan-scheduler.ts';

/** Requests closer together than this (ms) count as one stretch of traffic; the engine waits for a gap. */
const REQUEST_PAUSE = 25;

/** A running Reclaim: the HTTP server, its background work and its database. */
export interface RunningReclaim {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** What `/metrics` serves; undefined when `RECLAIM_METRICS_ENABLED=false`. */
  readonly metrics: Metrics | undefined;
  /** `http://host:port` the server listens on. */
  readonly url: string;
  /**
   * Graceful stop: refuse new connections, let in-flight requests and jobs finish, then close the
   * database. Safe to call more than once.
   */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
}

/** Opens and migrates the database, then serves HTTP on the configured port. */
export async function startReclaim({
  config,
  log,
  clock = systemClock,
}: StartOptions): Promise<RunningReclaim> {
  const store = await openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  let app: FastifyInstance | undefined;
  let runner: EngineRunner | undefined;
  let delivery: DeliveryRunner | undefined;
  const metrics = config.metrics.enabled ? new Metrics() : undefined;
  try {
    const applied = await migrateToLatest(store);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    const engine = createEngine({ config, store, log, clock, metrics });
    delivery = new DeliveryRunner({
      destinations: engine.destinations,
      store,
      clock,
      log,
      settings: config.delivery,
      metrics,
    });
    let lastRequest = Number.NEGATIVE_INFINITY;
    runner = new EngineRunner(
      engine,
      store,
      clock,
      log,
      () => delivery?.wake(),
      () => performance.now() - lastRequest < REQUEST_PAUSE,
    );
    app = await buildApp({
      config,
      store,
      log,
      clock,
      engine,
      wakeEngine: () => runner?.wake(),
      wakeDelivery: () => delivery?.wake(),
      requestArrived: () => (lastRequest = performance.now()),
      metrics,
    });
    await app.listen({ port: config.port, host: config.host });
    runner.start();
    await delivery.start();
  } catch (error) {
    // A start that fails half-way (the port is taken) releases what it opened: the ingest threads and
    // background loops would otherwise keep the process alive after the command has returned its exit code.
    await app?.close().catch(() => undefined);
    await runner?.stop();
    await delivery?.stop();
    await store.close();
    throw error;
  }
  const server = app;
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, database: store.location.replace(/\/\/.*@/, '//') }, 'reclaim is serving');
  // Never awaited: start-up neither waits for Klaviyo nor fails because of it.
  const checking = new AbortController();
  void startupKlaviyoCheck(config, log, checking.signal);
  const scans = new ScanScheduler({ store, clock, log, scanner: config.scanner, geo: config.geo });
  // Never awaited either: planning the scans reads one row, and a failure is a log line, not a failed start.
  void scans.start().catch((error: unknown) => log.error({ err: error }, 'scan scheduler did not start'));

  let stopping: Promise<void> | undefined;
  return {
    app: server,
    store,
    metrics,
    url,
    stop: () => {
      stopping ??= (async () => {
        checking.abort();
        log.info('shutting down: finishing in-flight requests and jobs');
        await scans.stop();
        await server.close();
        await runner?.stop();
        await delivery?.stop();
        await store.close();
        log.info('shut down cleanly');
      })();
      return stopping;
    },
  };
}
