import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-schema.ts';
import { ATTEMPT_RETENTION } from '../../src/delivery/attempt-counts.ts';
import { DeliveryRunner } from '../../src/delivery/delivery-runner.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { startStandIns } from '../support/delivery.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { ADMIN_TOKEN, pixelEvent, scenarioEnv, sendPixel, sendWebhook } from '../support/shop.ts';

type StandIns = Awaited<ReturnType<typeof startStandIns>>;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describeEachDialect('destinations’ answers and accuracy against Shopify orders', (dialect) => {
  let standIns: StandIns;
  let store: Store;
  let config: Config;
  let t: TestApp;
  let runner: DeliveryRunner;

  beforeAll(async () => {
    standIns = await startStandIns(() => t.clock.now());
  });
  afterAll(() => standIns.close());
  beforeEach(async () => {
    store = await dialect.open();
    config = testConfig({ ...scenarioEnv, ...standIns.env });
    t = await buildTestApp(store, config);
    runner = new DeliveryRunner({
      destinations: t.engine.destinations,
      store,
      clock: t.clock,
      log: createLogger({ level: 'silent' }),
      settings: config.delivery,
    });
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  /** A purchase as the pixel reports it (`checkout_completed`), now on the test clock. */
  async function browserOrder(
    app: TestApp,
    orderId: string,
    options: { consent?: boolean; gaCookie?: boolean } = {},
  ) {
    const at = new Date(app.clock.now()).toISOString();
    const event = pixelEvent('checkout_completed', at, `c-${orderId}`, (e) => {
      e.data.checkout.order.id = orderId;
    });
    await sendPixel(app.app, [event], {
      privacy: options.consent ?? true,
      cookies: {
        ...((options.gaCookie ?? true) && { _ga: `GA1.1.${orderId}.1700000000` }),
        _fbp: `fb.1.1700000000000.${orderId}`,
      },
      ...(options.consent === false && { headers: { 'cf-ipcountry': 'DE', 'cf-region-code': '' } }),
    });
  }

  /** The same order as Shopify's `orders/create` webhook reports it. */
  async function shopifyOrder(orderId: string) {
    const at = new Date(t.clock.now()).toISOString();
    await sendWebhook(t.app, 'orders/create', 'orders_create', (body) => {
      body.id = orderId;
      body.created_at = at;
      body.processed_at = at;
    });
  }

  async function deliver() {
    await t.engine.processor.drain();
    await runner.drain();
    t.clock.advanceBy(MINUTE);
  }

  const get = async (app: TestApp, url: string) => {
    const res = await app.app.inject({ method: 'GET', url, headers: auth });
    return { status: res.statusCode, body: res.json() };
  };

  /**
   * Orders: A (browser and webhook, sent everywhere), B (webhook only), C (no consent, Germany), D (no
   * `_ga` cookie; Meta refuses it), E (Meta answers 429).
   */
  async function knownOrders() {
    await browserOrder(t, '1001');
    await shopifyOrder('1001');
    await deliver();
    await shopifyOrder('1002');
    await deliver();
    await browserOrder(t, '1003', { consent: false });
    await deliver();
    standIns.meta.faults.failNext({ status: 400 });
    await browserOrder(t, '1004', { gaCookie: false });
    await deliver();
    standIns.meta.faults.failNext({ status: 429, retryAfter: 1 });
    await browserOrder(t, '1005');
    await deliver();
  }

  it('counts orders seen once each, the purchases sent, and why each missing one was not', async () => {
    const from = new Date(t.clock.now() - HOUR).toISOString();
    await knownOrders();
    const to = new Date(t.clock.now() + HOUR).toISOString();
    const { status, body } = await get(t, `/admin/v1/reports/accuracy?from=${from}&to=${to}`);
    expect(status).toBe(200);
    expect(body.orders).toEqual({ seen: 5, fromShopify: 2, fromBrowser: 4, fromBoth: 1 });
    expect(body.destinations).toEqual([
      {
        destination: 'meta',
        title: 'Meta Conversions API',
        event: 'Purchase',
        enabled: true,
        paused: false,
        sent: 1,
        missing: 4,
        accuracy: 20,
        reasons: { no_browser_event: 1, no_consent: 1, dead_lettered: 1, retrying: 1 },
      },
      {
        destination: 'ga4',
        title: 'Google Analytics 4',
        event: 'purchase',
        enabled: true,
        paused: false,
        sent: 2,
        missing: 3,
        accuracy: 40,
        reasons: { no_browser_event: 1, no_consent: 1, missing_identifiers: 1 },
      },
    ]);
    expect(body.missing.total).toBe(7);
    const metaMissing = await get(t, `/admin/v1/reports/accuracy?from=${from}&to=${to}&destination=meta`);
    expect(
      metaMissing.body.missing.orders.map((o: any) => [o.orderId, o.reason, o.error?.status ?? null]),
    ).toEqual([
      ['1002', 'no_browser_event', null],
      ['1003', 'no_consent', null],
      ['1004', 'dead_lettered', 400],
      ['1005', 'retrying', 429],
    ]);
    expect(metaMissing.body.missing.orders[0].at).toBe(new Date(Date.UTC(2026, 10, 22, 12, 1)).toISOString());

    const page = await get(t, `/admin/v1/reports/accuracy?from=${from}&to=${to}&offset=2&limit=2`);
    expect(page.body.missing).toMatchObject({ total: 7, offset: 2, nextOffset: 4 });
    expect(page.body.missing.orders.map((o: any) => `${o.destination}:${o.orderId}`)).toEqual([
      'meta:1003',
      'ga4:1003',
    ]);
    const dead = await get(t, `/admin/v1/reports/accuracy?from=${from}&to=${to}&reason=dead_lettered`);
    expect(dead.body.missing.orders.map((o: any) => o.orderId)).toEqual(['1004']);
    expect(dead.body.missing.nextOffset).toBeNull();
  });

  it('says an order waits for processing, or came before a destination was connected', async () => {
    const klaviyoOnly = await buildTestApp(
      store,
      testConfig({
        ...scenarioEnv,
        KLAVIYO_API_KEY: standIns.env.KLAVIYO_API_KEY,
        KLAVIYO_BASE_URL: standIns.env.KLAVIYO_BASE_URL,
      }),
    );
    try {
      await browserOrder(klaviyoOnly, '2001');
      await klaviyoOnly.engine.processor.drain();
      const off = await get(klaviyoOnly, '/admin/v1/reports/accuracy?from=2026-11-22&to=2026-11-22');
      expect(
        off.body.destinations.map((d: any) => [d.destination, d.enabled, d.accuracy, d.reasons]),
      ).toEqual([
        ['meta', false, null, { not_configured: 1 }],
        ['ga4', false, null, { not_configured: 1 }],
      ]);
      expect(off.body.missing).toEqual({ total: 0, offset: 0, orders: [], nextOffset: null });
    } finally {
      await klaviyoOnly.app.close();
    }
    await browserOrder(t, '2002');
    const { body } = await get(t, '/admin/v1/reports/accuracy?from=2026-11-22&to=2026-11-22&destination=ga4');
    expect(body.missing.orders.map((o: any) => [o.orderId, o.reason])).toEqual([
      ['2001', 'not_connected_then'],
      ['2002', 'awaiting_processing'],
    ]);
  });

  it('shows each destination’s rate, limits, 429s and refusals from the database, for an hour and a day', async () => {
    await knownOrders();
    const { body } = await get(t, '/admin/v1/destinations');
    const byName = new Map<string, any>(body.destinations.map((d: any) => [d.destination, d]));
    expect(byName.get('meta')).toMatchObject({
      status: 'active',
      enabled: true,
      sendLimits: { conversion: { perSecond: 20, perMinute: 1_000 } },
      lastHour: {
        delivered: 1,
        deliveredPerMinute: 0.02,
        requests: 3,
        throttled: 1,
        clientErrors: 1,
        serverErrors: 0,
        noAnswer: 0,
      },
      deliveries: { delivered: 1, skipped: 1, dead: 1, pending: 1 },
    });
    expect(byName.get('ga4')).toMatchObject({
      lastHour: { delivered: 2, requests: 2, throttled: 0, clientErrors: 0 },
      deliveries: { delivered: 2, skipped: 2 },
    });
    expect(byName.get('meta').last24Hours).toEqual({
      delivered: 1,
      deliveredPerMinute: 0,
      requests: 3,
      throttled: 1,
      clientErrors: 1,
      serverErrors: 0,
      noAnswer: 0,
    });

    t.clock.advanceBy(2 * HOUR);
    const later = await get(t, '/admin/v1/destinations');
    const meta = later.body.destinations.find((d: any) => d.destination === 'meta');
    expect(meta.lastHour).toMatchObject({ requests: 0, delivered: 0, throttled: 0 });
    expect(meta.last24Hours).toMatchObject({ requests: 3, delivered: 1, throttled: 1, clientErrors: 1 });

    const restarted = await buildTestApp(store, config);
    try {
      restarted.clock.advanceBy(t.clock.now() - restarted.clock.now());
      const again = await get(restarted, '/admin/v1/destinations');
      expect(again.body.destinations.find((d: any) => d.destination === 'meta').last24Hours).toEqual(
        meta.last24Hours,
      );
    } finally {
      await restarted.app.close();
    }
  });

  it('keeps partner answers for eight days, then prunes them', async () => {
    await browserOrder(t, '3001');
    await deliver();
    t.clock.advanceBy(ATTEMPT_RETENTION + DAY);
    await browserOrder(t, '3002');
    await deliver();
    const rows = await store.db
      .selectFrom('delivery_attempt_counts')
      .select(['minute', 'destination'])
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Number(row.minute)).toBeGreaterThan(t.clock.now() - ATTEMPT_RETENTION);
    expect(rows.map((r) => r.destination).sort()).toEqual(['ga4', 'meta']);
  });

  describe('refuses a bad query with 400 and a code', () => {
    for (const query of [
      'from=yesterday',
      'to=2026-13-01',
      'from=2026-11-23&to=2026-11-22',
      'destination=klaviyo',
      'reason=unlucky',
      'offset=-1',
      'limit=0',
      'limit=501',
      'limit=ten',
    ])
      it(query, async () => {
        const { status, body } = await get(t, `/admin/v1/reports/accuracy?${query}`);
        expect(status).toBe(400);
        expect(body.error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
      });
  });
});
