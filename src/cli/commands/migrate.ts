import { loadConfig } from '../../config/load-config.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { openStore } from '../../store/store.ts';
import { EXIT, parseOptions, type Command } from '../command.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations and exit',
  help: `Usage: reclaim migrate [--config FILE]

Applies every migration the database has not seen yet (the server also does this at start)
and prints their names. Exits 0 when the database is up to date.`,
  async run(ctx) {
    parseOptions(ctx.argv, {});
    const config = loadConfig({ file: ctx.configFile });
    const store = await openStore({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
    try {
      const applied = await migrateToLatest(store);
      ctx.stdout.write(
        applied.length
          ? `applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}\n`).join('')}`
          : 'database is up to date\n',
      );
      return EXIT.OK;
    } finally {
      await store.close();
    }
  },
};
