import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startReclaim } from '../../app/reclaim-server.ts';
import { EXIT, parseOptions, type Command } from '../command.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the server: collector, workers and admin API',
  help: `Usage: reclaim serve [--config FILE]

Runs Reclaim: the ingest endpoints, the background workers and the admin API, on PORT
(default 8080) with the database of RECLAIM_DATABASE_URL (default sqlite:./data/reclaim.sqlite).
Migrations run at start. SIGTERM or SIGINT stops it gracefully: no new connections, in-flight
requests and jobs finish, then the database is closed.`,
  async run(ctx) {
    parseOptions(ctx.argv, {});
    const config = loadConfig({ file: ctx.configFile });
    const log = createLogger({ level: config.logLevel, format: config.logFormat });
    const running = await startReclaim({ config, log });
    const signal = await ctx.stopSignal;
    log.info({ signal }, 'stop requested');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeout }, 'graceful shutdown took too long; exiting');
      process.exit(EXIT.FAILURE);
    }, config.shutdownTimeout);
    timer.unref();
    await running.stop();
    clearTimeout(timer);
    return EXIT.OK;
  },
};
