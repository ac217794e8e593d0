import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShopifyStandIn } from '../../src/stand-ins/shopify-stand-in.ts';
import { openScratchStore, type Store } from '../../src/store/store.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { ADMIN_TOKEN, scenarioEnv, sendWebhook } from '../support/shop.ts';

describe('GET /admin/v1/shopify/status', () => {
  let standIn: ShopifyStandIn;
  let store: Store;
  let t: TestApp;

  beforeEach(async () => {
    standIn = new ShopifyStandIn({
      tokens: {
        [ShopifyStandIn.DEFAULT_TOKEN]: [
          'read_orders',
          'read_customers',
          'write_pixels',
          'read_customer_events',
        ],
      },
    });
    const url = await standIn.start();
    store = await openScratchStore();
    await migrateToLatest(store);
    t = await buildTestApp(
      store,
      testConfig({
        ...scenarioEnv,
        SHOPIFY_SHOP: ShopifyStandIn.SHOP,
        SHOPIFY_ADMIN_TOKEN: ShopifyStandIn.DEFAULT_TOKEN,
        SHOPIFY_ADMIN_BASE_URL: url,
        RECLAIM_PUBLIC_URL: 'https://reclaim.northwind.example',
      }),
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
    await standIn.close();
  });

  it('needs the admin token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/v1/shopify/status' });
    expect(res.statusCode).toBe(401);
  });

  it('answers what Shopify and Reclaim know, times as ISO-8601', async () => {
    standIn.addSubscription('CARTS_UPDATE', 'https://reclaim.northwind.example/webhooks/shopify');
    await sendWebhook(t.app, 'carts/update', 'carts_update');
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/shopify/status',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.api).toEqual({ ok: true });
    expect(body.topics.find((x: { topic: string }) => x.topic === 'carts/update')).toEqual({
      topic: 'carts/update',
      registered: true,
      elsewhere: [],
      lastReceivedAt: '2026-11-22T12:00:00.000Z',
    });
    expect(body.topics.find((x: { topic: string }) => x.topic === 'carts/create').registered).toBe(false);
    expect(body.pixel).toMatchObject({ active: false, lastEventAt: null });
  });

  it('names missing scopes, and says why the pixel could not be read', async () => {
    await t.app.close();
    await standIn.close();
    standIn = new ShopifyStandIn({ tokens: { shpat_orders_only: ['read_orders'] } });
    t = await buildTestApp(
      store,
      testConfig({
        ...scenarioEnv,
        SHOPIFY_SHOP: ShopifyStandIn.SHOP,
        SHOPIFY_ADMIN_TOKEN: 'shpat_orders_only',
        SHOPIFY_ADMIN_BASE_URL: await standIn.start(),
      }),
    );
    const body = (
      await t.app.inject({
        method: 'GET',
        url: '/admin/v1/shopify/status',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).json();
    expect(body.scopes.missing.map((s: { handle: string }) => s.handle)).toEqual([
      'read_customers',
      'write_pixels',
      'read_customer_events',
    ]);
    expect(body.pixel).toMatchObject({ active: null, unread: { kind: 'access_denied' } });
    expect(body.webhookUri).toBeNull();
  });
});
