import { ConfigError, loadConfig } from '../../config/load-config.ts';
import type { Config } from '../../config/config-schema.ts';
import { withIsoTimes } from '../../http/body/iso-times.ts';
import {
  adminClientFor,
  ShopifyAdminError,
  type ShopifyAdminClient,
  type ShopifyFailureKind,
} from '../../shopify/shopify-admin-api.ts';
import { connectShopify, type ConnectReport } from '../../shopify/shopify-connect.ts';
import { shopifyStatus, type ShopifyStatus } from '../../shopify/shopify-status.ts';
import { EXIT, parseOptions, UsageError, type Command, type CommandContext } from '../command.ts';
import { withRuntime, type CliRuntime } from '../runtime.ts';
import { progress, type Progress } from '../progress.ts';
import { createEngine } from '../../app/engine.ts';
import { BulkExportError } from '../../shopify/shopify-bulk-operation.ts';
import { runShopifyImport, type ImportReport } from '../../shopify/shopify-import.ts';
import type { ImportExport } from '../../shopify/shopify-import-mapper.ts';
import { acquireLease, releaseLease } from '../../store/lease.ts';
import { installedToken } from '../../shopify/installed-token.ts';

/** The exit code of each Admin API failure (`docs/cli.md`). */
const FAILURE_EXIT: Record<ShopifyFailureKind, number> = {
  unauthorized: EXIT.CONFIG,
  unknown_shop: EXIT.CONFIG,
  access_denied: EXIT.CONFIG,
  throttled: EXIT.UNAVAILABLE,
  unavailable: EXIT.UNAVAILABLE,
  rejected: EXIT.FAILURE,
};

export const shopifyCommand: Command = {
  name: 'shopify',
  summary: 'Connect a Shopify store to Reclaim (webhooks, web pixel) and check the connection',
  help: `Usage: reclaim shopify connect [--no-webhooks] [--no-pixel] [--import [--days N]] [--json]
       reclaim shopify status [--json]
       reclaim shopify import [--days N] [--json]

Needs SHOPIFY_SHOP (northwind-demo.myshopify.com), SHOPIFY_ADMIN_TOKEN (the installed app's Admin API
access token) and, for connect, RECLAIM_PUBLIC_URL (https://… where Shopify reaches Reclaim).

connect: checks the token and its scopes (names each missing scope and what it is for, and changes
nothing until they are granted), subscribes every topic Reclaim consumes to
RECLAIM_PUBLIC_URL/webhooks/shopify (creating or correcting subscriptions; a rerun changes nothing),
reports subscriptions of the same topics to other addresses without deleting them, and creates or
updates the web pixel's settings. --no-webhooks sets up the pixel only: for an app deployed with the
Shopify CLI, whose shopify.app.toml already subscribes every topic. --no-pixel leaves the pixel alone:
for an app created in the Shopify admin, which has no pixel extension (paste the custom pixel
instead). The compliance topics (customers/data_request, customers/redact,
shop/redact) cannot be subscribed through the API: shopify.app.toml declares them.

import: the day-one import, through Shopify bulk operations: every customer with their email and SMS
marketing consent (into the identity graph, and the consent ledger as source shopify_import at the
time Shopify recorded each decision; a newer decision Reclaim holds stays in force), the orders of the
last N days (default 90: purchases for "bought since" and revenue) and abandoned checkouts of the last N
days (they tie checkouts to shoppers; imported events never start an abandonment flow). Streamed and
checkpointed: a run that stops resumes where it stopped; a rerun adds nothing. The import is processed
here unless a running Reclaim server holds the engine (it then processes it). connect --import runs it
after connecting.

status: scopes granted and missing; each topic subscribed or not, where else it goes and when Reclaim
last received it; the pixel and when Reclaim last stored a pixel event.

Exit codes: 0 done, 1 Shopify refused a change or an export line was malformed, 69 Shopify unreachable,
throttling or its export failed (run it again: it resumes), 78 a setting,
the token or a scope needs fixing (the message says which). See docs/shopify.md.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      {
        json: { type: 'boolean' },
        'no-webhooks': { type: 'boolean' },
        'no-pixel': { type: 'boolean' },
        import: { type: 'boolean' },
        days: { type: 'string' },
      },
      true,
    );
    const [sub] = positionals;
    if (positionals.length !== 1 || (sub !== 'connect' && sub !== 'status' && sub !== 'import'))
      throw new UsageError('expected: reclaim shopify connect|status|import [--json]');
    const days = values.days === undefined ? 90 : Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > 3650)
      throw new UsageError('--days must be a whole number of days from 1 to 3650');
    if (sub === 'import') return importCommand(ctx, days, values.json === true);
    if (sub === 'status') {
      return withRuntime(ctx, async ({ config: loaded, store }) => {
        const config = await withInstalledToken(loaded, store);
        const status = await shopifyStatus({
          db: store.db,
          shop: config.shopify.shop,
          publicUrl: config.publicUrl,
          client: adminClientFor(config.shopify),
        });
        ctx.stdout.write(
          values.json ? `${JSON.stringify(withIsoTimes(status), null, 2)}\n` : statusText(status),
        );
        if (!status.api.ok) {
          ctx.stderr.write(`reclaim shopify: ${status.api.message}\n`);
          return status.api.kind === 'not_configured' ? EXIT.CONFIG : FAILURE_EXIT[status.api.kind];
        }
        return EXIT.OK;
      });
    }
    let config = loadConfig({ file: ctx.configFile });
    if (!config.shopify.adminToken && config.encryptionKey && config.shopify.shop)
      config = await withRuntime(ctx, ({ store }) => withInstalledToken(config, store));
    const { client, shop, publicUrl } = connectSettings(config);
    const connected = await connect(ctx, client, shop, publicUrl, {
      json: values.json === true,
      webhooks: values['no-webhooks'] !== true,
      pixel: values['no-pixel'] !== true,
    });
    if (connected !== EXIT.OK) return connected;
    if (values.import === true) return importCommand(ctx, days, values.json === true);
    if (values.json !== true)
      ctx.stdout.write(
        'next: reclaim shopify import (customers, their consent and recent orders, so Reclaim knows the store from day one)\n',
      );
    return EXIT.OK;
  },
};

/**
 * The config with the access token the OAuth install stored for `SHOPIFY_SHOP` (decrypted with
 * `RECLAIM_ENCRYPTION_KEY`) when `SHOPIFY_ADMIN_TOKEN` is not set.
 */
async function withInstalledToken(config: Config, store: CliRuntime['store']): Promise<Config> {
  if (config.shopify.adminToken || !config.encryptionKey || !config.shopify.shop) return config;
  const token = await installedToken(store, config.encryptionKey, config.shopify.shop);
  return token ? { ...config, shopify: { ...config.shopify, adminToken: token } } : config;
}

const IMPORT_LABEL: Record<ImportExport, string> = {
  customers: 'importing customers',
  orders: 'importing orders',
  checkouts: 'importing checkouts',
};

/** `reclaim shopify import`: the exports into the event log, then processed here if no server holds the engine. */
async function importCommand(ctx: CommandContext, days: number, json: boolean): Promise<number> {
  return withRuntime(ctx, async (loaded) => {
    const runtime = { ...loaded, config: await withInstalledToken(loaded.config, loaded.store) };
    const { config, store, clock } = runtime;
    if (!config.shopify.shop || !config.shopify.adminToken)
      throw new ConfigError(
        `set ${[
          config.shopify.shop ? undefined : 'SHOPIFY_SHOP (the store’s myshopify.com domain)',
          config.shopify.adminToken ? undefined : 'SHOPIFY_ADMIN_TOKEN (the app’s Admin API access token)',
        ]
          .filter(Boolean)
          .join(', ')}`,
      );
    const bars = new Map<ImportExport, Progress>();
    let report: ImportReport;
    try {
      report = await runShopifyImport({
        client: adminClientFor(config.shopify)!,
        store,
        shop: config.shopify.shop,
        days,
        now: () => clock.now(),
        onProgress(name, done, total) {
          for (const [other, bar] of bars)
            if (other !== name) {
              bar.finish();
              bars.delete(other);
            }
          let bar = bars.get(name);
          if (!bar)
            bars.set(
              name,
              (bar = progress({ label: IMPORT_LABEL[name], unit: 'lines', stream: ctx.stderr })),
            );
          bar.update(done, total);
        },
      });
    } catch (error) {
      for (const bar of bars.values()) bar.finish();
      const failure = importFailure(error);
      if (!failure) throw error;
      ctx.stderr.write(`reclaim shopify: ${failure.message}\n`);
      return failure.exit;
    }
    for (const bar of bars.values()) bar.finish();
    const processed = await processImported(runtime, ctx);
    const summary = { ...report, processed };
    if (json) ctx.stdout.write(`${JSON.stringify(withIsoTimes(summary), null, 2)}\n`);
    else ctx.stdout.write(importText(summary));
    return EXIT.OK;
  });
}

/** One line naming what to do, and the exit code, for each way an import can stop; undefined for a defect. */
function importFailure(error: unknown): { message: string; exit: number } | undefined {
  const resume = 'run reclaim shopify import again: it resumes where it stopped';
  if (error instanceof ShopifyAdminError) {
    const access =
      error.kind === 'access_denied'
        ? '; the import needs read_customers (customers and consent) and read_orders (orders and checkouts): add them to access_scopes in shopify.app.toml, deploy and approve on the store'
        : '';
    return {
      message: `${error.message}${access}${error.kind === 'throttled' || error.kind === 'unavailable' ? `; ${resume}` : ''}`,
      exit: FAILURE_EXIT[error.kind],
    };
  }
  if (!(error instanceof BulkExportError)) return undefined;
  if (error.kind === 'failed' && error.code === 'ACCESS_DENIED')
    return {
      message: `${error.message}: the app lacks a scope the export needs — read_customers for customers and their consent, read_orders for orders and abandoned checkouts (read_all_orders beyond 60 days); add it to access_scopes in shopify.app.toml, deploy, approve on the store, then ${resume}`,
      exit: EXIT.CONFIG,
    };
  if (error.kind === 'malformed')
    return { message: `${error.message}; lines before it are stored; ${resume}`, exit: EXIT.FAILURE };
  if (error.kind === 'refused') return { message: error.message, exit: EXIT.FAILURE };
  return { message: `${error.message}; ${resume}`, exit: EXIT.UNAVAILABLE };
}

/**
 * Processes what the import stored (identity, consent ledger, purchases) under the engine's lease; a running
 * server that holds the lease processes it instead. Returns the events processed here, or null.
 */
async function processImported(runtime: CliRuntime, ctx: CommandContext): Promise<number | null> {
  const holder = `import-${process.pid}`;
  const engine = createEngine(runtime);
  if (!(await acquireLease(runtime.store, 'engine', holder, 60_000, runtime.clock.now()))) return null;
  let processed = 0;
  const bar = progress({ label: 'processing', unit: 'events', stream: ctx.stderr });
  try {
    for (;;) {
      const count = await engine.processor.processBatch();
      if (count === 0) break;
      processed += count;
      bar.update(processed, processed);
      await acquireLease(runtime.store, 'engine', holder, 60_000, runtime.clock.now());
    }
  } finally {
    bar.finish();
    await releaseLease(runtime.store, 'engine', holder);
  }
  return processed;
}

function importText(summary: ImportReport & { processed: number | null }): string {
  const lines = [
    `Shopify ${summary.shop}: import ${summary.id}${summary.resumed ? ' (resumed)' : ''}, orders and checkouts since ${new Date(summary.ordersSinceAt).toISOString()}`,
  ];
  for (const [name, c] of Object.entries(summary.counts))
    lines.push(
      `${name.padEnd(10)} ${c.lines} lines, ${c.stored} events stored, ${c.duplicates} already there`,
    );
  lines.push(
    summary.processed === null
      ? 'processing: a running Reclaim server holds the engine and processes the import'
      : `processed ${summary.processed} events (identity, consent ledger, purchases)`,
  );
  return `${lines.join('\n')}\n`;
}

function connectSettings(config: Config): { client: ShopifyAdminClient; shop: string; publicUrl: string } {
  const missing = [
    config.shopify.shop ? undefined : 'SHOPIFY_SHOP (the store’s myshopify.com domain)',
    config.shopify.adminToken ? undefined : 'SHOPIFY_ADMIN_TOKEN (the app’s Admin API access token)',
    config.publicUrl ? undefined : 'RECLAIM_PUBLIC_URL (the https address where Shopify reaches Reclaim)',
  ].filter((m) => m !== undefined);
  if (missing.length > 0) throw new ConfigError(`set ${missing.join(', ')}`);
  return {
    client: adminClientFor(config.shopify)!,
    shop: config.shopify.shop!,
    publicUrl: config.publicUrl!,
  };
}

async function connect(
  ctx: CommandContext,
  client: ShopifyAdminClient,
  shop: string,
  publicUrl: string,
  { json, webhooks, pixel }: { json: boolean; webhooks: boolean; pixel: boolean },
): Promise<number> {
  let report: ConnectReport;
  try {
    report = await connectShopify(client, shop, publicUrl, { webhooks, pixel });
  } catch (error) {
    if (!(error instanceof ShopifyAdminError)) throw error;
    ctx.stderr.write(`reclaim shopify: ${error.message}\n`);
    return FAILURE_EXIT[error.kind];
  }
  ctx.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : connectText(report));
  if (report.scopes.missing.length > 0) {
    ctx.stderr.write(
      `reclaim shopify: the app lacks ${report.scopes.missing.map((s) => s.handle).join(', ')}; add ${
        report.scopes.missing.length > 1 ? 'them' : 'it'
      } to access_scopes in shopify.app.toml, deploy, approve on the store, and run connect again (nothing was changed)\n`,
    );
    return EXIT.CONFIG;
  }
  if (!report.ok) {
    ctx.stderr.write('reclaim shopify: Shopify refused part of the setup; the lines marked failed say why\n');
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}

function connectText(report: ConnectReport): string {
  const lines = [`Shopify ${report.shop} (Admin API ${report.apiVersion}) → ${report.webhookUri}`];
  if (report.scopes.missing.length === 0)
    lines.push(`scope       all granted: ${report.scopes.granted.join(', ')}`);
  for (const scope of report.scopes.missing)
    lines.push(`scope       MISSING ${scope.handle}: ${scope.reason}`);
  if (report.scopes.missing.length === 0 && report.webhooks.length === 0)
    lines.push('webhook     left alone (--no-webhooks): shopify.app.toml subscribes them');
  for (const w of report.webhooks) {
    const notes = [
      w.error ? `— ${w.error}` : '',
      ...w.elsewhere.map((uri) => `(also delivered to ${uri}; kept)`),
      w.narrowed ? '(sends only some fields or filters events; check includeFields/filter)' : '',
    ].filter(Boolean);
    lines.push(`webhook     ${w.topic.padEnd(42)} ${w.action.padEnd(9)} ${notes.join(' ')}`.trimEnd());
  }
  for (const c of report.compliance)
    lines.push(
      `compliance  ${c.topic.padEnd(42)} declared in shopify.app.toml (the Admin API cannot subscribe compliance topics)`,
    );
  if (!report.pixel && report.scopes.missing.length === 0)
    lines.push('pixel       left alone (--no-pixel): paste the custom pixel (docs/shopify.md)');
  if (report.pixel) {
    const p = report.pixel;
    lines.push(
      `pixel       ${p.action.padEnd(9)} endpoint=${p.settings.endpoint ?? ''}${p.error ? ` — ${p.error}` : ''}`,
    );
  }
  if (report.scopes.missing.length === 0) {
    const count = (action: string) => report.webhooks.filter((w) => w.action === action).length;
    const elsewhere = report.webhooks.reduce((n, w) => n + w.elsewhere.length, 0);
    lines.push(
      `${report.changed ? 'changed' : 'nothing to change'}: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} failed; ${elsewhere} subscription(s) elsewhere kept`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const when = (at: number | null) => (at === null ? 'never' : new Date(at).toISOString());

function statusText(status: ShopifyStatus): string {
  const lines = [
    `Shopify ${status.shop ?? '(SHOPIFY_SHOP not set)'} (Admin API ${status.apiVersion}) → ${status.webhookUri ?? '(RECLAIM_PUBLIC_URL not set)'}`,
  ];
  if (!status.api.ok) lines.push(`api         NOT READ: ${status.api.message}`);
  if (status.scopes) {
    lines.push(`scope       granted: ${status.scopes.granted.join(', ') || 'none'}`);
    for (const scope of status.scopes.missing)
      lines.push(`scope       MISSING ${scope.handle}: ${scope.reason}`);
  }
  for (const t of status.topics) {
    const state = t.registered === null ? 'unknown' : t.registered ? 'subscribed' : 'NOT SUBSCRIBED';
    const elsewhere = t.elsewhere.length ? ` also → ${t.elsewhere.join(', ')}` : '';
    lines.push(
      `webhook     ${t.topic.padEnd(42)} ${state.padEnd(14)} last received ${when(t.lastReceivedAt)}${elsewhere}`,
    );
  }
  for (const c of status.compliance)
    lines.push(
      `compliance  ${c.topic.padEnd(42)} ${'(toml)'.padEnd(14)} last received ${when(c.lastReceivedAt)}`,
    );
  const p = status.pixel;
  const pixelState =
    p.active === null
      ? `unknown${p.unread ? ` (${p.unread.message})` : ''}`
      : p.active
        ? `active, settings ${JSON.stringify(p.settings)}${p.settingsMatch === false ? ' (NOT this Reclaim: run connect)' : ''}`
        : 'NOT CREATED (run connect)';
  lines.push(`pixel       ${pixelState}; last pixel event ${when(p.lastEventAt)}`);
  lines.push('refused     webhooks Reclaim refused are not recorded (see docs/shopify.md)');
  return `${lines.join('\n')}\n`;
}
