import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { klaviyoSettings } from '../../destinations/klaviyo/settings.ts';
import { KlaviyoApi, KlaviyoApiError, type KlaviyoFailureKind } from '../../klaviyo/klaviyo-api.ts';
import { checkKlaviyo, isLive, type KlaviyoCheck } from '../../klaviyo/klaviyo-check.ts';
import { sendTestEvents, TEST_EMAIL } from '../../klaviyo/klaviyo-test-event.ts';
import { klaviyoResults, type KlaviyoResults } from '../../klaviyo/klaviyo-results.ts';
import { setupKlaviyo, type SetupReport } from '../../klaviyo/klaviyo-setup.ts';
import { klaviyoSentByStage } from '../../reports/klaviyo-sent.ts';
import { reportPeriod } from '../../reports/report-period.ts';
import { EXIT, parseOptions, UsageError, type Command, type CommandContext } from '../command.ts';
import { withRuntime } from '../runtime.ts';

/** The exit code of each way Klaviyo can fail a command (`docs/cli.md`). */
const FAILURE_EXIT: Record<KlaviyoFailureKind | 'not_configured' | 'no_conversion_metric', number> = {
  no_conversion_metric: EXIT.FAILURE,
  not_configured: EXIT.CONFIG,
  invalid_key: EXIT.CONFIG,
  missing_scope: EXIT.FAILURE,
  throttled: EXIT.UNAVAILABLE,
  unreachable: EXIT.UNAVAILABLE,
  refused: EXIT.FAILURE,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RUN_ID = /^[\w.-]{1,64}$/;
const FLOW_ID = /^[A-Za-z0-9]{1,64}$/;

export const klaviyoCommand: Command = {
  name: 'klaviyo',
  summary:
    'Check the Klaviyo key; send test triggers; set up the Reclaim flows beside the native ones; compare their results',
  help: `Usage: reclaim klaviyo check [--json]
       reclaim klaviyo test-event [--email ADDRESS] [--run-id ID] [--json]
       reclaim klaviyo setup [--flow ID]... [--json]
       reclaim klaviyo results [--from DATE] [--to DATE] [--json]

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

setup: beside each native abandonment flow (those triggered by Viewed Product, Added to Cart, Started
Checkout, or each --flow ID), creates a draft Reclaim flow with the same messages and timing, triggered
by the Reclaim metric of its stage, with the dedup filters (native_flow_likely false, no order since
starting the flow, not reached by the native flow in the last 2 days), and a segment of the profiles
only the Reclaim flow reached. Never edits or activates a flow. A rerun creates nothing; a run that
stopped half way lists what it created, and the next run finishes it. Prints what to review and what
to do by hand. Needs flows:write and segments:write.

results: per stage, the native flows and the Reclaim flows side by side from Klaviyo's flow values
report (recipients, unique opens, unique clicks, conversions, revenue; uplift = Reclaim / native) and
Reclaim's own count of triggers Klaviyo accepted. --from/--to as reclaim report gap (ISO-8601; default
the last 30 days). Klaviyo allows 2 reports a minute. Needs the database (DATABASE_URL).

Exit codes: 0 all good, 1 a problem found (a missing scope) or Klaviyo refused a request,
69 Klaviyo unreachable or still throttling after waiting, 78 KLAVIYO_API_KEY unset, wrong or
revoked. See docs/klaviyo.md.`,
  async run(ctx) {
    const sub = ctx.argv[0];
    if (sub === 'setup') return setup(ctx);
    if (sub === 'results') return results(ctx);
    const { values, positionals } = parseOptions(
      ctx.argv,
      { json: { type: 'boolean' }, email: { type: 'string' }, 'run-id': { type: 'string' } },
      true,
    );
    if (positionals.length !== 1 || (sub !== 'check' && sub !== 'test-event'))
      throw new UsageError('expected: reclaim klaviyo check|test-event|setup|results [--json]');
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

function apiFor(ctx: CommandContext): KlaviyoApi {
  const settings = klaviyoSettings(loadConfig({ file: ctx.configFile }));
  if (!settings) throw new ConfigError('set KLAVIYO_API_KEY (a Klaviyo private API key)');
  return new KlaviyoApi(settings);
}

async function setup(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    ctx.argv,
    { json: { type: 'boolean' }, flow: { type: 'string', multiple: true } },
    true,
  );
  if (positionals.length !== 1)
    throw new UsageError('expected: reclaim klaviyo setup [--flow ID]... [--json]');
  const flowIds = values.flow ?? [];
  const bad = flowIds.find((id) => !FLOW_ID.test(id));
  if (bad !== undefined)
    throw new UsageError(`--flow must be a Klaviyo flow id (letters and digits); got "${bad}"`);
  const report = await setupKlaviyo(apiFor(ctx), { flowIds });
  ctx.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : setupText(report));
  if (report.failure) {
    ctx.stderr.write(`reclaim klaviyo: ${report.failure.message}\n`);
    return FAILURE_EXIT[report.failure.kind];
  }
  if (report.problems.length) {
    ctx.stderr.write(
      `reclaim klaviyo: ${report.problems.length} native flow${report.problems.length === 1 ? '' : 's'} not set up; the lines marked problem say why\n`,
    );
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}

function setupText(r: SetupReport): string {
  const lines: string[] = [];
  for (const n of r.native)
    lines.push(`native   ${n.stage.padEnd(9)}"${n.name}" (${n.id}, ${n.status ?? 'unknown'})`);
  for (const c of r.created)
    lines.push(`created  ${c.kind.padEnd(8)} "${c.name}" (${c.id})${c.kind === 'flow' ? ', a draft' : ''}`);
  for (const c of r.existing) lines.push(`exists   ${c.kind.padEnd(8)} "${c.name}" (${c.id}), left as it is`);
  for (const p of r.problems) lines.push(`problem  ${p}`);
  for (const v of r.review) lines.push(`review   ${v}`);
  for (const m of r.manual) lines.push(`by hand  ${m}`);
  if (r.failure) lines.push(`stopped  ${r.failure.message}`);
  else if (r.created.length === 0 && r.existing.length > 0)
    lines.push('nothing to create: the Reclaim flows and segments exist');
  return `${lines.join('\n')}\n`;
}

async function results(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    ctx.argv,
    { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1)
    throw new UsageError('expected: reclaim klaviyo results [--from DATE] [--to DATE] [--json]');
  const period = reportPeriod({ from: values.from, to: values.to }, Date.now());
  if (!period.ok) throw new UsageError(`--${period.message}`);
  const api = apiFor(ctx);
  return withRuntime(ctx, async ({ store }) => {
    const sent = await klaviyoSentByStage(store.db, period);
    const report = await klaviyoResults(api, { ...period, sent });
    ctx.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : resultsText(report));
    if (report.failure) {
      ctx.stderr.write(`reclaim klaviyo: ${report.failure.message}\n`);
      return FAILURE_EXIT[report.failure.kind];
    }
    return EXIT.OK;
  });
}

const ratio = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}x`);
const money = (v: number) => v.toFixed(2);

/** `reclaim klaviyo results` as text (also the end of `reclaim demo`). */
export function resultsText(r: KlaviyoResults): string {
  const lines = [`Klaviyo flow results ${r.from} to ${r.to} (conversions: ${r.conversionMetric})`];
  lines.push(
    `${'stage'.padEnd(9)}${'flow'.padEnd(8)}${'recipients'.padStart(11)}${'opens'.padStart(8)}${'clicks'.padStart(8)}${'conv.'.padStart(7)}${'revenue'.padStart(12)}`,
  );
  for (const s of r.stages) {
    const row = (
      label: string,
      t: { recipients: number; opens: number; clicks: number; conversions: number; revenue: number },
    ) =>
      `${s.stage.padEnd(9)}${label.padEnd(8)}${String(t.recipients).padStart(11)}${String(t.opens).padStart(8)}${String(t.clicks).padStart(8)}${String(t.conversions).padStart(7)}${money(t.revenue).padStart(12)}`;
    lines.push(row('native', s.native), row('reclaim', s.reclaim));
    lines.push(
      `${s.stage.padEnd(9)}uplift  recipients ${ratio(s.uplift.recipients)}, conversions ${ratio(s.uplift.conversions)}, revenue ${ratio(s.uplift.revenue)}; Reclaim sent ${s.reclaimSent} trigger${s.reclaimSent === 1 ? '' : 's'}, ${s.reclaim.recipients} entered a Reclaim flow and got a message`,
    );
  }
  for (const p of r.pairs)
    lines.push(
      `pair     ${p.stage.padEnd(9)}"${p.native?.name ?? '(native flow gone)'}" beside "${p.reclaim.name}" (${p.reclaim.status ?? 'unknown'})`,
    );
  for (const h of r.hints) lines.push(`hint     ${h}`);
  return `${lines.join('\n')}\n`;
}
