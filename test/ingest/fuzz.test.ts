import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/ingest/canonical-event.ts';
import { signShopifyBody } from '../../src/ingest/shopify/webhook-hmac.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { contractJson, contractText, PIXEL_EVENT_FILES } from '../support/contracts.ts';
import { countEvents, storedEvents } from '../support/events.ts';
import { openTestSqlite } from '../support/dialects.ts';

const KEY = 'fuzz_key';
const SECRET = 'fuzz_secret';
const RUNS = 400;
const ALLOWED = new Set([200, 400, 401, 413, 415, 422]);

/** Hostile values to plant anywhere in an otherwise valid body. */
const hostile = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: 10n ** 17n, max: 10n ** 30n }).map(String),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 40_000, maxLength: 40_001 }),
  fc.constant('x'.repeat(600_000)),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
  fc.jsonValue(),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true}}')),
  fc.constant({ constructor: { prototype: { polluted: true } } }),
  fc.constantFrom(
    '2026-13-45T99:99:99Z',
    '0000-00-00',
    '2026-02-30T10:00:00Z',
    '9999-12-31T23:59:59.999999999+99:99',
  ),
  fc.integer({ min: 30, max: 3000 }).map((depth) => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = { d: v };
    return v;
  }),
);

/** Replaces the value at a random path of `base` with `value`. */
function plant(base: unknown, pick: number, value: unknown): unknown {
  const copy = structuredClone(base);
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      const p = [...path, Array.isArray(node) ? Number(k) : k];
      paths.push(p);
      walk(v, p);
    }
  };
  walk(copy, []);
  if (paths.length === 0) return value;
  const path = paths[pick % paths.length]!;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

const payload = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(), hostile)
      .map(([pick, value]) => ({ kind: 'planted' as const, pick, value })),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => ({ kind: 'json' as const, value })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, value: bytes })),
  },
);

const pixelBody = {
  events: PIXEL_EVENT_FILES.map((f) => contractJson(`shopify/pixel-events/${f}.json`)),
  customerPrivacy: contractJson('shopify/pixel-events/init.json').customerPrivacy,
  cookies: { __kla_id: 'eyJjaWQiOiJ4In0=' },
};
const segmentBatch = {
  batch: [
    {
      type: 'track',
      event: 'Product Added',
      anonymousId: 'a',
      messageId: 'm1',
      properties: { product_id: 'p', price: 1, quantity: 1 },
    },
    { type: 'identify', userId: 'u', messageId: 'm2', traits: { email: 'a@b.co' } },
    {
      type: 'page',
      anonymousId: 'a',
      messageId: 'm3',
      context: { page: { url: 'https://s.example/?_kx=1' } },
    },
  ],
};
const consentBody = {
  subject: { email: 'a@b.co' },
  permission: 'email',
  state: 'granted',
  source: 'popup',
  wording: 'Yes, email me',
  timestamp: '2026-11-21T08:30:00Z',
};
const webhookBody = JSON.parse(contractText('shopify/webhooks/checkouts_update.json'));

describe('hostile input at every endpoint', () => {
  let store: Store;
  let t: TestApp;
  beforeAll(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(
      store,
      testConfig({
        RECLAIM_WRITE_KEYS: KEY,
        SHOPIFY_WEBHOOK_SECRET: SECRET,
        RECLAIM_PIXEL_RATE_LIMIT: '10000000',
        RECLAIM_LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(async () => {
    await t.app.close();
    await store.close();
  });

  const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;
  let counter = 0;

  async function send(url: string, body: Buffer, headers: Record<string, string>) {
    const before = await countEvents(store);
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: body,
    });
    expect(ALLOWED, `status ${res.statusCode}: ${res.body.slice(0, 300)}`).toContain(res.statusCode);
    const after = await countEvents(store);
    if (res.statusCode !== 200) {
      const error = res.json().error;
      expect(error.code).toMatch(/^RECLAIM_ERR_[A-Z_]+$/);
      expect(typeof error.message).toBe('string');
      expect(after, 'a refused request stored nothing').toBe(before);
    }
    return res;
  }

  function encode(
    p: { kind: 'planted' | 'json' | 'bytes'; pick?: number; value: unknown },
    base: unknown,
  ): Buffer {
    if (p.kind === 'bytes') return Buffer.from(p.value as Uint8Array);
    const doc = p.kind === 'planted' ? plant(base, p.pick!, p.value) : p.value;
    // Fresh ids so accepted bodies are not mere duplicates.
    return Buffer.from(
      JSON.stringify(doc).replaceAll('"m1"', `"m1-${++counter}"`).replaceAll('sh-', `sh-${counter}-`),
    );
  }

  it('Segment batch: 4xx with a code, never 500, never half a batch', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        await send('/v1/batch', encode(p, segmentBatch), { authorization: auth });
      }),
      { numRuns: RUNS },
    );
  });

  it('Segment single calls', async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.constantFrom('track', 'identify', 'page', 'alias'), async (p, type) => {
        await send(`/v1/${type}`, encode(p, segmentBatch.batch[0]), { authorization: auth });
      }),
      { numRuns: RUNS },
    );
  });

  it('Shopify pixel', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        await send('/v1/pixel', encode(p, pixelBody), {});
      }),
      { numRuns: RUNS },
    );
  });

  it('consent', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        await send('/v1/consent', encode(p, consentBody), { authorization: auth });
      }),
      { numRuns: RUNS },
    );
  });

  it('Shopify webhooks, correctly signed and with wrong signatures', async () => {
    await fc.assert(
      fc.asyncProperty(
        payload,
        fc.boolean(),
        fc.constantFrom('checkouts/update', 'orders/create', 'customers/redact', 'carts/update'),
        async (p, signed, topic) => {
          const body = encode(p, webhookBody);
          const res = await send('/webhooks/shopify', body, {
            'x-shopify-topic': topic,
            'x-shopify-webhook-id': `w-${++counter}`,
            'x-shopify-hmac-sha256': signed ? signShopifyBody(body, SECRET) : signShopifyBody(body, 'wrong'),
          });
          if (!signed) expect(res.statusCode).toBe(401);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('stored only events that are valid canonical events, with no polluted prototypes', async () => {
    const events = await storedEvents(store);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(() => canonicalEventSchema.parse(event)).not.toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
