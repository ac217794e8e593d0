import { Analytics } from '@segment/analytics-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/event-log/canonical-event.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect, openTestSqlite } from '../support/dialects.ts';
import { countEvents, storedEvents } from '../support/events.ts';

const KEY = 'seg_write_key_1';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describeEachDialect('Segment-compatible API', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig({ RECLAIM_WRITE_KEYS: `other,${KEY}` }));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const post = (path: string, body: unknown, auth: string | null = basic(KEY), country = 'US') =>
    t.app.inject({
      method: 'POST',
      url: path,
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: auth } : {}),
        'cf-ipcountry': country,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('maps an e-commerce track call to a canonical cart add', async () => {
    const res = await post(
      '/v1/track',
      {
        messageId: 'm-1',
        anonymousId: 'anon-1',
        event: 'Product Added',
        timestamp: '2026-11-20T10:00:00.000Z',
        properties: {
          product_id: 'p1',
          sku: 'SKU-1',
          name: 'Tee',
          price: 19.99,
          quantity: 3,
          currency: 'eur',
          cart_id: 'cart-9',
        },
        context: {
          page: { url: 'https://shop.example/products/tee?utm_source=ig&_kx=KX.1&fbclid=FB1' },
          consent: { categoryPreferences: { Analytics: true, Advertising: true, Functional: false } },
        },
      },
      basic(KEY),
      'DE',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    const [event] = await storedEvents(store);
    expect(canonicalEventSchema.parse(event)).toBeTruthy();
    expect(event).toMatchObject({
      kind: 'cart_add',
      source: 'segment',
      name: 'Product Added',
      idempotencyKey: 'segment:m-1',
      eventTime: Date.parse('2026-11-20T10:00:00.000Z'),
      ids: { anonymousId: 'anon-1', cartToken: 'cart-9', kx: 'KX.1' },
      context: {
        utm: { source: 'ig' },
        fbclid: 'FB1',
        geo: { country: 'DE' },
        tracking: { analytics: true, marketing: true, preferences: false, saleOfData: false },
      },
      commerce: {
        lines: [{ productId: 'p1', sku: 'SKU-1', title: 'Tee', price: '19.99', quantity: 3 }],
        value: '59.97',
        currency: 'EUR',
      },
    });
  });

  it('counts behaviour without tracking consent in the EU instead of storing it', async () => {
    const res = await post(
      '/v1/track',
      { messageId: 'no-consent', anonymousId: 'anon-2', event: 'Product Viewed' },
      basic(KEY),
      'DE',
    );
    expect(res.statusCode).toBe(200);
    expect(await storedEvents(store)).toEqual([]);
    const counts = await store.db.selectFrom('anonymous_counts').selectAll().execute();
    expect(counts).toEqual([
      { day: expect.any(String), kind: 'product_view', reason: 'no_tracking_consent', count: 1 },
    ]);
  });

  it('normalises identify traits: email lower-cased, phone to E.164 with the address country', async () => {
    await post('/v1/identify', {
      userId: 7812345678901,
      traits: { email: '  Jane.Doe@Example.COM ', phone: '030 1234567', address: { country: 'DE' } },
    });
    const [event] = await storedEvents(store);
    expect(event).toMatchObject({
      kind: 'identify',
      ids: { customerId: '7812345678901', email: 'jane.doe@example.com', phone: '+49301234567' },
    });
  });

  it('records alias with previousId', async () => {
    await post('/v1/alias', { previousId: 'anon-1', userId: 'cust-1' });
    const [event] = await storedEvents(store);
    expect(event).toMatchObject({ kind: 'alias', previousId: 'anon-1', ids: { customerId: 'cust-1' } });
  });

  it('applies Segment clock-skew correction when only originalTimestamp and sentAt are given', async () => {
    t.clock.advanceTo(Date.parse('2026-11-22T12:00:10.000Z'));
    await post('/v1/batch', {
      sentAt: '2026-11-22T12:05:00.000Z',
      batch: [
        { type: 'page', anonymousId: 'a', originalTimestamp: '2026-11-22T12:04:00.000Z', messageId: 'p1' },
      ],
    });
    const [event] = await storedEvents(store);
    expect(new Date(event!.eventTime).toISOString()).toBe('2026-11-22T11:59:10.000Z');
  });

  it('stores a batch all or nothing, and says which message was wrong', async () => {
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', event: 'Product Viewed', anonymousId: 'a', messageId: 'b1' },
        { type: 'track', anonymousId: 'a', messageId: 'b2' },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      error: {
        code: 'RECLAIM_ERR_INVALID_SHAPE',
        message: 'a track call needs an event name',
        path: 'batch.1.event',
      },
    });
    expect(await countEvents(store)).toBe(0);
  });

  it('ignores a duplicate messageId, within a batch and across calls', async () => {
    const message = { type: 'track', event: 'Cart Viewed', anonymousId: 'a', messageId: 'dup-1' };
    expect((await post('/v1/batch', { batch: [message, message] })).statusCode).toBe(200);
    expect((await post('/v1/track', message)).statusCode).toBe(200);
    expect(await countEvents(store)).toBe(1);
  });

  it('accepts the write key in the body', async () => {
    const res = await post('/v1/track', { writeKey: KEY, event: 'X', userId: 'u', messageId: 'wk' }, null);
    expect(res.statusCode).toBe(200);
  });

  it.each([
    ['no key', null, 'missing write key'],
    ['a wrong key', basic('nope'), 'unknown write key'],
  ])('answers 401 for %s', async (_name, auth, message) => {
    const res = await post('/v1/track', { event: 'X', userId: 'u' }, auth);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'RECLAIM_ERR_UNAUTHORIZED' });
    expect(res.json().error.message).toContain(message);
  });

  it('is closed when no write keys are configured', async () => {
    const closed = await buildTestApp(store, testConfig());
    const res = await closed.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { 'content-type': 'application/json', authorization: basic(KEY) },
      payload: JSON.stringify({ event: 'X', userId: 'u' }),
    });
    expect(res.statusCode).toBe(401);
    await closed.app.close();
  });

  it('answers 413 above 32 KB per call and 500 KB per batch', async () => {
    const big = 'x'.repeat(33 * 1024);
    expect((await post('/v1/track', { event: 'X', userId: 'u', properties: { big } })).statusCode).toBe(413);
    const inBatch = await post('/v1/batch', {
      batch: [{ type: 'track', event: 'X', userId: 'u', properties: { big } }],
    });
    expect(inBatch.statusCode).toBe(413);
    expect(inBatch.json().error.path).toBe('batch.0');
    const messages = Array.from({ length: 20 }, (_, i) => ({
      type: 'track',
      event: 'X',
      userId: 'u',
      messageId: `m${i}`,
      properties: { s: 'y'.repeat(30 * 1024) },
    }));
    expect((await post('/v1/batch', { batch: messages })).statusCode).toBe(413);
    expect(await countEvents(store)).toBe(0);
  });
});

describe('the real @segment/analytics-node client', () => {
  it('delivers to Reclaim unchanged, small calls and a large batch (prepared on an ingest worker)', async () => {
    const store = await openTestSqlite();
    const t = await buildTestApp(store, testConfig({ RECLAIM_WRITE_KEYS: KEY, RECLAIM_INGEST_WORKERS: '1' }));
    const host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const analytics = new Analytics({ writeKey: KEY, host, flushAt: 3, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    analytics.identify({ userId: 'cust-42', traits: { email: 'Buyer@Example.com' } });
    const context = { consent: { categoryPreferences: { Analytics: true, Advertising: true } } };
    analytics.track({
      userId: 'cust-42',
      event: 'Checkout Started',
      context,
      properties: { checkout_id: 'chk-1', products: [{ product_id: 'p', price: 10, quantity: 2 }] },
    });
    analytics.page({
      anonymousId: 'anon-9',
      name: 'Home',
      context,
      properties: { url: 'https://shop.example/?gclid=G1' },
    });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    const events = await storedEvents(store);
    expect(events.map((e) => e.kind)).toEqual(['identify', 'checkout_started', 'page_view']);
    expect(events[0]!.ids).toEqual({ customerId: 'cust-42', email: 'buyer@example.com' });
    expect(events[1]).toMatchObject({ ids: { checkoutToken: 'chk-1' }, commerce: { value: '20.00' } });
    expect(events[2]).toMatchObject({ context: { gclid: 'G1' } });

    const bulk = new Analytics({ writeKey: KEY, host, flushAt: 100, maxRetries: 0 });
    bulk.on('error', (e) => failures.push(e));
    for (let i = 0; i < 100; i++)
      bulk.track({
        anonymousId: 'anon-9',
        event: 'Product Viewed',
        context,
        properties: { product_id: `p-${i}`, name: 'Organic Cotton Tee', price: 32, currency: 'USD' },
      });
    await bulk.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    const all = await storedEvents(store);
    expect(all).toHaveLength(103);
    expect(all[3 + 42]).toMatchObject({ kind: 'product_view', commerce: { lines: [{ productId: 'p-42' }] } });
    await t.app.close();
    await store.close();
  });
});
