import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';

/** Exit codes with a meaning (sysexits.h where one fits). Documented in `docs/cli.md`. */
export const EXIT = {
  OK: 0,
  /** The command ran and failed (a check found a problem, a run could not finish). */
  FAILURE: 1,
  /** Wrong arguments or options. */
  USAGE: 2,
  /** The database or another service Reclaim needs is unreachable. */
  UNAVAILABLE: 69,
  /** The configuration is invalid. */
  CONFIG: 78,
} as const;

/** What every command receives: its own arguments, the global flags and where to write. */
export interface CommandContext {
  argv: string[];
  /** `--config FILE`, when given. */
  configFile?: string;
  debug: boolean;
  stdout: Writable;
  stderr: Writable;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal: Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  /** Full help text, shown by `reclaim NAME --help`. */
  help: string;
  run(ctx: CommandContext): Promise<number>;
}

/** Wrong arguments: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a command's options strictly; an unknown option is a usage error, not a crash. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
