import { ConfigError, loadConfig } from '../../config/load-config.ts';
import type { Config } from '../../config/config-schema.ts';
import { withIsoTimes } from '../../server/iso-times.ts';
import {
  adminClientFor,
  ShopifyAdminError,
  type ShopifyAdminClient,
  type ShopifyFailureKind,
} from '../../shopify/shopify-admin-api.ts';
import { connectShopify, type ConnectReport } from '../../shopify/shopify-connect.ts';
import { shopifyStatus, type ShopifyStatus } from '../../shopify/shopify-status.ts';
import { EXIT, parseOptions, UsageError, type Command, type CommandContext } from '../command.ts';
import { withRuntime } from '../runtime.ts';

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
  help: `Usage: reclaim shopify connect [--no-webhooks] [--no-pixel] [--json]
       reclaim shopify status [--json]

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

status: scopes granted and missing; each topic subscribed or not, where else it goes and when Reclaim
last received it; the pixel and when Reclaim last stored a pixel event.

Exit codes: 0 done, 1 Shopify refused a change, 69 Shopify unreachable or throttling, 78 a setting,
the token or a scope needs fixing (the message says which). See docs/shopify.md.`,
  async run(ctx) {
    if (ctx.argv[0] === 'import') {
      ctx.stderr.write(
        'reclaim shopify: import (the day-one import of recent checkouts and orders) is not built yet; see docs/shopify.md\n',
      );
      return EXIT.FAILURE;
    }
    const { values, positionals } = parseOptions(
      ctx.argv,
      { json: { type: 'boolean' }, 'no-webhooks': { type: 'boolean' }, 'no-pixel': { type: 'boolean' } },
      true,
    );
    const [sub] = positionals;
    if (positionals.length !== 1 || (sub !== 'connect' && sub !== 'status'))
      throw new UsageError('expected: reclaim shopify connect|status [--json]');
    if (sub === 'status') {
      return withRuntime(ctx, async ({ config, store }) => {
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
    const config = loadConfig({ file: ctx.configFile });
    const { client, shop, publicUrl } = connectSettings(config);
    return connect(ctx, client, shop, publicUrl, {
      json: values.json === true,
      webhooks: values['no-webhooks'] !== true,
      pixel: values['no-pixel'] !== true,
    });
  },
};

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
