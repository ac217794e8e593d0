import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importComparisonTable, type Install } from '../../simulation/scorer.ts';
import { SIMULATION_FILES } from '../../simulation/simulator.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { DEFAULT_SIMULATION_DIR, printScores, runScore, scoresFile } from './simulate.ts';

export const scoreCommand: Command = {
  name: 'score',
  summary: 'Replay a simulation through the engine into the Klaviyo stand-in and score it',
  help: `Usage: reclaim score [DIR] [--day-one | --import | --compare-import] [--database URL] [--json]

Replays DIR/${SIMULATION_FILES.input} (default DIR: ${DEFAULT_SIMULATION_DIR}) through the real engine, on a fresh
database with the simulation's windows and lookback, delivering to a local Klaviyo stand-in, then
judges every Klaviyo event against DIR/${SIMULATION_FILES.truth}. Prints per stage and overall: recall of
reachable episodes (and of all), the native baseline's share, uplift over it, wrong person, after
purchase, duplicates, violations, and lateness (trigger, and delivery of sends with an email). Writes
DIR/scores.json. Exits 1 when wrong person, after purchase, duplicates or violations is not 0.

By default Reclaim is taken to have run since before the period (every earlier webhook reached it).

  --day-one          Reclaim installed as the period began: nothing before it is replayed, and
                     reachable means reachable with what it could know from then on
  --import           as --day-one, with the store's customer base (DIR/${SIMULATION_FILES.customers},
                     DIR/${SIMULATION_FILES.orders}) imported first by "reclaim shopify import", run
                     against the Shopify stand-in serving those files as its bulk exports
  --compare-import   both of the above, and a table of reachable and reached episodes per stage
                     without and with the import; exits 1 when a precision score with the import is
                     not 0 (without it, Reclaim cannot know who unsubscribed before it was installed)
  --database URL     replay on this PostgreSQL, in a new schema dropped afterwards (default: a
                     temporary SQLite file); the same simulation scores the same on both
  --json             print the scores as JSON`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      {
        database: { type: 'string' },
        json: { type: 'boolean' },
        'day-one': { type: 'boolean' },
        import: { type: 'boolean' },
        'compare-import': { type: 'boolean' },
      },
      true,
    );
    if (positionals.length > 1)
      throw new UsageError(
        'expected: reclaim score [DIR] [--day-one | --import | --compare-import] [--database URL] [--json]',
      );
    const modes = [values['day-one'], values.import, values['compare-import']].filter(Boolean).length;
    if (modes > 1) throw new UsageError('choose one of --day-one, --import and --compare-import');
    const dir = positionals[0] ?? DEFAULT_SIMULATION_DIR;
    if (!existsSync(join(dir, SIMULATION_FILES.truth)))
      throw new UsageError(`${dir} holds no simulation; run "reclaim simulate --out ${dir}" first`);
    if ((values.import || values['compare-import']) && !existsSync(join(dir, SIMULATION_FILES.customers)))
      throw new UsageError(
        `${dir} holds no customer base (${SIMULATION_FILES.customers}); simulate it again with this version`,
      );
    const json = values.json ?? false;
    if (values['compare-import']) {
      const plain = await runScore(ctx, dir, values.database, 'day_one');
      const imported = await runScore(ctx, dir, values.database, 'day_one_import');
      for (const scores of [plain, imported])
        writeFileSync(join(dir, scoresFile(scores.install)), `${JSON.stringify(scores, null, 2)}\n`);
      ctx.stdout.write(
        json
          ? `${JSON.stringify({ dayOne: plain, withImport: imported }, null, 2)}\n`
          : `Reclaim installed as the period began, without and with the customer base imported first:\n\n${importComparisonTable(plain, imported)}\n\n` +
              `imported: ${Object.entries(imported.imported ?? {})
                .map(([name, c]) => `${name} ${c.lines} lines (${c.stored} events)`)
                .join(', ')}\n` +
              `scores written to ${join(dir, scoresFile('day_one'))} and ${join(dir, scoresFile('day_one_import'))}\n`,
      );
      const o = imported.overall;
      return o.wrongPerson + o.afterPurchase + o.duplicates + o.violations === 0 ? EXIT.OK : EXIT.FAILURE;
    }
    const install: Install = values.import ? 'day_one_import' : values['day-one'] ? 'day_one' : 'running';
    return printScores(ctx, await runScore(ctx, dir, values.database, install), dir, json);
  },
};
