import { Ga4StandIn } from '../../stand-ins/ga4-stand-in.ts';
import { KlaviyoStandIn } from '../../stand-ins/klaviyo-stand-in.ts';
import { MetaStandIn } from '../../stand-ins/meta-stand-in.ts';
import { ShopifyStandIn } from '../../stand-ins/shopify-stand-in.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';

const PARTNERS = {
  klaviyo: () => new KlaviyoStandIn(),
  meta: () => new MetaStandIn(),
  ga4: () => new Ga4StandIn(),
  shopify: (shop: ShopOptions) => new ShopifyStandIn({ shopData: shop }),
};

type ShopOptions = { customers: number; orders: number; checkouts: number; seed: number };

function count(value: string | undefined, name: string, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100_000_000)
    throw new UsageError(`--${name} must be a whole number from 0 to 100000000`);
  return n;
}

export const standInCommand: Command = {
  name: 'stand-in',
  summary: 'Run a local Klaviyo, Meta, GA4 or Shopify Admin API that enforces the partner’s published rules',
  help: `Usage: reclaim stand-in klaviyo|meta|ga4|shopify [--port N]
       reclaim stand-in shopify [--customers N] [--orders N] [--checkouts N] [--seed S]

Serves a local stand-in for a partner API on 127.0.0.1 (a free port unless --port), for trying
Reclaim without a partner account, for staging, and for benchmarks. It refuses what the partner
refuses (headers, schema, identifiers, limits, rate limits with 429) and records what it accepts:
GET /_stand-in/stats (Klaviyo also GET /_stand-in/events). Prints {"url": …} on stdout, then serves
until SIGTERM or SIGINT.

Credentials it accepts:
  klaviyo  KLAVIYO_API_KEY=${KlaviyoStandIn.DEFAULT_KEY}
           (events, deletions, and the reads of reclaim klaviyo check: accounts, metrics and the
           flows they trigger; a metric appears with its first event)
  meta     META_PIXEL_ID=${MetaStandIn.DEFAULT_PIXEL} META_ACCESS_TOKEN=${MetaStandIn.DEFAULT_TOKEN}
  ga4      GA4_MEASUREMENT_ID=${Ga4StandIn.DEFAULT_MEASUREMENT_ID} GA4_API_SECRET=${Ga4StandIn.DEFAULT_SECRET}
  shopify  SHOPIFY_ADMIN_BASE_URL={url} SHOPIFY_SHOP=${ShopifyStandIn.SHOP} SHOPIFY_ADMIN_TOKEN=${ShopifyStandIn.DEFAULT_TOKEN}
           (the Admin GraphQL API: webhook subscriptions and the web pixel, with Shopify's cost throttling;
           bulk operations exporting a generated shop for reclaim shopify import: --customers, --orders
           (over the last 180 days) and --checkouts (last 30 days), the same shop for the same --seed;
           generated line by line, so a million customers take no memory)`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      {
        port: { type: 'string' },
        customers: { type: 'string' },
        orders: { type: 'string' },
        checkouts: { type: 'string' },
        seed: { type: 'string' },
      },
      true,
    );
    const partner = positionals[0] as keyof typeof PARTNERS | undefined;
    if (positionals.length !== 1 || !partner || !Object.hasOwn(PARTNERS, partner))
      throw new UsageError('expected: reclaim stand-in klaviyo|meta|ga4|shopify [--port N]');
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
    const standIn = PARTNERS[partner]({
      customers: count(values.customers, 'customers', 1_000),
      orders: count(values.orders, 'orders', 500),
      checkouts: count(values.checkouts, 'checkouts', 100),
      seed: count(values.seed, 'seed', 1),
    });
    const url = await standIn.start(port);
    ctx.stdout.write(`${JSON.stringify({ url })}\n`);
    await ctx.stopSignal;
    await standIn.close();
    return EXIT.OK;
  },
};
