import { afterEach, beforeEach, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/event-log/canonical-event.ts';
import { signShopifyBody, verifyShopifyHmac } from '../../src/ingest/shopify/webhook-hmac.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { contractJson, contractText, WEBHOOK_FIXTURES } from '../support/contracts.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { countEvents, storedEvents } from '../support/events.ts';

const SECRET = 'shpss_current_secret';
const OLD_SECRET = 'shpss_previous_secret';
const vectors = contractJson('shopify/webhooks/hmac_test_vectors.json');

it.each(
  vectors.vectors as { name: string; raw_body_utf8: string; x_shopify_hmac_sha256: string; valid: boolean }[],
)('HMAC vector "$name" verifies as $valid', (vector) => {
  const result = verifyShopifyHmac(Buffer.from(vector.raw_body_utf8, 'utf8'), vector.x_shopify_hmac_sha256, [
    vectors.client_secret,
  ]);
  expect(result.ok).toBe(vector.valid);
});

describeEachDialect('Shopify webhooks', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig({ SHOPIFY_WEBHOOK_SECRET: `${OLD_SECRET},${SECRET}` }));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const deliver = (topic: string, raw: string, opts: { id?: string; hmac?: string; secret?: string } = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/webhooks/shopify',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-shop-domain': 'northwind-demo.myshopify.com',
        'x-shopify-webhook-id': opts.id ?? `wh-${topic}`,
        'x-shopify-triggered-at': '2026-11-20T09:00:00.000Z',
        'x-shopify-hmac-sha256': opts.hmac ?? signShopifyBody(raw, opts.secret ?? SECRET),
      },
      payload: raw,
    });

  it.each(Object.entries(WEBHOOK_FIXTURES))(
    'accepts the %s sample as Shopify sends it',
    async (topic, file) => {
      const res = await deliver(topic, contractText(`shopify/webhooks/${file}.json`));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'accepted', events: 1 });
      const [event] = await storedEvents(store);
      expect(() => canonicalEventSchema.parse(event)).not.toThrow();
      expect(event!.source).toBe('shopify');
      expect(event!.name).toBe(topic);
    },
  );

  it('keeps 18-digit ids exactly and maps an order', async () => {
    await deliver('orders/create', contractText('shopify/webhooks/orders_create.json'));
    const [order] = await storedEvents(store);
    expect(order).toMatchObject({
      kind: 'order_completed',
      eventTime: Date.parse('2021-12-31T19:00:00-05:00'),
      ids: { orderId: '820982911946154508', email: 'jon@example.com' },
      commerce: { value: '404.95', currency: 'USD', buyerAcceptsEmail: true },
    });
    expect(order!.ids.customerId).toMatch(/^\d{15,}$/);
  });

  it('maps a checkout with its tokens, recovery URL, marketing flag and address countries', async () => {
    await deliver('checkouts/update', contractText('shopify/webhooks/checkouts_update.json'));
    const [checkout] = await storedEvents(store);
    expect(checkout).toMatchObject({
      kind: 'checkout_update',
      ids: {
        checkoutToken: '123123123',
        cartToken: 'eeafa272cebfd4b22385bc4b645e762c',
        email: 'example@email.com',
      },
      typed: ['email'],
      commerce: {
        value: '421.88',
        currency: 'USD',
        checkoutUrl: 'https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token',
        buyerAcceptsEmail: false,
      },
    });
    expect(checkout!.commerce!.lines.length).toBeGreaterThan(0);
    expect(checkout!.context.geo).toBeDefined();
  });

  it('maps consent topics to consent events', async () => {
    await deliver(
      'customers_email_marketing_consent/update',
      contractText('shopify/webhooks/customers_email_marketing_consent_update.json'),
    );
    const [email] = await storedEvents(store);
    expect(email).toMatchObject({
      kind: 'consent',
      ids: { customerId: '706405506930370084', email: 'bob@biller.com' },
      consent: { permission: 'email', state: 'denied', source: 'shopify' },
    });
  });

  it('maps the mandatory compliance topics', async () => {
    await deliver('customers/redact', contractText('shopify/webhooks/customers_redact.json'), { id: 'r1' });
    await deliver('customers/data_request', contractText('shopify/webhooks/customers_data_request.json'), {
      id: 'r2',
    });
    await deliver('shop/redact', contractText('shopify/webhooks/shop_redact.json'), { id: 'r3' });
    const events = await storedEvents(store);
    expect(events.map((e) => e.kind)).toEqual(['erase_customer', 'data_request', 'erase_shop']);
    expect(events[0]).toMatchObject({
      ids: { customerId: '191167', email: 'john@example.com' },
      properties: { ordersToRedact: ['299938', '280263', '220458'] },
    });
    expect(events[1]).toMatchObject({ properties: { dataRequestId: '9999' } });
  });

  it('accepts a redelivery of the same webhook id and stores it once', async () => {
    const raw = contractText('shopify/webhooks/carts_update.json');
    expect((await deliver('carts/update', raw, { id: 'same' })).json()).toEqual({
      status: 'accepted',
      events: 1,
    });
    const again = await deliver('carts/update', raw, { id: 'same' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ status: 'duplicate' });
    expect(await countEvents(store)).toBe(1);
  });

  it('accepts either secret during a rotation', async () => {
    const raw = contractText('shopify/webhooks/customers_update.json');
    expect((await deliver('customers/update', raw, { secret: OLD_SECRET })).statusCode).toBe(200);
  });

  it.each([
    ['a wrong signature', { hmac: signShopifyBody('{}', SECRET) }, 'does not match the body'],
    ['an unknown secret', { secret: 'shpss_attacker' }, 'does not match the body'],
    ['a missing signature', { hmac: '' }, 'header is missing'],
    ['a malformed signature', { hmac: 'not base64!' }, 'not a base64 SHA-256 digest'],
  ])('answers 401 to %s, compliance topics included, and stores nothing', async (_name, opts, message) => {
    for (const topic of ['orders/create', 'customers/redact']) {
      const res = await deliver(topic, contractText('shopify/webhooks/customers_redact.json'), opts);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('RECLAIM_ERR_SIGNATURE_INVALID');
      expect(res.json().error.message).toContain(message);
    }
    expect(await countEvents(store)).toBe(0);
  });

  it('verifies the raw bytes: re-serialised JSON with the original signature is refused', async () => {
    const raw = contractText('shopify/webhooks/customers_update.json');
    const res = await deliver('customers/update', JSON.stringify(JSON.parse(raw)), {
      hmac: signShopifyBody(raw, SECRET),
    });
    expect(res.statusCode).toBe(401);
  });

  it('answers 401 when no secret is configured', async () => {
    const closed = await buildTestApp(store, testConfig());
    const raw = '{"id":1}';
    const res = await closed.app.inject({
      method: 'POST',
      url: '/webhooks/shopify',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'customers/update',
        'x-shopify-hmac-sha256': signShopifyBody(raw, SECRET),
      },
      payload: raw,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain('SHOPIFY_WEBHOOK_SECRET is not set');
    await closed.app.close();
  });

  it('answers 422 with a path for a signed body of the wrong shape', async () => {
    const res = await deliver('orders/create', JSON.stringify({ id: 'not-an-id' }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'RECLAIM_ERR_INVALID_SHAPE', path: 'id' });
  });

  it('acknowledges a topic it does not use without storing anything', async () => {
    const res = await deliver('products/update', '{"id":1}');
    expect(res.json()).toEqual({ status: 'ignored', topic: 'products/update' });
    expect(await countEvents(store)).toBe(0);
  });

  it('answers 400 without a topic', async () => {
    const raw = '{"id":1}';
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/shopify',
      headers: { 'content-type': 'application/json', 'x-shopify-hmac-sha256': signShopifyBody(raw, SECRET) },
      payload: raw,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'RECLAIM_ERR_BAD_REQUEST', path: 'X-Shopify-Topic' });
  });
});
