import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consentTrackingGate } from '../../src/consent/tracking-gate.ts';
import { IngestWorkers } from '../../src/ingest/ingest-workers.ts';
import { prepareCall, type IngestCall } from '../../src/ingest/prepared-ingest.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { contractJson } from '../support/contracts.ts';
import { countEvents, storedEvents } from '../support/events.ts';
import { openTestSqlite } from '../support/dialects.ts';

const KEY = 'seg_write_key_1';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const us = { country: 'US', region: 'US-NY', gpc: false, receivedAt: Date.UTC(2026, 10, 22, 12) };

/** A Segment batch of `n` product views from one browser: 100 of them make a body of about 20 KB. */
const views = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'track',
    event: 'Product Viewed',
    messageId: `view-${from + i}`,
    anonymousId: 'anon-7',
    timestamp: new Date(Date.UTC(2026, 10, 22, 11) + (from + i) * 1000).toISOString(),
    properties: { product_id: `p-${from + i}`, name: 'Organic Cotton Tee', price: 32, currency: 'USD' },
  }));

const segment = (body: unknown, path = '/v1/batch'): IngestCall => ({
  source: 'segment',
  path,
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  signals: us,
});

describe('ingest worker threads', () => {
  let pool: IngestWorkers;
  beforeAll(async () => {
    // Every body crosses to the thread, however small.
    pool = await IngestWorkers.start(2, consentTrackingGate, 0);
  });
  afterAll(() => pool.close());

  const calls: Record<string, IngestCall> = {
    'a Segment batch': segment({ batch: views(3) }),
    'a call with its write key in the body': segment(
      { writeKey: KEY, event: 'Cart Viewed', userId: 'u-1', messageId: 'c-1' },
      '/v1/track',
    ),
    'an EU visitor without consent (counted, not stored)': {
      ...segment({ batch: views(2) }),
      signals: { ...us, country: 'DE', region: undefined },
    },
    'a batch with one wrong message': segment({ batch: [...views(2), { type: 'track', messageId: 'x' }] }),
    'a body that is not JSON': segment('{"batch": ['),
    'a body that is not UTF-8': { ...segment(''), body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
    'Shopify pixel events': {
      source: 'pixel',
      body: Buffer.from(
        JSON.stringify({
          events: [contractJson('shopify/pixel-events/product_viewed.json')],
          customerPrivacy: {
            analyticsProcessingAllowed: true,
            marketingAllowed: true,
            preferencesProcessingAllowed: true,
            saleOfDataAllowed: true,
          },
        }),
      ),
      signals: us,
      bannerWordingVersion: 'banner-v1',
    },
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`prepare ${name} exactly as the main thread does`, async () => {
      expect(await pool.prepare(call)).toEqual(prepareCall(call, consentTrackingGate));
    });
  }

  it('store what the calls carry, or refuse them with the reason', () => {
    const outcomes = Object.values(calls).map((call) => {
      const prepared = prepareCall(call, consentTrackingGate);
      return prepared.outcome === 'rows' ? prepared.rows.length : prepared.error.code;
    });
    expect(outcomes).toEqual([
      3,
      1,
      0,
      'RECLAIM_ERR_INVALID_SHAPE',
      'RECLAIM_ERR_MALFORMED_JSON',
      'RECLAIM_ERR_MALFORMED_JSON',
      1,
    ]);
  });

  it('answers each of many concurrent calls with its own result', async () => {
    const many = Array.from({ length: 40 }, (_, i) => segment({ batch: views(1 + (i % 5), i * 10) }));
    const prepared = await Promise.all(many.map((call) => pool.prepare(call)));
    prepared.forEach((result, i) => {
      expect(result).toEqual(prepareCall(many[i]!, consentTrackingGate));
      expect(result.outcome === 'rows' && result.rows.length).toBe(1 + (i % 5));
    });
  });
});

describe('the Segment API with ingest workers', () => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(store, testConfig({ RECLAIM_WRITE_KEYS: KEY, RECLAIM_INGEST_WORKERS: '1' }));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const post = (payload: string, auth: string | null = basic(KEY)) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: {
        'content-type': 'application/json',
        'cf-ipcountry': 'US',
        ...(auth && { authorization: auth }),
      },
      payload,
    });

  it('stores a large batch prepared on a worker, every event whole', async () => {
    const payload = JSON.stringify({ batch: views(100) });
    expect(payload.length).toBeGreaterThan(16 * 1024);
    const res = await post(payload);
    expect(res.statusCode).toBe(200);
    const events = await storedEvents(store);
    expect(events).toHaveLength(100);
    expect(events[57]).toMatchObject({
      kind: 'product_view',
      idempotencyKey: 'segment:view-57',
      ids: { anonymousId: 'anon-7' },
      commerce: { lines: [{ productId: 'p-57', price: '32.00' }], currency: 'USD' },
    });
  });

  it('refuses a large batch with one wrong message whole, naming the message', async () => {
    const batch: object[] = views(100);
    batch[57] = { type: 'track', messageId: 'no-name', anonymousId: 'anon-7' };
    const res = await post(JSON.stringify({ batch }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      error: { code: 'RECLAIM_ERR_INVALID_SHAPE', path: 'batch.57.event' },
    });
    expect(await countEvents(store)).toBe(0);
  });

  it('answers a large unreadable body with 400 before authentication, and a wrong key with 401', async () => {
    const unreadable = await post(JSON.stringify({ batch: views(100) }).slice(0, -2), null);
    expect(unreadable.statusCode).toBe(400);
    expect(unreadable.json().error.code).toBe('RECLAIM_ERR_MALFORMED_JSON');
    const wrongKey = await post(JSON.stringify({ batch: views(100) }), basic('not-a-key'));
    expect(wrongKey.statusCode).toBe(401);
    expect(await countEvents(store)).toBe(0);
    const keyInBody = await post(JSON.stringify({ writeKey: KEY, batch: views(100) }), null);
    expect(keyInBody.statusCode).toBe(200);
    expect(await countEvents(store)).toBe(100);
  });
});
