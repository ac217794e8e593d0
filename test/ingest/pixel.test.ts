import { afterEach, beforeEach, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent } from '../../src/event-log/canonical-event.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { contractJson, PIXEL_EVENT_FILES } from '../support/contracts.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { countEvents, storedEvents } from '../support/events.ts';

const kla = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64');
const fixture = (name: string) => contractJson(`shopify/pixel-events/${name}.json`);

describeEachDialect('Shopify Web Pixel endpoint', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(
      store,
      testConfig({
        RECLAIM_PIXEL_RATE_LIMIT: '5',
        RECLAIM_PIXEL_ORIGINS: 'https://northwind-demo.myshopify.com',
      }),
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/pixel',
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        'cf-ipcountry': 'US',
        'cf-region-code': 'CA',
        ...headers,
      },
      payload: JSON.stringify(body),
    });

  const byName = (events: CanonicalEvent[], name: string) => events.find((e) => e.name === name)!;

  it('maps every standard event fixture', async () => {
    const init = contractJson('shopify/pixel-events/init.json');
    const res = await post({
      events: PIXEL_EVENT_FILES.map(fixture),
      customerPrivacy: { ...init.customerPrivacy, marketingAllowed: true },
      init: { data: init.data },
      cookies: {
        __kla_id: kla({ cid: 'abc', $exchange_id: 'KX-EX' }),
        _fbp: 'fb.1.1700000000000.42',
        _ga: 'GA1.1.791139228.1789559238',
      },
      browserId: 'rc-browser-1',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 6, duplicates: 0 });
    const events = await storedEvents(store);
    for (const event of events) expect(() => canonicalEventSchema.parse(event)).not.toThrow();
    expect(events.map((e) => e.kind)).toEqual([
      'page_view',
      'product_view',
      'cart_add',
      'checkout_started',
      'checkout_contact',
      'order_completed',
    ]);
    for (const event of events) {
      expect(event.ids).toMatchObject({
        clientId: '9f1c2e4a-6b7d-4c3e-8a21-5d0f7b3c9e12',
        browserId: 'rc-browser-1',
        kx: 'KX-EX',
      });
      expect(event.context).toMatchObject({
        klaviyo: { cookiePresent: true, identified: true },
        tracking: { analytics: true, marketing: true, preferences: true, saleOfData: false },
        fbp: 'fb.1.1700000000000.42',
        gaClientId: '791139228.1789559238',
        shop: 'northwind-demo.myshopify.com',
        geo: { country: 'US', region: 'US-CA' },
      });
    }
    expect(byName(events, 'product_viewed')).toMatchObject({
      eventTime: Date.parse(fixture('product_viewed').timestamp),
      commerce: {
        lines: [
          {
            productId: '8913447862580',
            variantId: '47102938475612',
            sku: 'NW-TEE-GRY-M',
            title: 'Organic Cotton Tee',
            url: 'https://northwind-demo.myshopify.com/products/organic-cotton-tee',
            price: '32.00',
            quantity: 1,
          },
        ],
        currency: 'USD',
      },
    });
    expect(byName(events, 'product_added_to_cart').commerce).toMatchObject({
      lines: [{ quantity: 2, price: '32.00' }],
      value: '64.00',
    });
    const started = byName(events, 'checkout_started');
    expect(started.ids.checkoutToken).toBe('5f3b0c9e7a2d4e1f8b6c4a2e9d7f1b3c');
    expect(started.typed).toBeUndefined();
    const contact = byName(events, 'checkout_contact_info_submitted');
    expect(contact).toMatchObject({
      ids: { email: 'jane.doe@example.com' },
      typed: ['email'],
      commerce: { buyerAcceptsEmail: true },
    });
    const completed = byName(events, 'checkout_completed');
    expect(completed.ids).toMatchObject({ customerId: expect.any(String), orderId: expect.any(String) });
    expect(completed.context.geo).toMatchObject({ billingCountry: 'US', billingRegion: 'US-CA' });
    expect(byName(events, 'page_viewed').ids).toMatchObject({
      customerId: '7812345678901',
      email: 'jane.doe@example.com',
    });
  });

  it('without tracking consent in the EU, counts behaviour and keeps only what was typed into checkout', async () => {
    const refused = {
      analyticsProcessingAllowed: false,
      marketingAllowed: false,
      preferencesProcessingAllowed: false,
      saleOfDataAllowed: false,
    };
    const res = await post(
      {
        events: ['page_viewed', 'product_added_to_cart', 'checkout_contact_info_submitted'].map(fixture),
        customerPrivacy: refused,
        cookies: { _fbp: 'fb.1.1.1' },
      },
      { 'cf-ipcountry': 'FR', 'cf-region-code': '' },
    );
    expect(res.json()).toEqual({ accepted: 3, duplicates: 0 });
    const [stored, ...rest] = await storedEvents(store);
    expect(rest).toEqual([]);
    expect(stored).toMatchObject({
      kind: 'checkout_contact',
      ids: { email: 'jane.doe@example.com', checkoutToken: expect.any(String) },
    });
    expect(stored!.ids.clientId).toBeUndefined();
    expect(stored!.context.fbp).toBeUndefined();
    expect(stored!.context.ip).toBeUndefined();
    const counts = await store.db
      .selectFrom('anonymous_counts')
      .select(['kind', 'reason', 'count'])
      .orderBy('kind')
      .execute();
    expect(counts).toEqual([
      { kind: 'cart_add', reason: 'no_tracking_consent', count: 1 },
      { kind: 'page_view', reason: 'no_tracking_consent', count: 1 },
    ]);
  });

  it('accepts payloads without seq or type, and reads landing ids from the URL', async () => {
    const event = fixture('page_viewed');
    delete event.seq;
    delete event.type;
    event.context.document.location.href =
      'https://shop.example/?_kx=KX.abc&fbclid=IwAR1&gclid=G-9&utm_source=klaviyo&utm_campaign=winback';
    const res = await post({ events: [event] });
    expect(res.statusCode).toBe(200);
    const [stored] = await storedEvents(store);
    expect(stored).toMatchObject({
      ids: { kx: 'KX.abc' },
      context: {
        fbclid: 'IwAR1',
        gclid: 'G-9',
        utm: { source: 'klaviyo', campaign: 'winback' },
        fbc: `fb.1.${Date.parse(event.timestamp)}.IwAR1`,
      },
    });
    expect(stored!.context.klaviyo).toBeUndefined();
  });

  it('knows when Klaviyo’s cookie is absent or anonymous', async () => {
    await post({ events: [{ ...fixture('page_viewed'), id: 'e1' }], cookies: { _fbp: 'x' } });
    await post({
      events: [{ ...fixture('page_viewed'), id: 'e2' }],
      cookies: { __kla_id: kla({ cid: 'anon' }) },
    });
    const [absent, anonymous] = await storedEvents(store);
    expect(absent!.context.klaviyo).toEqual({ cookiePresent: false, identified: false });
    expect(anonymous!.context.klaviyo).toEqual({ cookiePresent: true, identified: false });
  });

  it('turns a visitor consent decision into a tracking consent event', async () => {
    const consent = contractJson('shopify/pixel-events/visitor_consent_collected.json');
    await post({
      events: [
        { ...fixture('page_viewed'), id: 'c1', name: 'visitor_consent_collected', data: {}, ...consent },
      ],
    });
    const [event] = await storedEvents(store);
    expect(event).toMatchObject({
      kind: 'consent',
      consent: {
        permission: 'tracking',
        state: 'granted',
        source: 'shopify_banner',
        wordingVersion: 'shopify-cookie-banner',
      },
    });
  });

  it('stores a redelivered event once', async () => {
    const body = { events: [fixture('product_viewed')] };
    await post(body);
    const again = await post(body);
    expect(again.json()).toEqual({ accepted: 1, duplicates: 1 });
    expect(await countEvents(store)).toBe(1);
  });

  it('answers 422 with the path of a malformed event and stores nothing', async () => {
    const res = await post({
      events: [fixture('page_viewed'), { ...fixture('product_viewed'), timestamp: 'yesterday' }],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'RECLAIM_ERR_INVALID_SHAPE', path: 'events.1.timestamp' });
    expect(await countEvents(store)).toBe(0);
  });

  it.each([
    ['init.data, as CONTRACT.md writes it', (data: object) => data],
    ['the whole init object', (data: object) => ({ data })],
  ])('reads the logged-in customer, cart and shop from %s', async (_shape, wrap) => {
    const { data } = contractJson('shopify/pixel-events/init.json');
    const res = await post({ events: [fixture('page_viewed')], init: wrap(data) });
    expect(res.statusCode).toBe(200);
    const [event] = await storedEvents(store);
    expect(event!.ids).toMatchObject({
      customerId: '7812345678901',
      email: 'jane.doe@example.com',
      cartToken: expect.any(String),
    });
    expect(event!.context.shop).toBe('northwind-demo.myshopify.com');
  });

  it('answers CORS preflight for the store origin', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/pixel',
      headers: { origin: 'https://northwind-demo.myshopify.com', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://northwind-demo.myshopify.com');
    const other = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/pixel',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate-limits one address and tells it when to retry', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await post({ events: [{ ...fixture('page_viewed'), id: `r${i}` }] })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await post({ events: [fixture('page_viewed')] });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.json().error.code).toBe('RECLAIM_ERR_RATE_LIMITED');
    t.clock.advanceBy(60_000);
    expect((await post({ events: [{ ...fixture('page_viewed'), id: 'later' }] })).statusCode).toBe(200);
  });

  it('refuses writes from an origin outside RECLAIM_PIXEL_ORIGINS, and stores nothing', async () => {
    for (const url of ['/v1/pixel', '/v1/consent']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
        payload: JSON.stringify({ events: [fixture('page_viewed')] }),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('RECLAIM_ERR_ORIGIN_FORBIDDEN');
    }
    expect(await countEvents(store)).toBe(0);
    const own = await post(
      { events: [fixture('page_viewed')] },
      { origin: 'https://northwind-demo.myshopify.com' },
    );
    expect(own.statusCode).toBe(200);
  });

  it('counts the rate limit by the socket address: X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const headers = { 'x-forwarded-for': `203.0.113.${i}` };
      statuses.push(
        (await post({ events: [{ ...fixture('page_viewed'), id: `x${i}` }] }, headers)).statusCode,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it.each(['1', '127.0.0.1/32'])(
    'believes X-Forwarded-For from a trusted proxy (RECLAIM_TRUST_PROXY=%s)',
    async (trust) => {
      const proxied = await buildTestApp(
        store,
        testConfig({ RECLAIM_PIXEL_RATE_LIMIT: '1', RECLAIM_TRUST_PROXY: trust }),
      );
      try {
        const statuses: number[] = [];
        for (const [i, ip] of ['203.0.113.1', '203.0.113.2', '203.0.113.2'].entries()) {
          const res = await proxied.app.inject({
            method: 'POST',
            url: '/v1/pixel',
            headers: { 'content-type': 'text/plain', 'x-forwarded-for': ip },
            payload: JSON.stringify({ events: [{ ...fixture('page_viewed'), id: `p${i}` }] }),
          });
          statuses.push(res.statusCode);
        }
        expect(statuses).toEqual([200, 200, 429]);
      } finally {
        await proxied.app.close();
      }
    },
  );

  it('refuses a body above its size limit with 413', async () => {
    const event = { ...fixture('page_viewed'), data: { padding: 'x'.repeat(300 * 1024) } };
    expect((await post({ events: [event] })).statusCode).toBe(413);
  });
});
