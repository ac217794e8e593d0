import { ISO_FORMAT, parseIsoTime } from '../../runtime/iso-time.ts';
import { replayFile } from '../../app/replay/replay.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';
import { progress } from '../progress.ts';
import { withRuntime } from '../runtime.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Run recorded requests through the engine in event time',
  help: `Usage: reclaim replay FILE [--until ISO-8601]

FILE is NDJSON, one recorded request a line:
  {"at": ISO-8601 arrival time, "kind": "segment"|"pixel"|"shopify"|"consent",
   "path"?: "/v1/track"…, "headers"?: {…}, "body": {…}}
Lines are processed in "at" order with the engine's clock at "at"; timers fire as the clock passes
them; after the last line the clock runs on to --until (default: the last "at" plus the longest
abandonment window plus one minute; 2026-10-01, 2026-10-01T09:30Z or 2026-10-01T11:30+02:00). Deliveries go to the configured destinations. Prints a JSON
summary on stdout: lines, events, triggers by stage, deliveries by destination and outcome; progress
goes to stderr. Shopify lines are trusted input: their HMAC is not re-verified. Give it a database
no running server uses: a server would fire the same journeys on the wall clock.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(ctx.argv, { until: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('expected: reclaim replay FILE [--until ISO-8601]');
    const time = values.until === undefined ? undefined : parseIsoTime(values.until);
    if (time !== undefined && !time.ok)
      throw new UsageError(`--until must be ${ISO_FORMAT}; got "${values.until}"`);
    const until = time?.ms;
    return withRuntime(ctx, async ({ config, store, log }) => {
      const shown = progress({ label: 'replaying', unit: 'requests', stream: ctx.stderr });
      const summary = await replayFile({
        file: positionals[0]!,
        until,
        config,
        store,
        log,
        onProgress: (done, total) => shown.update(done, total),
      });
      shown.finish();
      ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return EXIT.OK;
    });
  },
};
