import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startupKlaviyoCheck } from '../../src/klaviyo/klaviyo-startup-check.ts';
import { startReclaim } from '../../src/app/reclaim-server.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openScratchStore, type Store } from '../../src/store/store.ts';
import { buildTestApp, LogCapture, testConfig, type TestApp } from '../support/app.ts';
import { ADMIN_TOKEN, scenarioEnv } from '../support/shop.ts';
import { until } from '../support/wait.ts';

describe('GET /admin/v1/klaviyo/check', () => {
  let standIn: KlaviyoStandIn;
  let store: Store;
  let t: TestApp;

  beforeEach(async () => {
    standIn = new KlaviyoStandIn({ rateLimits: false });
    const url = await standIn.start();
    store = await openScratchStore();
    await migrateToLatest(store);
    t = await buildTestApp(
      store,
      testConfig({ ...scenarioEnv, KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: url }),
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
    await standIn.close();
  });

  it('needs the admin token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/v1/klaviyo/check' });
    expect(res.statusCode).toBe(401);
    expect(standIn.stats().requests).toEqual({});
  });

  it('answers what reclaim klaviyo check --json prints', async () => {
    standIn.seedFlow({ name: 'Cart recovery', status: 'live', metric: 'Reclaim Cart Abandonment' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/klaviyo/check',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      ok: true,
      revision: '2026-07-15',
      api: { ok: true },
      account: { id: 'XyZ123', name: 'Northwind Demo (stand-in)', testAccount: false },
    });
    expect(body.metrics[1]).toEqual({
      stage: 'cart',
      name: 'Reclaim Cart Abandonment',
      id: standIn.metrics.get('Reclaim Cart Abandonment')!.id,
      flows: [{ id: expect.any(String), name: 'Cart recovery', status: 'live', archived: false }],
    });
  });
});

describe('the check serve runs at start', () => {
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    standIn = new KlaviyoStandIn({ rateLimits: false });
    await standIn.start();
  });
  afterEach(() => standIn.close());

  const run = async (env: Record<string, string>) => {
    const logs = new LogCapture();
    const log = createLogger({ level: 'info', destination: logs });
    await startupKlaviyoCheck(testConfig(env), log, new AbortController().signal);
    return logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string });
  };

  it('says nothing without a key, or when all is well', async () => {
    expect(await run({})).toEqual([]);
    expect(await run({ KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: standIn.url })).toEqual(
      [],
    );
  });

  it('logs one error line for a key Klaviyo refuses', async () => {
    const lines = await run({ KLAVIYO_API_KEY: 'pk_revoked', KLAVIYO_BASE_URL: standIn.url });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(50);
    expect(lines[0]!.msg).toMatch(/^Klaviyo refused KLAVIYO_API_KEY \(401\).*set KLAVIYO_API_KEY/);
  });

  it('logs one warning per problem', async () => {
    await standIn.close();
    standIn = new KlaviyoStandIn({ rateLimits: false, apiKeys: { pk_events: ['events:write'] } });
    await standIn.start();
    const lines = await run({ KLAVIYO_API_KEY: 'pk_events', KLAVIYO_BASE_URL: standIn.url });
    expect(lines.map((l) => [l.level, l.msg.replace(/:.*/s, '')])).toEqual([
      [40, 'klaviyo check'],
      [40, 'klaviyo check'],
      [40, 'klaviyo check'],
    ]);
    expect(lines.map((l) => /lacks (\S+):/.exec(l.msg)?.[1])).toEqual([
      'accounts:read',
      'metrics:read',
      'flows:read',
    ]);
  });
});

describe('serve and the start-up check', () => {
  it('serves while Klaviyo has not answered, and stops without waiting for it', async () => {
    const klaviyo = new KlaviyoStandIn({ rateLimits: false });
    await klaviyo.start();
    klaviyo.readFaults.failNext({ hang: true });
    const logs = new LogCapture();
    const running = await startReclaim({
      config: testConfig({
        PORT: '0',
        KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
        KLAVIYO_BASE_URL: klaviyo.url,
      }),
      log: createLogger({ level: 'info', destination: logs }),
    });
    try {
      await until(() => klaviyo.readFaults.hung === 1, 'the check asked Klaviyo');
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.stop();
      await klaviyo.close();
    }
    expect(logs.text).not.toMatch(/klaviyo check/);
  });
});
