import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startReclaim, type RunningReclaim } from '../../src/app/reclaim-server.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { LogCapture, testConfig } from '../support/app.ts';
import { metric, parsePrometheus, type Sample } from '../support/prometheus.ts';
import { ADMIN_TOKEN, pixelEvent, scenarioEnv } from '../support/shop.ts';
import { until } from '../support/wait.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const EMAIL = 'jane.doe@example.com';

/** A pixel request as the Reclaim pixel sends it, over a real socket. */
function pixelBody(events: unknown[]) {
  const privacy = {
    analyticsProcessingAllowed: true,
    marketingAllowed: true,
    preferencesProcessingAllowed: true,
    saleOfDataAllowed: true,
  };
  return JSON.stringify({
    events,
    customerPrivacy: privacy,
    init: {
      data: {
        customer: { id: '7812345678901', email: EMAIL },
        cart: { id: 'cart-metrics' },
        shop: { myshopifyDomain: 'northwind-demo.myshopify.com' },
      },
    },
    cookies: { cart: 'cart-metrics' },
  });
}

describe('GET /metrics after real traffic through the real server', () => {
  let klaviyo: KlaviyoStandIn;
  let running: RunningReclaim;
  let logs: LogCapture;
  const clock = new ManualClock(T0);

  beforeEach(async () => {
    klaviyo = new KlaviyoStandIn({ rateLimits: false });
    await klaviyo.start();
    logs = new LogCapture();
    running = await startReclaim({
      config: testConfig({
        ...scenarioEnv,
        PORT: '0',
        HOST: '127.0.0.1',
        KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
        KLAVIYO_BASE_URL: klaviyo.url,
        RECLAIM_METRICS_TOKEN: METRICS_TOKEN,
      }),
      log: createLogger({ level: 'info', destination: logs }),
      clock,
    });
  });
  afterEach(async () => {
    await running.stop();
    await klaviyo.close();
  });

  const scrape = async (token = METRICS_TOKEN): Promise<Sample[]> => {
    const res = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'cf-ipcountry': 'US', 'cf-region-code': 'NY', ...headers },
      body,
    });

  it('counts ingest by source and outcome, the trigger, the 429 and the delivery, and the gauges follow', async () => {
    const seen = new Date(T0 - 60_000).toISOString();
    const accepted = await post(
      '/v1/pixel',
      pixelBody([
        pixelEvent('product_viewed', seen, 'client-metrics'),
        pixelEvent('product_added_to_cart', seen, 'client-metrics'),
      ]),
    );
    expect(accepted.status).toBe(200);
    const refused = await post(
      `/v1/pixel?email=${encodeURIComponent(EMAIL)}`,
      `{"events": [{"email": "${EMAIL}"`,
    );
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'RECLAIM_ERR_MALFORMED_JSON',
    );

    let samples = await scrape();
    expect(metric(samples, 'reclaim_ingest_requests_total', { source: 'pixel', outcome: 'accepted' })).toBe(
      1,
    );
    expect(
      metric(samples, 'reclaim_ingest_requests_total', {
        source: 'pixel',
        outcome: 'refused',
        code: 'RECLAIM_ERR_MALFORMED_JSON',
      }),
    ).toBe(1);

    await until(async () => {
      samples = await scrape();
      return (
        metric(samples, 'reclaim_journeys_open') === 1 &&
        metric(samples, 'reclaim_processor_lag_events') === 0
      );
    }, 'the pixel events processed into an open journey');
    expect(metric(samples, 'reclaim_processor_lag_seconds')).toBe(0);
    expect(metric(samples, 'reclaim_journeys_due')).toBe(0);
    const ledgerRows = await running.store.db
      .selectFrom('consent_ledger')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(metric(samples, 'reclaim_consent_ledger_records')).toBe(Number(ledgerRows.n));
    expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'pending' })).toBe(0);

    // Klaviyo answers the first send with 429; the cart is abandoned an hour after its last activity.
    klaviyo.faults.failNext({ status: 429, retryAfter: 2 });
    clock.advanceBy(2 * 3_600_000);
    await until(async () => {
      samples = await scrape();
      return (
        metric(samples, 'reclaim_partner_responses_total', { destination: 'klaviyo', class: '429' }) === 1
      );
    }, 'the throttled first send');
    expect(metric(samples, 'reclaim_triggers_fired_total', { stage: 'cart' })).toBe(1);
    expect(metric(samples, 'reclaim_triggers_fired_total')).toBe(1);
    expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'pending' })).toBe(1);
    expect(metric(samples, 'reclaim_deliveries_total', { destination: 'klaviyo', outcome: 'retry' })).toBe(1);

    clock.advanceBy(60_000);
    await until(async () => {
      samples = await scrape();
      return (
        metric(samples, 'reclaim_deliveries_total', { destination: 'klaviyo', outcome: 'delivered' }) === 1
      );
    }, 'the delivery after Retry-After');
    expect(klaviyo.stats().requests).toMatchObject({ '/api/events': { '202': 1, '429': 1 } });
    expect(metric(samples, 'reclaim_partner_responses_total', { destination: 'klaviyo', class: '2xx' })).toBe(
      1,
    );
    expect(
      metric(samples, 'reclaim_partner_request_duration_seconds_count', { destination: 'klaviyo' }),
    ).toBe(2);
    expect(
      metric(samples, 'reclaim_delivery_latency_seconds_count', {
        destination: 'klaviyo',
        kind: 'abandonment',
      }),
    ).toBe(1);
    // Queued when the trigger fired, delivered a minute later on the test's clock.
    expect(
      metric(samples, 'reclaim_delivery_latency_seconds_bucket', {
        destination: 'klaviyo',
        kind: 'abandonment',
        le: '60',
      }),
    ).toBe(1);
    expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'pending' })).toBe(0);
    expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'dead' })).toBe(0);
    expect(metric(samples, 'reclaim_dead_letters_total')).toBe(0);
    expect(metric(samples, 'reclaim_process_resident_memory_bytes')).toBeGreaterThan(0);

    const refusal = logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'request refused');
    expect(refusal).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/v1/pixel',
      status: 400,
      code: 'RECLAIM_ERR_MALFORMED_JSON',
    });
    expect(logs.text).not.toContain(EMAIL);
    expect(logs.text).not.toContain(encodeURIComponent(EMAIL));
  });
});

describe('GET /metrics access', () => {
  const started: RunningReclaim[] = [];
  afterEach(async () => {
    for (const r of started.splice(0)) await r.stop();
  });
  const start = async (env: Record<string, string>) => {
    const running = await startReclaim({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', ...env }),
      log: createLogger({ level: 'silent' }),
    });
    started.push(running);
    return running;
  };
  const get = async (running: RunningReclaim, authorization?: string) => {
    const res = await fetch(`${running.url}/metrics`, {
      headers: authorization ? { authorization } : {},
    });
    return { status: res.status, body: await res.text() };
  };

  it('takes the admin token or the metrics token, and nothing else', async () => {
    const running = await start({ RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN, RECLAIM_METRICS_TOKEN: METRICS_TOKEN });
    expect((await get(running, `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await get(running, `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    for (const wrong of [undefined, 'Bearer not-the-token-at-all', `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const res = await get(running, wrong);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toEqual({
        error: { code: 'RECLAIM_ERR_UNAUTHORIZED', message: 'missing or wrong metrics bearer token' },
      });
    }
  });

  it('answers 401 naming what to set when no token is configured', async () => {
    const running = await start({});
    const res = await get(running, 'Bearer anything-at-all-here');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.message).toMatch(/RECLAIM_METRICS_TOKEN/);
  });

  it('is not served at all with RECLAIM_METRICS_ENABLED=false', async () => {
    const running = await start({ RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN, RECLAIM_METRICS_ENABLED: 'false' });
    expect(running.metrics).toBeUndefined();
    const res = await get(running, `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe('RECLAIM_ERR_NOT_FOUND');
  });
});
