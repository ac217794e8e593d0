import { loadConfig } from '../../config/load-config.ts';
import { createEngine } from '../../app/engine.ts';
import { EngineRunner } from '../../app/engine-runner.ts';
import { DeliveryRunner } from '../../delivery/delivery-runner.ts';
import { systemClock } from '../../runtime/clock.ts';
import { createLogger } from '../../runtime/logger.ts';
import { Metrics } from '../../runtime/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../app/metrics-server.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { openStore } from '../../store/store.ts';
import { EXIT, parseOptions, type Command } from '../command.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run the background work only: event processing, timers, deliveries',
  help: `Usage: reclaim worker [--config FILE]

Runs what "serve" runs in the background, without the HTTP server: processes the event log, fires
due journeys and delivers triggers. On PostgreSQL run as many workers as you like next to one or more
"serve" processes: one at a time processes the event log (a lease decides which), all of them fire
due journeys and deliver, sharing the rows. With RECLAIM_WORKER_METRICS_PORT set it serves GET /metrics
on that port (bearer RECLAIM_METRICS_TOKEN or RECLAIM_ADMIN_TOKEN). SIGTERM or SIGINT lets the current
batch finish, then exits 0.`,
  async run(ctx) {
    parseOptions(ctx.argv, {});
    const config = loadConfig({ file: ctx.configFile });
    const log = createLogger({ level: config.logLevel, format: config.logFormat });
    const store = await openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
    const port = config.metrics.workerPort;
    const metrics = config.metrics.enabled && port !== undefined ? new Metrics() : undefined;
    let server: MetricsServer | undefined;
    try {
      await migrateToLatest(store);
      const engine = createEngine({ config, store, log, clock: systemClock, metrics });
      const delivery = new DeliveryRunner({
        destinations: engine.destinations,
        store,
        clock: systemClock,
        log,
        settings: config.delivery,
        metrics,
      });
      if (metrics && port !== undefined) {
        server = await startMetricsServer({
          config,
          store,
          clock: systemClock,
          log,
          metrics,
          destinations: engine.destinations.map((d) => d.definition.name),
          port,
        });
        log.info({ url: `${server.url}/metrics` }, 'worker metrics are served');
      }
      const runner = new EngineRunner(engine, store, systemClock, log, () => delivery.wake());
      runner.start();
      await delivery.start();
      log.info({ database: store.dialect }, 'reclaim worker is running');
      const signal = await ctx.stopSignal;
      log.info({ signal }, 'stop requested; finishing the current batch');
      await server?.close();
      await runner.stop();
      await delivery.stop();
      return EXIT.OK;
    } finally {
      await server?.close();
      await store.close();
    }
  },
};
