import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { bannerMetrics, Metrics } from '../../src/runtime/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../src/app/metrics-server.ts';
import type { Store } from '../../src/store/store.ts';
import { LogCapture, testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { metric, parsePrometheus } from '../support/prometheus.ts';

const TOKEN = 'worker-metrics-token-0123456789';

describe('the banner hook', () => {
  it('counts impressions by regime and decisions by regime and choice', async () => {
    const metrics = new Metrics({ process: false });
    const banner = bannerMetrics(metrics);
    banner.onImpression('eu');
    banner.onImpression('eu');
    banner.onImpression('us');
    banner.onDecision('eu', 'rejectAll');
    banner.onDecision('eu', 'acceptAll');
    banner.onDecision('eu', 'rejectAll');
    banner.onDecision('us', 'custom');
    const samples = parsePrometheus(await metrics.text());
    expect(metric(samples, 'reclaim_banner_impressions_total', { regime: 'eu' })).toBe(2);
    expect(metric(samples, 'reclaim_banner_impressions_total', { regime: 'us' })).toBe(1);
    expect(metric(samples, 'reclaim_banner_decisions_total', { regime: 'eu', decision: 'rejectAll' })).toBe(
      2,
    );
    expect(metric(samples, 'reclaim_banner_decisions_total', { regime: 'eu', decision: 'acceptAll' })).toBe(
      1,
    );
    expect(metric(samples, 'reclaim_banner_decisions_total', { regime: 'us', decision: 'custom' })).toBe(1);
    expect(metric(samples, 'reclaim_banner_decisions_total')).toBe(4);
  });

  it('does nothing, and does not throw, when metrics are off', () => {
    const banner = bannerMetrics(undefined);
    expect(() => {
      banner.onImpression('eu');
      banner.onDecision('eu', 'acceptAll');
    }).not.toThrow();
  });
});

describe('RECLAIM_LOG_FORMAT', () => {
  const line = (format: 'auto' | 'pretty' | 'json', tty: boolean) => {
    const logs = new LogCapture();
    const log = createLogger({ level: 'info', format, destination: logs, tty });
    log.info(
      { route: '/v1/pixel', status: 400, code: 'RECLAIM_ERR_MALFORMED_JSON', email: 'jane@example.com' },
      'request refused',
    );
    return logs.text;
  };

  it('is JSON by default when the output is not a terminal, and for json', () => {
    for (const text of [line('auto', false), line('json', true)]) {
      expect(JSON.parse(text)).toMatchObject({
        level: 30,
        msg: 'request refused',
        code: 'RECLAIM_ERR_MALFORMED_JSON',
        email: '[redacted]',
      });
    }
  });

  it('is one readable line with the fields below it on a terminal, and for pretty', () => {
    for (const text of [line('auto', true), line('pretty', false)]) {
      const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
      expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request refused$/m);
      expect(plain).toMatch(/^\s+code: "RECLAIM_ERR_MALFORMED_JSON"$/m);
      expect(plain).toMatch(/^\s+email: "\[redacted\]"$/m);
      expect(plain).not.toContain('jane@example.com');
      expect(() => JSON.parse(text)).toThrow();
    }
  });

  it('is a config key that refuses other values, naming it', () => {
    expect(testConfig({ RECLAIM_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(testConfig().logFormat).toBe('auto');
    expect(() => testConfig({ RECLAIM_LOG_FORMAT: 'xml' })).toThrow(/RECLAIM_LOG_FORMAT/);
  });
});

describe('the worker’s own /metrics (RECLAIM_WORKER_METRICS_PORT)', () => {
  let store: Store;
  let server: MetricsServer;
  afterEach(async () => {
    await server.close();
    await store.close();
  });

  it('serves the process’s counters and the database gauges behind the same tokens, and nothing else', async () => {
    store = await openTestSqlite();
    const config = testConfig({
      RECLAIM_METRICS_TOKEN: TOKEN,
      RECLAIM_WORKER_METRICS_PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(config.metrics.workerPort).toBe(0);
    const metrics = new Metrics({ process: false });
    metrics.triggerFired('checkout');
    server = await startMetricsServer({
      config,
      store,
      clock: new ManualClock(Date.UTC(2026, 11, 5)),
      log: createLogger({ level: 'silent' }),
      metrics,
      destinations: ['klaviyo'],
      port: config.metrics.workerPort!,
    });
    const get = (path: string, token?: string) =>
      fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const res = await get('/metrics', TOKEN);
    expect(res.status).toBe(200);
    const samples = parsePrometheus(await res.text());
    expect(metric(samples, 'reclaim_triggers_fired_total', { stage: 'checkout' })).toBe(1);
    expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'pending' })).toBe(0);
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'wrong-token-wrong-token')).status).toBe(401);
    const other = await get('/admin/v1/triggers', TOKEN);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('RECLAIM_ERR_NOT_FOUND');
  });

  it('refuses a port that is not one', () => {
    expect(() => testConfig({ RECLAIM_WORKER_METRICS_PORT: '70000' })).toThrow(/RECLAIM_WORKER_METRICS_PORT/);
  });
});
