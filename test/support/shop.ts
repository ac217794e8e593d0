import type { FastifyInstance } from 'fastify';
import { signShopifyBody } from '../../src/ingest/shopify/webhook-hmac.ts';
import { contractJson, contractText } from './contracts.ts';

/** Secrets and keys the scenario helpers use; `scenarioEnv` configures an app to accept them. */
export const SHOP_SECRET = 'shpss_scenario_secret';
export const WRITE_KEY = 'scenario_write_key';
export const ADMIN_TOKEN = 'scenario-admin-token-0123456789';
export const scenarioEnv = {
  SHOPIFY_WEBHOOK_SECRET: SHOP_SECRET,
  RECLAIM_WRITE_KEYS: WRITE_KEY,
  RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN,
  RECLAIM_PIXEL_RATE_LIMIT: '1000000',
};

let counter = 0;

/** A Shopify pixel event from the contract fixtures, re-dated and re-identified. */
export function pixelEvent(
  name: string,
  at: string,
  clientId: string,
  patch: (event: any) => void = () => undefined,
): any {
  const file = name === 'cart_viewed' || name === 'collection_viewed' ? 'page_viewed' : name;
  const event = structuredClone(contractJson(`shopify/pixel-events/${file}.json`));
  event.name = name;
  event.id = `sh-scenario-${++counter}`;
  event.timestamp = at;
  event.clientId = clientId;
  patch(event);
  return event;
}

export interface PixelEnvelope {
  customer?: { id?: string; email?: string; phone?: string | null } | null;
  cart?: string;
  cookies?: Record<string, string>;
  privacy?: boolean;
  headers?: Record<string, string>;
  browserId?: string;
}

/** Posts pixel events as the Reclaim pixel would. Consent defaults to granted. */
export async function sendPixel(app: FastifyInstance, events: any[], envelope: PixelEnvelope = {}) {
  const allowed = envelope.privacy ?? true;
  const body = {
    events,
    customerPrivacy: {
      analyticsProcessingAllowed: allowed,
      marketingAllowed: allowed,
      preferencesProcessingAllowed: allowed,
      saleOfDataAllowed: allowed,
    },
    init: {
      data: {
        customer: envelope.customer ?? null,
        cart: envelope.cart ? { id: envelope.cart } : null,
        shop: { myshopifyDomain: 'northwind-demo.myshopify.com' },
      },
    },
    cookies: { ...(envelope.cart ? { cart: envelope.cart } : {}), ...envelope.cookies },
    ...(envelope.browserId ? { browserId: envelope.browserId } : {}),
  };
  const res = await app.inject({
    method: 'POST',
    url: '/v1/pixel',
    headers: {
      'content-type': 'text/plain',
      'cf-ipcountry': 'US',
      'cf-region-code': 'NY',
      ...envelope.headers,
    },
    payload: JSON.stringify(body),
  });
  if (res.statusCode !== 200) throw new Error(`pixel rejected: ${res.body}`);
  return res;
}

/** Delivers a Shopify webhook: a contract sample (or a patched copy of it), signed. */
export async function sendWebhook(
  app: FastifyInstance,
  topic: string,
  file: string,
  patch: (body: any) => void = () => undefined,
  headers: Record<string, string> = {},
) {
  const body = JSON.parse(
    contractText(`shopify/webhooks/${file}.json`).replace(/(:\s*)(\d{16,})/g, '$1"$2"'),
  );
  patch(body);
  const raw = JSON.stringify(body);
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/shopify',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': 'northwind-demo.myshopify.com',
      'x-shopify-webhook-id': `wh-${++counter}`,
      'x-shopify-hmac-sha256': signShopifyBody(raw, SHOP_SECRET),
      ...headers,
    },
    payload: raw,
  });
  if (res.statusCode !== 200) throw new Error(`webhook rejected: ${res.body}`);
  return res;
}

/** A Segment call. */
export async function sendSegment(app: FastifyInstance, type: string, message: Record<string, unknown>) {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/${type}`,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      'cf-ipcountry': 'US',
    },
    payload: JSON.stringify({ messageId: `seg-${++counter}`, ...message }),
  });
  if (res.statusCode !== 200) throw new Error(`segment rejected: ${res.body}`);
  return res;
}

/** Reads the admin profile lookup. */
export async function lookup(app: FastifyInstance, query: string) {
  const res = await app.inject({
    method: 'GET',
    url: `/admin/v1/profiles/lookup?${query}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.statusCode, body: res.json() };
}
