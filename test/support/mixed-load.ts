import { signShopifyBody } from '../../src/ingest/shopify/webhook-hmac.ts';
import type { Store } from '../../src/store/store.ts';
import { contractJson, contractText } from './contracts.ts';

export const LOAD_WRITE_KEY = 'fault_write_key';
export const LOAD_WEBHOOK_SECRET = 'shpss_fault_secret';
const SHOP = 'northwind-demo.myshopify.com';

/** What a `serve` process needs to accept every request a `MixedLoad` sends. */
export const mixedLoadEnv = {
  RECLAIM_WRITE_KEYS: LOAD_WRITE_KEY,
  SHOPIFY_WEBHOOK_SECRET: LOAD_WEBHOOK_SECRET,
  RECLAIM_PIXEL_RATE_LIMIT: '10000000',
};

const SEGMENT_AUTH = `Basic ${Buffer.from(`${LOAD_WRITE_KEY}:`).toString('base64')}`;
const GEO = { 'cf-ipcountry': 'US', 'cf-region-code': 'NY' };
const PIXEL_FILES = ['page_viewed', 'product_viewed', 'product_added_to_cart'] as const;
const PIXEL_EVENTS = PIXEL_FILES.map((f) => contractJson(`shopify/pixel-events/${f}.json`));
const WEBHOOK = contractText('shopify/webhooks/checkouts_update.json');
const WEBHOOK_HMAC = signShopifyBody(WEBHOOK, LOAD_WEBHOOK_SECRET);
/** Segment messages in one batch. */
const BATCH = 10;

interface Request {
  kind: 'segment' | 'pixel' | 'webhook' | 'consent';
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The idempotency keys of the events the request carries (for consent: the subject's email). */
  keys: string[];
}

/**
 * Shoppers' traffic of every kind a store sends — Segment batches, pixel events, signed Shopify webhooks
 * and consent decisions — from several clients at once, each request with ids of its own. It remembers
 * what the server acknowledged (answered 2xx), so a test can check that all of it was stored.
 */
export class MixedLoad {
  /** Event idempotency keys of acknowledged Segment, pixel and webhook requests. */
  readonly acknowledgedKeys = new Set<string>();
  /** Subject emails of acknowledged consent decisions. */
  readonly acknowledgedConsents = new Set<string>();
  /** Requests answered 2xx, by kind. */
  readonly acknowledged = { segment: 0, pixel: 0, webhook: 0, consent: 0 };
  /** Requests sent that got no answer: in flight when the server died. */
  unanswered = 0;
  /** Answers other than 2xx: none are expected, every request is valid. */
  readonly refused: string[] = [];
  #next = 0;

  constructor(private readonly tag: string) {}

  get requestsAcknowledged(): number {
    const a = this.acknowledged;
    return a.segment + a.pixel + a.webhook + a.consent;
  }

  get eventsAcknowledged(): number {
    return this.acknowledgedKeys.size + this.acknowledgedConsents.size;
  }

  /**
   * Sends from `clients` concurrent clients until a request gets no answer (the server is gone) or
   * `enough()` says so; resolves when every client has stopped.
   */
  async run(url: string, clients: number, enough: () => boolean = () => false): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (!enough()) {
          const request = this.#build(this.#next++);
          let status: number;
          let text: string;
          try {
            const res = await fetch(`${url}${request.path}`, {
              method: 'POST',
              headers: request.headers,
              body: request.body,
            });
            status = res.status;
            text = await res.text();
          } catch {
            this.unanswered++;
            return;
          }
          if (status >= 200 && status < 300) {
            this.acknowledged[request.kind]++;
            const into = request.kind === 'consent' ? this.acknowledgedConsents : this.acknowledgedKeys;
            for (const key of request.keys) into.add(key);
          } else this.refused.push(`${request.kind} ${status}: ${text.slice(0, 200)}`);
        }
      }),
    );
  }

  /** Acknowledged events the store does not hold. */
  async missingFrom(store: Store): Promise<string[]> {
    const rows = await store.db
      .selectFrom('events')
      .select(['idempotency_key', 'source', 'body_json'])
      .execute();
    const keys = new Set(rows.map((r) => r.idempotency_key));
    const consents = new Set(
      rows
        .filter((r) => r.source === 'consent')
        .map((r) => (JSON.parse(r.body_json) as { ids?: { email?: string } }).ids?.email),
    );
    return [
      ...[...this.acknowledgedKeys].filter((k) => !keys.has(k)),
      ...[...this.acknowledgedConsents].filter((e) => !consents.has(e)).map((e) => `consent of ${e}`),
    ];
  }

  #build(n: number): Request {
    const id = `${this.tag}-${n}`;
    switch (n % 4) {
      case 0: {
        const batch = Array.from({ length: BATCH }, (_, i) => {
          const messageId = `${id}-${i}`;
          const anonymousId = `anon-${id}`;
          if (i === 0)
            return { type: 'identify', messageId, anonymousId, traits: { email: `${id}@shop.example` } };
          if (i % 3 === 0)
            return { type: 'page', messageId, anonymousId, properties: { url: 'https://s.example/' } };
          return {
            type: 'track',
            event: i % 3 === 1 ? 'Product Viewed' : 'Product Added',
            messageId,
            anonymousId,
            properties: { product_id: `p${i}`, name: 'Tee', price: 10, quantity: 1, currency: 'USD' },
          };
        });
        return {
          kind: 'segment',
          path: '/v1/batch',
          headers: { 'content-type': 'application/json', authorization: SEGMENT_AUTH, ...GEO },
          body: JSON.stringify({ batch }),
          keys: batch.map((m) => `segment:${m.messageId}`),
        };
      }
      case 1: {
        const events = PIXEL_EVENTS.map((e, i) => ({ ...e, id: `sh-${id}-${i}`, clientId: `client-${id}` }));
        const allowed = true;
        return {
          kind: 'pixel',
          path: '/v1/pixel',
          headers: { 'content-type': 'text/plain', ...GEO },
          body: JSON.stringify({
            events,
            customerPrivacy: {
              analyticsProcessingAllowed: allowed,
              marketingAllowed: allowed,
              preferencesProcessingAllowed: allowed,
              saleOfDataAllowed: allowed,
            },
            init: { data: { customer: null, cart: null, shop: { myshopifyDomain: SHOP } } },
          }),
          keys: events.map((e) => `pixel:${e.id}`),
        };
      }
      case 2:
        return {
          kind: 'webhook',
          path: '/webhooks/shopify',
          headers: {
            'content-type': 'application/json',
            'x-shopify-topic': 'checkouts/update',
            'x-shopify-shop-domain': SHOP,
            'x-shopify-webhook-id': `wh-${id}`,
            'x-shopify-hmac-sha256': WEBHOOK_HMAC,
          },
          body: WEBHOOK,
          keys: [`shopify:${SHOP}:wh-${id}`],
        };
      default:
        return {
          kind: 'consent',
          path: '/v1/consent',
          headers: { 'content-type': 'application/json', authorization: SEGMENT_AUTH, ...GEO },
          body: JSON.stringify({
            subject: { email: `${id}@shop.example`, anonymousId: `anon-${id}` },
            permission: 'email',
            state: 'granted',
            source: 'footer-form',
            wording: 'Email me offers',
            timestamp: new Date().toISOString(),
          }),
          keys: [`${id}@shop.example`],
        };
    }
  }
}
