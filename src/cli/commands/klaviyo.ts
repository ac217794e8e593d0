import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { klaviyoSettings } from '../../destinations/klaviyo/settings.ts';
import { KlaviyoApi, KlaviyoApiError, type KlaviyoFailureKind } from '../../klaviyo/klaviyo-api.ts';
import { checkKlaviyo, isLive, type KlaviyoCheck } from '../../klaviyo/klaviyo-check.ts';
import { sendTestEvents, TEST_EMAIL } from '../../klaviyo/klaviyo-test-event.ts';
import { EXIT, parseOptions, UsageError, type Command, type CommandContext } from '../command.ts';

/** The exit code of each way Klaviyo can fail a command (`docs/cli.md`). */
const FAILURE_EXIT: Record<KlaviyoFailureKind | 'not_configured', number> = {
  not_configured: EXIT.CONFIG,
  invalid_key: EXIT.CONFIG,
  missing_scope: EXIT.FAILURE,
  throttled: EXIT.UNAVAILABLE,
  unreachable: EXIT.UNAVAILABLE,
  refused: EXIT.FAILURE,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RUN_ID = /^[\w.-]{1,64}$/;

export const klaviyoCommand: Command = {
  name: 'klaviyo',
  summary: 'Check the Klaviyo key, metrics and flows; send a test trigger of each stage',
  help: `Usage: reclaim klaviyo check [--json]
       reclaim klaviyo test-event [--email ADDRESS] [--run-id ID] [--json]

Needs KLAVIYO_API_KEY (a private key) and, for a stand-in, KLAVIYO_BASE_URL.

check: which account the key belongs to; each scope Reclaim uses, read with a harmless GET (a 403
names a missing scope) and what Reclaim cannot do without it (events:write and data-privacy:write show
only by writing: test-event proves events:write); the Reclaim metrics already in the account and the
flows each one triggers, with their status (draft, manual, live). Hints (no metric yet, no flow, no
live flow) do not fail it.

test-event: sends one trigger of each stage (browse, cart, checkout) through the same code as a
shopper's trigger, to a test profile (default ${TEST_EMAIL}, which receives no mail; --email names
an inbox that should get the flows' messages). Each event has reclaim_test: true and unique_id
reclaim-test:{run}:{stage}; filter reclaim_test out of your flows. A new run id each time (--run-id
repeats one: Klaviyo keeps only the first event of a unique_id per profile and metric).

Exit codes: 0 all good, 1 a problem found (a missing scope) or Klaviyo refused a request,
69 Klaviyo unreachable or still throttling after waiting, 78 KLAVIYO_API_KEY unset, wrong or
revoked. See docs/klaviyo.md.`,
  async run(ctx) {
    const sub = ctx.argv[0];
    if (sub === 'setup' || sub === 'results') {
      ctx.stderr.write(`reclaim klaviyo: ${sub} is not built yet; see docs/klaviyo.md\n`);
      return EXIT.FAILURE;
    }
    const { values, positionals } = parseOptions(
      ctx.argv,
      { json: { type: 'boolean' }, email: { type: 'string' }, 'run-id': { type: 'string' } },
      true,
    );
    if (positionals.length !== 1 || (sub !== 'check' && sub !== 'test-event'))
      throw new UsageError('expected: reclaim klaviyo check|test-event [--json]');
    if (sub === 'check' && (values.email !== undefined || values['run-id'] !== undefined))
      throw new UsageError('--email and --run-id are options of test-event');
    if (values.email !== undefined && !EMAIL.test(values.email))
      throw new UsageError('--email must be an email address');
    if (values['run-id'] !== undefined && !RUN_ID.test(values['run-id']))
      throw new UsageError('--run-id must be 1 to 64 letters, digits, ".", "_" or "-"');
    const config = loadConfig({ file: ctx.configFile });
    const settings = klaviyoSettings(config);
    if (sub === 'check') return check(ctx, settings && new KlaviyoApi(settings), values.json === true);
    if (!settings) throw new ConfigError('set KLAVIYO_API_KEY (a Klaviyo private API key)');
    return testEvent(ctx, new KlaviyoApi(settings), {
      email: values.email ?? TEST_EMAIL,
      runId: values['run-id'] ?? `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
      shop: config.shopify.shop,
      json: values.json === true,
    });
  },
};

async function check(ctx: CommandContext, api: KlaviyoApi | undefined, json: boolean): Promise<number> {
  const result = await checkKlaviyo(api);
  ctx.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : checkText(result));
  if (!result.api.ok) {
    ctx.stderr.write(`reclaim klaviyo: ${result.api.message}\n`);
    return FAILURE_EXIT[result.api.kind];
  }
  if (!result.ok) {
    ctx.stderr.write(
      `reclaim klaviyo: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found; the lines marked MISSING say what each one disables\n`,
    );
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}

function checkText(c: KlaviyoCheck): string {
  const account = c.account
    ? `${c.account.name ?? '(unnamed)'} (${c.account.id})${c.account.testAccount ? ', a test account' : ''}`
    : '(account not read)';
  const lines = [`Klaviyo ${account} at ${c.baseUrl ?? '(not configured)'}, API revision ${c.revision}`];
  if (!c.api.ok) lines.push(`api      NOT READ: ${c.api.message}`);
  for (const s of c.scopes) {
    const detail = s.state === 'missing' ? s.disables : s.state === 'unverified' ? (s.note ?? '') : '';
    lines.push(
      `scope    ${s.scope.padEnd(20)} ${s.state === 'missing' ? 'MISSING' : s.state} ${detail}`.trimEnd(),
    );
  }
  for (const m of c.metrics ?? []) {
    if (m.id === null) {
      lines.push(`metric   ${m.name.padEnd(30)} not in the account yet`);
      continue;
    }
    const flows =
      m.flows === null
        ? 'flows not read'
        : m.flows.length === 0
          ? 'triggers no flow'
          : `triggers ${m.flows
              .map(
                (f) =>
                  `"${f.name ?? f.id}" (${f.archived ? 'archived' : (f.status ?? 'unknown')}${isLive(f) ? '' : ', sends nothing'})`,
              )
              .join(', ')}`;
    lines.push(`metric   ${m.name.padEnd(30)} ${m.id}: ${flows}`);
  }
  for (const problem of c.problems) lines.push(`problem  ${problem}`);
  for (const hint of c.hints) lines.push(`hint     ${hint}`);
  if (c.ok && c.hints.length === 0) lines.push('all good');
  return `${lines.join('\n')}\n`;
}

async function testEvent(
  ctx: CommandContext,
  api: KlaviyoApi,
  options: { email: string; runId: string; shop: string | undefined; json: boolean },
): Promise<number> {
  try {
    const sent = await sendTestEvents(api, { ...options, now: Date.now() });
    if (options.json) ctx.stdout.write(`${JSON.stringify({ runId: options.runId, sent }, null, 2)}\n`);
    else {
      const lines = sent.map(
        (s) => `sent     ${s.metric.padEnd(30)} unique_id ${s.uniqueId} to ${s.email}, reclaim_test: true`,
      );
      lines.push(
        `run ${options.runId}: Klaviyo shows the events under each metric within minutes; run reclaim klaviyo check`,
      );
      ctx.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT.OK;
  } catch (error) {
    if (!(error instanceof KlaviyoApiError)) throw error;
    const message =
      error.kind === 'missing_scope'
        ? 'the key lacks events:write: no trigger reaches Klaviyo; create a key with Events full access (docs/klaviyo.md)'
        : error.message;
    ctx.stderr.write(`reclaim klaviyo: ${message}\n`);
    return FAILURE_EXIT[error.kind];
  }
}
