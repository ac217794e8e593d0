import { ConfigError, misspeltVariableWarnings } from '../config/load-config.ts';
import { MigrationError } from '../store/migrator.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { EXIT, UsageError, type Command, type CommandContext } from './command.ts';
import { configCommand } from './commands/config.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { profileCommand } from './commands/profile.ts';
import { consentCommand } from './commands/consent.ts';
import { replayCommand } from './commands/replay.ts';
import { workerCommand } from './commands/worker.ts';
import { deliveriesCommand } from './commands/deliveries.ts';
import { standInCommand } from './commands/stand-in.ts';
import { shopifyCommand } from './commands/shopify.ts';
import { klaviyoCommand } from './commands/klaviyo.ts';
import { reportCommand } from './commands/report.ts';
import { simulateCommand } from './commands/simulate.ts';
import { scoreCommand } from './commands/score.ts';
import { demoCommand } from './commands/demo.ts';
import { scanCommand } from './commands/scan.ts';

/** Every command, in the order `reclaim --help` lists them. */
const COMMANDS: readonly Command[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  replayCommand,
  reportCommand,
  demoCommand,
  simulateCommand,
  scoreCommand,
  scanCommand,
  configCommand,
  profileCommand,
  consentCommand,
  deliveriesCommand,
  shopifyCommand,
  klaviyoCommand,
  standInCommand,
];

const GLOBAL_HELP = `Usage: reclaim <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Global options:
  --config FILE  JSON config file (or RECLAIM_CONFIG); environment variables win over it
  --debug        print stack traces on errors
  --help         help for reclaim or for one command

Exit codes: 0 ok, 1 failed, 2 usage, 69 database unavailable, port taken or no browser, 78 invalid configuration.`;

export interface MainIo {
  stdout?: NodeJS.WritableStream & CommandContext['stdout'];
  stderr?: NodeJS.WritableStream & CommandContext['stderr'];
}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const { rest, configFile, debug, help } = extractGlobals(argv);
  const [name, ...commandArgv] = rest;
  if (!name) {
    (help ? stdout : stderr).write(`${GLOBAL_HELP}\n`);
    return help ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    stderr.write(`reclaim: unknown command "${name}"\n\n${GLOBAL_HELP}\n`);
    return EXIT.USAGE;
  }
  if (help) {
    stdout.write(`${command.help}\n`);
    return EXIT.OK;
  }
  for (const warning of misspeltVariableWarnings()) stderr.write(`${warning}\n`);
  // Held for the whole command: a second signal while stopping is ignored, not fatal. `npm start` forwards
  // the terminal's Ctrl-C that the server also receives, and a service manager may signal the whole group;
  // RECLAIM_SHUTDOWN_TIMEOUT bounds the stop instead.
  const listeners: [NodeJS.Signals, () => void][] = [];
  const stopSignal = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const listener = () => resolve(signal);
      listeners.push([signal, listener]);
      process.on(signal, listener);
    }
  });
  try {
    return await command.run({ argv: commandArgv, configFile, debug, stdout, stderr, stopSignal });
  } catch (error) {
    const [code, message] = describeFailure(error);
    stderr.write(`reclaim ${name}: ${message}\n`);
    if (code === EXIT.USAGE) stderr.write(`run "reclaim ${name} --help" for usage\n`);
    if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
    return code;
  } finally {
    // Once the command has its exit code, a signal ends the process again instead of being swallowed.
    for (const [signal, listener] of listeners) process.off(signal, listener);
  }
}

function extractGlobals(argv: string[]) {
  const rest: string[] = [];
  let configFile: string | undefined;
  let debug = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--debug') debug = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--config') configFile = argv[++i];
    else if (arg.startsWith('--config=')) configFile = arg.slice('--config='.length);
    else rest.push(arg);
  }
  return { rest, configFile, debug, help };
}

function describeFailure(error: unknown): [number, string] {
  if (error instanceof UsageError) return [EXIT.USAGE, error.message];
  if (error instanceof ConfigError) return [EXIT.CONFIG, error.message];
  if (error instanceof StoreUnavailableError) return [EXIT.UNAVAILABLE, error.message];
  if (error instanceof MigrationError) return [EXIT.FAILURE, error.message];
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    return [EXIT.UNAVAILABLE, `port is already in use: ${error.message}`];
  }
  return [EXIT.FAILURE, error instanceof Error ? error.message : String(error)];
}
