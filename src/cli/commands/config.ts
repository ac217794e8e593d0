import { loadConfig, maskSecrets } from '../../config/load-config.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';

export const configCommand: Command = {
  name: 'config',
  summary: 'Show the effective configuration (secrets masked)',
  help: `Usage: reclaim config print [--config FILE]

Prints the configuration Reclaim would run with — defaults, the config file and the environment
merged, the environment winning — as JSON, with every secret masked. Exits 78 when it is invalid.`,
  run(ctx) {
    const { positionals } = parseOptions(ctx.argv, {}, true);
    if (positionals[0] !== 'print' || positionals.length !== 1) {
      throw new UsageError('expected: reclaim config print');
    }
    const config = loadConfig({ file: ctx.configFile });
    ctx.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`);
    return Promise.resolve(EXIT.OK);
  },
};
