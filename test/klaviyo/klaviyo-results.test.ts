import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLICK_RATE, engagementOf, OPEN_RATE } from '../../src/stand-ins/klaviyo-flow-run.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { cli } from '../support/cli.ts';
import { ADMIN_TOKEN, scenarioEnv } from '../support/shop.ts';
import type { DeliveryStatus } from '../../src/store/schema.ts';

const FROM = '2026-11-01';
const TO = '2026-11-30';

/** Triggers Reclaim fired (and Klaviyo accepted, or not) in the store, as the delivery loop leaves them. */
async function seedTriggers(
  store: Store,
  rows: { stage: 'browse' | 'cart' | 'checkout'; firedAt: string; status: DeliveryStatus }[],
) {
  let n = 0;
  for (const row of rows) {
    const id = `t${++n}`;
    const at = Date.parse(row.firedAt);
    await store.db
      .insertInto('triggers')
      .values({
        id,
        journey_id: `j${n}`,
        profile_id: `p${n}`,
        stage: row.stage,
        due_at: at,
        fired_at: at,
        created_at: at,
        body_json: '{}',
      })
      .execute();
    await store.db
      .insertInto('deliveries')
      .values({
        id: `klaviyo:abandonment:${id}`,
        destination: 'klaviyo',
        kind: 'abandonment',
        subject_id: id,
        profile_id: `p${n}`,
        status: row.status,
        attempts: 1,
        created_at: at,
        updated_at: at,
        next_attempt_at: at,
        retry_from: at,
        claimed_by: null,
        delivered_at: row.status === 'delivered' ? at : null,
        last_error_json: null,
        payload_json: JSON.stringify({ triggerId: id }),
        outcome_json: null,
      })
      .execute();
  }
}

describe('reclaim klaviyo results and GET /admin/v1/klaviyo/results', () => {
  let dir: string;
  let store: Store;
  let standIn: KlaviyoStandIn;
  /** The stand-in's clock: setup the day before the month, reports after it. */
  let now: number;
  const saved = { ...process.env };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-klaviyo-results-'));
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    store = await openStore({ url });
    await migrateToLatest(store);
    now = Date.parse('2026-10-31T00:00:00Z');
    standIn = new KlaviyoStandIn({ rateLimits: false, clock: () => now });
    const base = await standIn.start();
    Object.assign(process.env, {
      RECLAIM_DATABASE_URL: url,
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: base,
    });
    for (const name of [
      'Placed Order',
      'Received Email',
      'Reclaim Cart Abandonment',
      'Reclaim Checkout Abandonment',
    ])
      standIn.seedMetric(name);
    const created = Date.parse('2026-09-01T00:00:00Z');
    standIn.seedFlow({ name: 'Abandoned Cart', status: 'live', metric: 'Added to Cart', created });
    standIn.seedFlow({ name: 'Abandoned Checkout', status: 'live', metric: 'Started Checkout', created });
    expect((await cli('klaviyo', 'setup')).code).toBe(0);
  });
  afterEach(async () => {
    process.env = { ...saved };
    await store.close();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const reclaimFlow = (native: string) =>
    standIn.flows.find((f) => f.name.startsWith(`Reclaim · ${native} [`))!;
  const headers = {
    authorization: `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`,
    revision: '2026-07-15',
    'content-type': 'application/vnd.api+json',
  };
  /** The marketer's review step: the draft set live, as Klaviyo's API allows. */
  const setLive = async (id: string) => {
    const res = await fetch(`${standIn.url}/api/flows/${id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ data: { type: 'flow', id, attributes: { status: 'live' } } }),
    });
    expect(res.status).toBe(200);
  };
  /** A Reclaim trigger as the delivery loop sends it (the fields the flows read). */
  const trigger = async (metric: string, email: string, time: string) => {
    const res = await fetch(`${standIn.url}/api/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        data: {
          type: 'event',
          attributes: {
            properties: { native_flow_likely: false },
            time,
            unique_id: `${email}:${time}`,
            metric: { data: { type: 'metric', attributes: { name: metric } } },
            profile: { data: { type: 'profile', attributes: { email } } },
          },
        },
      }),
    });
    expect(res.status).toBe(202);
  };
  /** What Klaviyo's onsite script and Shopify integration record. */
  const native = (metric: string, email: string, time: string, value?: number) =>
    standIn.trackNative({ metric, email, time, uniqueId: `${metric}:${time}`, ...(value && { value }) });
  const engaged = (emails: string[], rate: number) => emails.filter((e) => engagementOf(e) < rate).length;

  it('sets native and Reclaim flows side by side per stage, with the uplift and Reclaim’s own sent count', async () => {
    await setLive(reclaimFlow('Abandoned Cart').id);
    native('Added to Cart', 'a@shop.example', '2026-11-03T10:00:00Z');
    native('Placed Order', 'a@shop.example', '2026-11-04T10:00:00Z', 50);
    native('Added to Cart', 'c@shop.example', '2026-11-03T10:00:00Z');
    await trigger('Reclaim Cart Abandonment', 'b@shop.example', '2026-11-03T11:00:00Z');
    native('Placed Order', 'b@shop.example', '2026-11-05T10:00:00Z', 80.5);
    await trigger('Reclaim Cart Abandonment', 'x@shop.example', '2026-11-04T11:00:00Z');
    native('Started Checkout', 'k@shop.example', '2026-11-06T10:00:00Z');
    // The Reclaim checkout flow is still a draft: this trigger starts nothing.
    await trigger('Reclaim Checkout Abandonment', 'm@shop.example', '2026-11-06T11:00:00Z');
    now = Date.parse('2026-12-01T00:00:00Z');
    await seedTriggers(store, [
      { stage: 'cart', firedAt: '2026-11-03T10:00:00Z', status: 'delivered' },
      { stage: 'cart', firedAt: '2026-11-04T10:00:00Z', status: 'delivered' },
      { stage: 'cart', firedAt: '2026-11-05T10:00:00Z', status: 'dead' },
      { stage: 'checkout', firedAt: '2026-11-06T10:00:00Z', status: 'delivered' },
      { stage: 'cart', firedAt: '2026-10-20T10:00:00Z', status: 'delivered' },
    ]);

    const { code, stdout, stderr } = await cli('klaviyo', 'results', '--from', FROM, '--to', TO, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      ok: true,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    const cart = report.stages.find((s: { stage: string }) => s.stage === 'cart');
    const nativeCart = ['a@shop.example', 'c@shop.example'];
    const reclaimCart = ['b@shop.example', 'x@shop.example'];
    expect(cart).toMatchObject({
      stage: 'cart',
      native: {
        recipients: 2,
        opens: engaged(nativeCart, OPEN_RATE),
        clicks: engaged(nativeCart, CLICK_RATE),
        conversions: 1,
        revenue: 50,
      },
      reclaim: {
        recipients: 2,
        opens: engaged(reclaimCart, OPEN_RATE),
        clicks: engaged(reclaimCart, CLICK_RATE),
        conversions: 1,
        revenue: 80.5,
      },
      uplift: { recipients: 1, conversions: 1, revenue: 1.61 },
      reclaimSent: 2,
    });
    const checkout = report.stages.find((s: { stage: string }) => s.stage === 'checkout');
    expect(checkout).toMatchObject({
      native: { recipients: 1, conversions: 0 },
      reclaim: { recipients: 0 },
      uplift: { recipients: 0 },
      reclaimSent: 1,
    });
    expect(report.hints).toContainEqual(
      expect.stringMatching(/"Reclaim · Abandoned Checkout \[beside \w+\]" is a draft: it sends nothing/),
    );

    // One report query for every flow, as the endpoint's limit (2 a minute) asks.
    expect(standIn.reportQueries).toHaveLength(1);
    expect(standIn.reportQueries[0]).toMatchObject({
      data: {
        attributes: {
          timeframe: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
          conversion_metric_id: standIn.metrics.get('Placed Order')!.id,
        },
      },
    });

    const text = await cli('klaviyo', 'results', '--from', FROM, '--to', TO);
    expect(text.stdout).toMatch(/cart\s+native\s+2\s+\d+\s+\d+\s+1\s+50\.00/);
    expect(text.stdout).toMatch(/cart\s+reclaim\s+2\s+\d+\s+\d+\s+1\s+80\.50/);
    expect(text.stdout).toMatch(
      /cart\s+uplift\s+recipients 1\.00x, conversions 1\.00x, revenue 1\.61x; Reclaim sent 2 triggers, 2 entered/,
    );
  });

  it('the admin API answers the same JSON, and refuses a bad period with a 400', async () => {
    await setLive(reclaimFlow('Abandoned Checkout').id);
    for (const email of ['p@shop.example', 'q@shop.example'])
      await trigger('Reclaim Checkout Abandonment', email, '2026-11-08T10:00:00Z');
    now = Date.parse('2026-12-01T00:00:00Z');
    const t = await buildTestApp(
      store,
      testConfig({
        ...scenarioEnv,
        KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
        KLAVIYO_BASE_URL: standIn.url,
      }),
    );
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const res = await t.app.inject({
        url: `/admin/v1/klaviyo/results?from=${FROM}&to=${TO}`,
        headers: auth,
      });
      expect(res.statusCode).toBe(200);
      expect(
        res.json().stages.find((s: { stage: string }) => s.stage === 'checkout').reclaim.recipients,
      ).toBe(2);
      const bad = await t.app.inject({ url: '/admin/v1/klaviyo/results?from=yesterday', headers: auth });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
      expect((await t.app.inject({ url: '/admin/v1/klaviyo/results' })).statusCode).toBe(401);
    } finally {
      await t.app.close();
    }
  });

  it('one report query per run; a throttled report becomes a clear line, not a crash', async () => {
    const limited = new KlaviyoStandIn();
    process.env.KLAVIYO_BASE_URL = await limited.start();
    try {
      for (const name of ['Placed Order', 'Reclaim Cart Abandonment']) limited.seedMetric(name);
      limited.seedFlow({ name: 'Abandoned Cart', status: 'live', metric: 'Added to Cart' });
      expect((await cli('klaviyo', 'setup')).code).toBe(0);
      expect((await cli('klaviyo', 'results', '--from', FROM, '--to', TO)).code).toBe(0);
      expect((await cli('klaviyo', 'results', '--from', FROM, '--to', TO)).code).toBe(0);
      limited.faults.down = () => ({ status: 429, retryAfter: 3600 });
      const third = await cli('klaviyo', 'results', '--from', FROM, '--to', TO);
      expect(third.code).toBe(69);
      expect(third.stderr).toMatch(/reclaim klaviyo: Klaviyo is throttling/);
    } finally {
      await limited.close();
    }
  });

  it('a key without flows:read says what it disables', async () => {
    const key = 'pk_events_only';
    const limited = new KlaviyoStandIn({
      rateLimits: false,
      apiKeys: { [key]: ['events:write', 'metrics:read'] },
    });
    Object.assign(process.env, { KLAVIYO_BASE_URL: await limited.start(), KLAVIYO_API_KEY: key });
    try {
      limited.seedMetric('Reclaim Cart Abandonment');
      const { code, stderr } = await cli('klaviyo', 'results');
      expect(code).toBe(1);
      expect(stderr).toMatch(/the key lacks flows:read/);
    } finally {
      await limited.close();
    }
  });
});
