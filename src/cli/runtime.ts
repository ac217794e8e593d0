import { loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/config-schema.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { createLogger, type Logger } from '../runtime/logger.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { openStore, type Store } from '../store/store.ts';
import type { CommandContext } from './command.ts';

/** What a one-shot command works with: the config, a migrated database, a quiet logger, the wall clock. */
export interface CliRuntime {
  config: Config;
  store: Store;
  log: Logger;
  clock: Clock;
}

/** Opens the configured database (migrating it), runs `work`, and always closes it. */
export async function withRuntime<T>(
  ctx: CommandContext,
  work: (runtime: CliRuntime) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: ctx.configFile });
  const store = await openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrateToLatest(store);
    return await work({
      config,
      store,
      log: createLogger({ level: ctx.debug ? 'debug' : 'warn', destination: process.stderr }),
      clock: systemClock,
    });
  } finally {
    await store.close();
  }
}
