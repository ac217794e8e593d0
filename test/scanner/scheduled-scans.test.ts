import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { BrowserMissingError } from '../../src/scanner/browser.ts';
import { ScanScheduler } from '../../src/scanner/scan-scheduler.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, LogCapture, testConfig } from '../support/app.ts';
import { launchChromium } from '../support/browser.ts';
import { describeEachDialect } from '../support/dialects.ts';
import {
  FIXTURE_BROWSER_ARGS,
  FIXTURE_HOSTS,
  startFixtureServer,
  type FixtureServer,
} from './fixture-server.ts';

const ADMIN_TOKEN = 'scan-admin-token-0123456789';
const SHOP = 'www.northwind-outfitters.com';
const TIMEOUTS = { navigation: 60_000, settle: 30_000, quiet: 500 };

let server: FixtureServer;

beforeAll(async () => {
  server = await startFixtureServer();
});

afterAll(async () => {
  await server?.close();
});

function scheduler(
  store: Store,
  clock: ManualClock,
  logs: LogCapture,
  launch = () => launchChromium({ hosts: FIXTURE_HOSTS, args: FIXTURE_BROWSER_ARGS }),
) {
  const config = loadConfig({
    env: {
      RECLAIM_SCAN_URLS: server.url(SHOP, '/scheduled.html'),
      RECLAIM_SCAN_EVERY: '1d',
      RECLAIM_SCAN_REGION: 'DE',
    },
  });
  return new ScanScheduler({
    store,
    clock,
    log: createLogger({ level: 'info', destination: logs }),
    scanner: config.scanner,
    geo: config.geo,
    launch,
    timeouts: TIMEOUTS,
  });
}

describeEachDialect('scheduled consent scans', (dialect) => {
  let store: Store;
  beforeAll(async () => {
    store = await dialect.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('stores each scan with what changed since the last one, and serves them newest first', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 3));
    const logs = new LogCapture();
    const scans = scheduler(store, clock, logs);

    server.serveAs(SHOP, '/scheduled.html', '/held.html');
    const first = await scans.runOnce();
    expect(first).toMatchObject({ region: 'DE', violations: 0, changes: { added: [], removed: [] } });

    // Last quarter's marketing app: GA4 now runs before any choice.
    server.serveAs(SHOP, '/scheduled.html', '/ga-before.html');
    clock.advanceBy(86_400_000);
    const second = await scans.runOnce();
    expect(second!.violations).toBe(6);
    expect(second!.changes.added).toEqual(
      expect.arrayContaining([
        {
          state: 'before',
          kind: 'cookie',
          name: '_ga',
          host: SHOP,
          vendor: 'Google Analytics (GA4)',
          category: 'analytics',
        },
        {
          state: 'before',
          kind: 'request',
          name: 'www.google-analytics.com',
          host: 'www.google-analytics.com',
          vendor: 'Google Analytics (GA4)',
          category: 'analytics',
        },
      ]),
    );
    // Meta waited for "Accept all" on the old page; the new page has no Meta at all.
    expect(second!.changes.removed).toEqual(
      expect.arrayContaining([
        { state: 'accept', kind: 'cookie', name: '_fbp', host: SHOP, vendor: 'Meta', category: 'marketing' },
      ]),
    );
    expect(logs.text).toContain('consent scan finished');

    const { app } = await buildTestApp(store, testConfig({ RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN }));
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const listed = await app.inject({ method: 'GET', url: '/admin/v1/scans?limit=5', headers: auth });
      expect(listed.statusCode).toBe(200);
      const body = listed.json<{ scans: Record<string, unknown>[] }>();
      expect(body.scans.map((s) => s.id)).toEqual([second!.id, first!.id]);
      expect(Object.keys(body.scans[0]!).sort()).toEqual(
        ['changes', 'finishedAt', 'id', 'region', 'results', 'startedAt', 'urls', 'violations'].sort(),
      );
      expect(body.scans[0]).toMatchObject({
        startedAt: '2026-12-02T03:00:00.000Z',
        region: 'DE',
        urls: [server.url(SHOP, '/scheduled.html')],
        violations: 6,
        results: [
          {
            url: server.url(SHOP, '/scheduled.html'),
            regime: 'EU',
            violations: second!.results[0]!.violations,
          },
        ],
        changes: { added: second!.changes.added, removed: second!.changes.removed },
      });
      const one = await app.inject({ method: 'GET', url: '/admin/v1/scans?limit=1', headers: auth });
      expect(one.json<{ scans: { id: number }[] }>().scans.map((s) => s.id)).toEqual([second!.id]);
      for (const limit of ['0', 'abc', '1001', '1.5'])
        expect(
          (await app.inject({ method: 'GET', url: `/admin/v1/scans?limit=${limit}`, headers: auth })).json(),
        ).toMatchObject({
          error: { code: 'RECLAIM_ERR_BAD_REQUEST' },
        });
      expect((await app.inject({ method: 'GET', url: '/admin/v1/scans' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('skips a scan with one log line when Chromium is missing, and never holds the server', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 10));
    const logs = new LogCapture();
    let launches = 0;
    const scans = scheduler(store, clock, logs, () => {
      launches++;
      return Promise.reject(new BrowserMissingError('/nonexistent/chromium'));
    });
    expect(await scans.runOnce()).toBeUndefined();
    expect(await scans.runOnce()).toBeUndefined();
    expect(launches).toBe(2);
    const lines = logs.lines.filter((l) => l.includes('scan skipped'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no Chromium at /nonexistent/chromium');
    // start() only plans the next scan; stop() ends the plan at once.
    await scans.start();
    await scans.stop();
  });
});
