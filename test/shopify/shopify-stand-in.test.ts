import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShopifyAdminClient, ShopifyAdminError } from '../../src/shopify/shopify-admin-api.ts';
import { ShopifyStandIn } from '../../src/stand-ins/shopify-stand-in.ts';

describe('Shopify Admin GraphQL stand-in', () => {
  let standIn: ShopifyStandIn;
  let client: ShopifyAdminClient;

  beforeEach(async () => {
    standIn = new ShopifyStandIn({
      tokens: {
        [ShopifyStandIn.DEFAULT_TOKEN]: [
          'read_orders',
          'read_customers',
          'write_pixels',
          'read_customer_events',
        ],
        shpat_orders_only: ['read_orders'],
      },
    });
    client = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: ShopifyStandIn.DEFAULT_TOKEN,
      baseUrl: await standIn.start(),
    });
  });
  afterEach(() => standIn.close());

  const post = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(client.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: await res.json() };
  };

  it('answers a wrong token 401 with Shopify’s message', async () => {
    const { status, body } = await post('shpat_nope', '{ currentAppInstallation { id } }');
    expect(status).toBe(401);
    expect(body.errors).toMatch(/^\[API\] Invalid API key or access token/);
  });

  it('refuses a field the schema does not have, and runs nothing', async () => {
    const { status, body } = await post(
      ShopifyStandIn.DEFAULT_TOKEN,
      '{ webhookSubscriptions(first: 5) { nodes { id callbackUri } } }',
    );
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors[0]).toMatchObject({
      message: "Field 'callbackUri' doesn't exist on type 'WebhookSubscription'",
      extensions: { code: 'undefinedField' },
    });
    expect(standIn.operations).toBe(0);
  });

  it('denies the pixel to a token without its scopes (ACCESS_DENIED, with the scope required)', async () => {
    const { body } = await post('shpat_orders_only', '{ webPixel { id settings } }');
    expect(body.data).toEqual({ webPixel: null });
    expect(body.errors[0].extensions).toMatchObject({
      code: 'ACCESS_DENIED',
      requiredAccess: '`read_pixels` access scope.',
    });
    expect(body.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 1000, restoreRate: 50 });
  });

  it('refuses subscriptions Shopify refuses: a topic outside the scopes, http, a taken address', async () => {
    const create = `mutation ($topic: WebhookSubscriptionTopic!, $uri: String!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri, format: JSON }) {
        webhookSubscription { id } userErrors { field message } } }`;
    const errorOf = async (token: string, topic: string, uri: string) =>
      (await post(token, create, { topic, uri })).body.data.webhookSubscriptionCreate.userErrors[0]?.message;
    expect(await errorOf('shpat_orders_only', 'CUSTOMERS_UPDATE', 'https://r.example/w')).toBe(
      'You cannot create a webhook subscription with the specified topic',
    );
    expect(await errorOf(ShopifyStandIn.DEFAULT_TOKEN, 'ORDERS_PAID', 'http://r.example/w')).toBe(
      'Address protocol http:// is not supported',
    );
    expect(await errorOf(ShopifyStandIn.DEFAULT_TOKEN, 'ORDERS_PAID', 'not a url')).toBe(
      'Address is invalid',
    );
    expect(await errorOf(ShopifyStandIn.DEFAULT_TOKEN, 'ORDERS_PAID', 'https://r.example/w')).toBeUndefined();
    expect(await errorOf(ShopifyStandIn.DEFAULT_TOKEN, 'ORDERS_PAID', 'https://r.example/w')).toBe(
      'Address for this topic has already been taken',
    );
    const compliance = await post(ShopifyStandIn.DEFAULT_TOKEN, create, {
      topic: 'SHOP_REDACT',
      uri: 'https://r.example/w',
    });
    expect(compliance.body.errors[0].message).toMatch(/SHOP_REDACT/);
  });

  it('refuses pixel settings outside the settings definition, and a second pixel', async () => {
    const create = `mutation ($settings: JSON!) { webPixelCreate(webPixel: { settings: $settings }) {
      webPixel { id } userErrors { code field message } } }`;
    const errorOf = async (settings: unknown) =>
      (await post(ShopifyStandIn.DEFAULT_TOKEN, create, { settings })).body.data.webPixelCreate.userErrors[0];
    expect((await errorOf('{"endpoint": "https://r.example", "accountID": "1"}')).code).toBe(
      'INVALID_SETTINGS',
    );
    expect((await errorOf('{"endpoint": "short"}')).code).toBe('INVALID_SETTINGS');
    expect((await errorOf('{not json')).code).toBe('INVALID_CONFIGURATION_JSON');
    expect(await errorOf('{"endpoint": "https://r.example"}')).toBeUndefined();
    expect((await errorOf('{"endpoint": "https://r.example"}')).code).toBe('TAKEN');
  });

  it('throttles beyond the cost bucket, with extensions.cost, and the client waits for the refill', async () => {
    await standIn.close();
    // The bucket refills on the stand-in's clock, which moves only when the client sleeps: no dependence
    // on how fast a loaded machine gets from one request to the next.
    let now = Date.UTC(2026, 11, 1);
    standIn = new ShopifyStandIn({ bucket: { maximumAvailable: 4, restoreRate: 20 }, clock: () => now });
    const baseUrl = await standIn.start();
    const waits: number[] = [];
    client = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: ShopifyStandIn.DEFAULT_TOKEN,
      baseUrl,
      sleep: (ms) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    const query = '{ currentAppInstallation { id accessScopes { handle } } }';
    const raw = await post(ShopifyStandIn.DEFAULT_TOKEN, query);
    expect(raw.body.extensions.cost.requestedQueryCost).toBe(2);
    await post(ShopifyStandIn.DEFAULT_TOKEN, query);
    const throttled = await post(ShopifyStandIn.DEFAULT_TOKEN, query);
    expect(throttled.body.errors[0]).toMatchObject({
      message: 'Throttled',
      extensions: { code: 'THROTTLED' },
    });
    expect(throttled.body.extensions.cost).toMatchObject({ requestedQueryCost: 2, actualQueryCost: null });
    await client.request(query);
    // 2 points short at 20 points a second: 100 ms (the client's floor).
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[0]).toBeLessThanOrEqual(150);
  });

  it('the client classifies failures once', async () => {
    const wrong = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: 'x',
      baseUrl: standIn.url,
    });
    await expect(wrong.request('{ currentAppInstallation { id } }')).rejects.toMatchObject({
      kind: 'unauthorized',
    });
    const limited = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: 'shpat_orders_only',
      baseUrl: standIn.url,
    });
    await expect(limited.request('{ webPixel { id } }')).rejects.toMatchObject({ kind: 'access_denied' });
    await expect(client.request('{ shop { name } }')).rejects.toBeInstanceOf(ShopifyAdminError);
    const down = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: 'x',
      baseUrl: 'http://127.0.0.1:9',
    });
    await expect(down.request('{ currentAppInstallation { id } }')).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });
});
