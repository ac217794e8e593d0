import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/command.ts';
import { KLAVIYO_REVISION } from '../../src/destinations/klaviyo/settings.ts';
import { signShopifyBody } from '../../src/ingest/shopify/webhook-hmac.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { cli } from '../support/cli.ts';
import { contractJson, contractText } from '../support/contracts.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { PROTOTYPE_NAMES } from '../support/hostile.ts';
import { countEvents, storedEvents } from '../support/events.ts';

const KEY = 'proto_key';
const SECRET = 'proto_secret';
const ADMIN = 'proto_admin_token_0123456789';
const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

describe('names of Object.prototype members are ordinary names', () => {
  let store: Store;
  let t: TestApp;
  beforeAll(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(
      store,
      testConfig({
        RECLAIM_WRITE_KEYS: KEY,
        SHOPIFY_WEBHOOK_SECRET: SECRET,
        RECLAIM_ADMIN_TOKEN: ADMIN,
        RECLAIM_LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(async () => {
    await t.app.close();
    await store.close();
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      // Outside the EU, so behaviour without a consent decision is stored rather than only counted.
      headers: {
        'content-type': 'application/json',
        'cf-ipcountry': 'US',
        'cf-region-code': 'CA',
        ...headers,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it.each(PROTOTYPE_NAMES)('stores a pixel event named %s as a custom event', async (name) => {
    const event = { ...contractJson('shopify/pixel-events/page_viewed.json'), id: `px-${name}`, name };
    const res = await post('/v1/pixel', { events: [event] });
    expect(res.statusCode, res.body).toBe(200);
    const stored = (await storedEvents(store)).find((e) => e.name === name && e.source === 'pixel');
    expect(stored?.kind).toBe('track');
  });

  it.each(PROTOTYPE_NAMES)('stores a Segment track call named %s as a custom event', async (name) => {
    const res = await post(
      '/v1/track',
      { event: name, anonymousId: 'a-proto', messageId: `seg-${name}`, properties: {} },
      { authorization: auth },
    );
    expect(res.statusCode, res.body).toBe(200);
    const stored = (await storedEvents(store)).find((e) => e.idempotencyKey === `segment:seg-${name}`);
    expect(stored?.kind).toBe('track');
  });

  it.each(PROTOTYPE_NAMES)('acknowledges a signed webhook on topic %s and stores nothing', async (topic) => {
    const raw = contractText('shopify/webhooks/checkouts_update.json');
    const before = await countEvents(store);
    const res = await post('/webhooks/shopify', raw, {
      'x-shopify-topic': topic,
      'x-shopify-webhook-id': `wh-${topic}`,
      'x-shopify-hmac-sha256': signShopifyBody(raw, SECRET),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ status: 'ignored', topic });
    expect(await countEvents(store)).toBe(before);
  });

  it.each(PROTOTYPE_NAMES)('answers a profile lookup by %s with 400', async (name) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/v1/profiles/lookup?${name}=x`,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
  });
});

describe('names of Object.prototype members given to the CLI and the partner stand-ins', () => {
  it.each(PROTOTYPE_NAMES)('reclaim stand-in %s is a usage error', async (name) => {
    const run = await cli('stand-in', name);
    expect(run.code, run.stderr).toBe(EXIT.USAGE);
  });

  it.each(PROTOTYPE_NAMES)('reclaim simulate --profile %s is a usage error', async (name) => {
    const run = await cli('simulate', '--profile', name, '--shoppers', '1');
    expect(run.code, run.stderr).toBe(EXIT.USAGE);
    expect(run.stderr).toContain('--profile must be one of');
  });

  it.each(PROTOTYPE_NAMES)('the Klaviyo stand-in refuses the API key %s with 401', async (key) => {
    const standIn = new KlaviyoStandIn();
    try {
      const res = await fetch(`${await standIn.start()}/api/events`, {
        method: 'POST',
        headers: {
          authorization: `Klaviyo-API-Key ${key}`,
          revision: KLAVIYO_REVISION,
          'content-type': 'application/vnd.api+json',
          accept: 'application/vnd.api+json',
        },
        body: '{}',
      });
      expect(res.status).toBe(401);
    } finally {
      await standIn.close();
    }
  });
});
