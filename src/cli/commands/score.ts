import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SIMULATION_FILES } from '../../simulation/simulator.ts';
import { parseOptions, UsageError, type Command } from '../command.ts';
import { DEFAULT_SIMULATION_DIR, printScores, runScore } from './simulate.ts';

export const scoreCommand: Command = {
  name: 'score',
  summary: 'Replay a simulation through the engine into the Klaviyo stand-in and score it',
  help: `Usage: reclaim score [DIR] [--database URL] [--json]

Replays DIR/${SIMULATION_FILES.input} (default DIR: ${DEFAULT_SIMULATION_DIR}) through the real engine, on a fresh
database with the simulation's windows and lookback, delivering to a local Klaviyo stand-in, then
judges every Klaviyo event against DIR/${SIMULATION_FILES.truth}. Prints per stage and overall: recall of
reachable episodes (and of all), the native baseline's share, uplift over it, wrong person, after
purchase, duplicates, violations, and lateness (trigger, and delivery of sends with an email). Writes
DIR/scores.json. Exits 1 when wrong person, after purchase, duplicates or violations is not 0.

  --database URL   replay on this PostgreSQL, in a new schema dropped afterwards (default: a
                   temporary SQLite file); the same simulation scores the same on both
  --json           print the scores as JSON`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      { database: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    if (positionals.length > 1)
      throw new UsageError('expected: reclaim score [DIR] [--database URL] [--json]');
    const dir = positionals[0] ?? DEFAULT_SIMULATION_DIR;
    if (!existsSync(join(dir, SIMULATION_FILES.truth)))
      throw new UsageError(`${dir} holds no simulation; run "reclaim simulate --out ${dir}" first`);
    return printScores(ctx, await runScore(ctx, dir, values.database), dir, values.json ?? false);
  },
};
