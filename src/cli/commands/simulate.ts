import { formatDuration, parseDuration } from '../../config/duration.ts';
import { createLogger } from '../../runtime/logger.ts';
import { scoreSimulation, scoreTable, type Install, type Scores } from '../../simulation/scorer.ts';
import { simulate, SIMULATION_FILES } from '../../simulation/simulator.ts';
import { STORE_PROFILES, storeProfile } from '../../simulation/store-profiles.ts';
import { EXIT, parseOptions, UsageError, type Command, type CommandContext } from '../command.ts';
import { progress } from '../progress.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `simulate` writes and `score` reads when no folder is named. */
export const DEFAULT_SIMULATION_DIR = 'out/simulation';

const positiveInteger = (value: string | undefined, name: string, fallback: number, max: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
};

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate a store’s shoppers: replay input and ground truth (optionally scored)',
  help: `Usage: reclaim simulate [--shoppers N] [--days D] [--seed S] [--profile NAME] [--out DIR]
                        [--lookback DURATION] [--import-days N] [--workers N] [--score [--database URL]] [--json]

Simulates a store's shoppers (docs/simulation.md): devices, ad and content blockers, cookie loss,
consent, sessions across devices, carts, checkouts and orders. Writes DIR/${SIMULATION_FILES.input}
(the NDJSON "reclaim replay" reads: pixel events, signed Shopify webhooks, consent decisions) and
DIR/${SIMULATION_FILES.truth} (every abandonment episode and whether the law let it be reached),
DIR/${SIMULATION_FILES.klaviyo} (what Klaviyo's own tracking would have recorded; the demo feeds it
to the Klaviyo stand-in's native flows), and the store's customer base as it stood when the period
began, as Shopify's bulk exports give it: DIR/${SIMULATION_FILES.customers} (past buyers, account
holders and subscribers with their marketing consent) and DIR/${SIMULATION_FILES.orders} (orders of
the last --import-days days). The same options always give the same files.

  --shoppers N      shoppers (default 2000)
  --days D          days simulated, from 2026-10-01 (default 30)
  --seed S          random seed (default 1)
  --profile NAME    ${Object.keys(STORE_PROFILES).join(' | ')} (default eu-fashion)
  --out DIR         output folder (default ${DEFAULT_SIMULATION_DIR})
  --lookback D      Reclaim's identity lookback the ground truth assumes (default 100d)
  --import-days N   days of orders before the period in the customer base (default 90)
  --workers N       threads (default: one per core)
  --score           then replay it and print the scores, as "reclaim score" does
  --database URL    with --score: replay on this PostgreSQL (a new schema, dropped after)
  --json            print the result as JSON`,
  async run(ctx) {
    const { values } = parseOptions(ctx.argv, {
      shoppers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      lookback: { type: 'string' },
      'import-days': { type: 'string' },
      workers: { type: 'string' },
      score: { type: 'boolean' },
      database: { type: 'string' },
      json: { type: 'boolean' },
    });
    const profile = values.profile ?? 'eu-fashion';
    if (!storeProfile(profile))
      throw new UsageError(`--profile must be one of ${Object.keys(STORE_PROFILES).join(', ')}`);
    const lookback = values.lookback === undefined ? undefined : parseDuration(values.lookback);
    if (values.lookback !== undefined && (lookback === undefined || lookback < 86_400_000))
      throw new UsageError('--lookback must be a duration of at least 1d, such as 7d or 100d');
    const out = values.out ?? DEFAULT_SIMULATION_DIR;
    const shown = progress({ label: 'simulating', unit: 'shoppers', stream: ctx.stderr });
    const meta = await simulate({
      shoppers: positiveInteger(values.shoppers, 'shoppers', 2000, 5_000_000),
      days: positiveInteger(values.days, 'days', 30, 366),
      seed: values.seed ?? '1',
      profile,
      out,
      lookback,
      importDays: positiveInteger(values['import-days'], 'import-days', 90, 3650),
      workers: values.workers === undefined ? undefined : positiveInteger(values.workers, 'workers', 1, 64),
      onProgress: (done, total) => shown.update(done, total),
    });
    shown.finish();
    const { webhookSecret: _secret, ...summary } = meta;
    if (!values.score) {
      ctx.stdout.write(
        values.json
          ? `${JSON.stringify({ out, ...summary }, null, 2)}\n`
          : `${meta.shoppers} shoppers of ${meta.profile} over ${meta.days} days (seed ${meta.seed}, lookback ${formatDuration(meta.lookback)}): ` +
              `${meta.lines.toLocaleString('en-US')} requests carrying ${meta.events.toLocaleString('en-US')} events, ` +
              `${meta.episodes.toLocaleString('en-US')} abandonment episodes\n` +
              `  ${join(out, SIMULATION_FILES.input)}\n  ${join(out, SIMULATION_FILES.truth)}\n  ${join(out, SIMULATION_FILES.klaviyo)}\n` +
              `  ${join(out, SIMULATION_FILES.customers)}, ${join(out, SIMULATION_FILES.orders)} (the customer base as the period began)\n` +
              `Score it with: npx reclaim score ${out}\n`,
      );
      return EXIT.OK;
    }
    return printScores(ctx, await runScore(ctx, out, values.database), out, values.json ?? false);
  },
};

/** Replays a simulation with a progress display and returns its scores. */
export async function runScore(
  ctx: CommandContext,
  dir: string,
  databaseUrl: string | undefined,
  install: Install = 'running',
): Promise<Scores> {
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new UsageError('--database must be a postgres:// URL (SQLite is the default)');
  const shown = progress({
    label: install === 'running' ? 'replaying' : `replaying (${install.replaceAll('_', ' ')})`,
    unit: 'requests',
    stream: ctx.stderr,
  });
  const scores = await scoreSimulation({
    dir,
    databaseUrl,
    install,
    log: createLogger({ level: ctx.debug ? 'debug' : 'warn', destination: process.stderr }),
    onProgress: (done, total) => shown.update(done, total),
  });
  shown.finish();
  return scores;
}

/** The file a scored replay is written to in the simulation's folder. */
export const scoresFile = (install: Install) =>
  install === 'running' ? 'scores.json' : `scores-${install.replaceAll('_', '-')}.json`;

/** Prints scores as a table (or JSON), writes DIR/scores.json, and exits 1 when a precision score is not 0. */
export function printScores(ctx: CommandContext, scores: Scores, dir: string, json: boolean): number {
  const file = join(dir, scoresFile(scores.install));
  writeFileSync(file, `${JSON.stringify(scores, null, 2)}\n`);
  const o = scores.overall;
  ctx.stdout.write(
    json
      ? `${JSON.stringify(scores, null, 2)}\n`
      : `${scoreTable(scores)}\n\nreachable episodes: ${o.reachable} of ${o.episodes}; why the rest were out of reach: ${Object.entries(
          scores.labels,
        )
          .filter(([label]) => label !== 'reachable')
          .sort((a, b) => b[1] - a[1])
          .map(([label, n]) => `${label} ${n}`)
          .join(', ')}\nscores written to ${file}\n`,
  );
  return o.wrongPerson + o.afterPurchase + o.duplicates + o.violations === 0 ? EXIT.OK : EXIT.FAILURE;
}
