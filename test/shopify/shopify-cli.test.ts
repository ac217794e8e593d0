import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShopifyStandIn, type ShopifyStandInOptions } from '../../src/stand-ins/shopify-stand-in.ts';
import { API_TOPICS } from '../../src/shopify/shopify-requirements.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { cli } from '../support/cli.ts';
import { pixelEvent, scenarioEnv, sendPixel, sendWebhook } from '../support/shop.ts';

const PUBLIC_URL = 'https://reclaim.northwind.example';
const HOOKS = `${PUBLIC_URL}/webhooks/shopify`;

describe('reclaim shopify connect', () => {
  let dir: string;
  let standIn: ShopifyStandIn;
  const saved = { ...process.env };

  const start = async (options: ShopifyStandInOptions = {}, env: Record<string, string> = {}) => {
    standIn = new ShopifyStandIn(options);
    const url = await standIn.start();
    Object.assign(process.env, {
      RECLAIM_DATABASE_URL: `sqlite:${join(dir, 'r.sqlite')}`,
      SHOPIFY_SHOP: ShopifyStandIn.SHOP,
      SHOPIFY_ADMIN_TOKEN: ShopifyStandIn.DEFAULT_TOKEN,
      SHOPIFY_ADMIN_BASE_URL: url,
      RECLAIM_PUBLIC_URL: PUBLIC_URL,
      ...env,
    });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-shopify-'));
  });
  afterEach(async () => {
    process.env = { ...saved };
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes every topic and creates the pixel; a second run changes nothing', async () => {
    await start();
    const first = await cli('shopify', 'connect');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(standIn.subscriptions.map((s) => [s.topic, s.uri, s.format]).sort()).toEqual(
      API_TOPICS.map((t) => [t.graphql, HOOKS, 'JSON']).sort(),
    );
    expect(standIn.pixel?.settings).toEqual({ endpoint: PUBLIC_URL });
    expect(first.stdout).toMatch(/webhook\s+checkouts\/update\s+created/);
    expect(first.stdout).toMatch(/compliance\s+shop\/redact\s+declared in shopify.app.toml/);
    expect(first.stdout).toMatch(/pixel\s+created\s+endpoint=https:\/\/reclaim.northwind.example/);
    const changes = standIn.changes;
    expect(changes).toBe(API_TOPICS.length + 1);

    const second = await cli('shopify', 'connect', '--json');
    expect(second.code).toBe(0);
    expect(standIn.changes).toBe(changes);
    const report = JSON.parse(second.stdout);
    expect(report.changed).toBe(false);
    expect(report.webhooks.every((w: { action: string }) => w.action === 'unchanged')).toBe(true);
    expect(report.pixel.action).toBe('unchanged');
  });

  it('--no-webhooks sets up the pixel only, for an app whose shopify.app.toml subscribes', async () => {
    await start();
    const { code, stdout } = await cli('shopify', 'connect', '--no-webhooks');
    expect(code).toBe(0);
    expect(stdout).toMatch(/webhook\s+left alone \(--no-webhooks\)/);
    expect(standIn.subscriptions).toEqual([]);
    expect(standIn.pixel?.settings).toEqual({ endpoint: PUBLIC_URL });
  });

  it('--no-pixel subscribes webhooks only, for an app created in the Shopify admin', async () => {
    await start();
    const { code, stdout } = await cli('shopify', 'connect', '--no-pixel');
    expect(code).toBe(0);
    expect(stdout).toMatch(/pixel\s+left alone \(--no-pixel\)/);
    expect(standIn.pixel).toBeUndefined();
    expect(standIn.subscriptions).toHaveLength(API_TOPICS.length);
  });

  it('reports a subscription of the same topic elsewhere and keeps it', async () => {
    await start();
    const stale = standIn.addSubscription('CHECKOUTS_UPDATE', 'https://old-tool.example.net/hooks');
    const { code, stdout } = await cli('shopify', 'connect');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /checkouts\/update\s+created\s+\(also delivered to https:\/\/old-tool.example.net\/hooks; kept\)/,
    );
    expect(standIn.subscriptions).toContainEqual(stale);
  });

  it('corrects a subscription to Reclaim that delivers XML, and updates pixel settings pointing elsewhere', async () => {
    await start();
    const xml = standIn.addSubscription('ORDERS_PAID', HOOKS, 'XML');
    await cli('shopify', 'connect');
    expect(standIn.subscriptions.find((s) => s.id === xml.id)?.format).toBe('JSON');
    process.env.RECLAIM_PUBLIC_URL = 'https://reclaim-new.northwind.example';
    const moved = await cli('shopify', 'connect', '--json');
    const report = JSON.parse(moved.stdout);
    expect(report.pixel.action).toBe('updated');
    expect(standIn.pixel?.settings).toEqual({ endpoint: 'https://reclaim-new.northwind.example' });
    // The old address is another subscription now: reported, kept.
    expect(report.webhooks[0].elsewhere).toEqual([HOOKS]);
  });

  it('names a missing scope and why it is needed, exits 78 and changes nothing', async () => {
    await start({
      tokens: { [ShopifyStandIn.DEFAULT_TOKEN]: ['read_orders', 'write_pixels', 'read_customer_events'] },
    });
    const { code, stdout, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(78);
    expect(stdout).toMatch(/MISSING read_customers: webhooks customers\/\*/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/lacks read_customers; add it to access_scopes in shopify.app.toml/);
    expect(standIn.changes).toBe(0);
  });

  it('a wrong token is one line naming SHOPIFY_ADMIN_TOKEN, exit 78', async () => {
    await start({}, { SHOPIFY_ADMIN_TOKEN: 'shpat_wrong' });
    const { code, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(78);
    expect(stderr).toMatch(
      /^reclaim shopify: Shopify refused the access token \(401\); set SHOPIFY_ADMIN_TOKEN/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unknown shop is one line naming SHOPIFY_SHOP, exit 78', async () => {
    await start();
    process.env.SHOPIFY_ADMIN_BASE_URL = `${standIn.url}/no-such-store`;
    const { code, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(78);
    expect(stderr).toMatch(/\(404\); set SHOPIFY_SHOP to the store’s myshopify.com domain/);
  });

  it('import without an access token names the setting, exit 78; a bad --days is a usage error', async () => {
    await start();
    delete process.env.SHOPIFY_ADMIN_TOKEN;
    const missing = await cli('shopify', 'import', '--days', '30');
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/SHOPIFY_ADMIN_TOKEN/);
    const days = await cli('shopify', 'import', '--days', 'soon');
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/--days/);
  });

  it('missing settings are named, exit 78', async () => {
    await start();
    delete process.env.RECLAIM_PUBLIC_URL;
    const { code, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(78);
    expect(stderr).toMatch(/set RECLAIM_PUBLIC_URL/);
    process.env.SHOPIFY_SHOP = 'northwind-demo.example.com';
    expect((await cli('shopify', 'connect')).stderr).toMatch(
      /SHOPIFY_SHOP \(shopify.shop\) must be the store’s/,
    );
  });

  it('waits out throttling at the bucket’s restore rate and finishes', async () => {
    // The listing costs 102 points; each mutation 10. A 120-point bucket restoring 200 a second runs dry
    // part-way and has to be waited for.
    await start({ bucket: { maximumAvailable: 120, restoreRate: 200 } });
    const { code } = await cli('shopify', 'connect');
    expect(code).toBe(0);
    expect(standIn.throttled).toBeGreaterThan(0);
    expect(standIn.subscriptions).toHaveLength(API_TOPICS.length);
  });

  it('reports throttling it cannot wait out, exit 69', async () => {
    await start({ bucket: { maximumAvailable: 50, restoreRate: 10 } });
    const { code, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(69);
    expect(stderr).toMatch(/throttling .* wait a minute and run it again/);
  });

  it('refuses non-https Reclaim addresses as Shopify does', async () => {
    await start({}, { RECLAIM_PUBLIC_URL: 'http://reclaim.northwind.example' });
    const { code, stdout, stderr } = await cli('shopify', 'connect');
    expect(code).toBe(1);
    expect(stdout).toMatch(/carts\/create\s+failed\s+— Address protocol http:\/\/ is not supported/);
    expect(stderr).toMatch(/refused part of the setup/);
  });
});

describe('reclaim shopify status', () => {
  let dir: string;
  let standIn: ShopifyStandIn;
  const saved = { ...process.env };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-shopify-status-'));
    standIn = new ShopifyStandIn();
    const databaseUrl = `sqlite:${join(dir, 'r.sqlite')}`;
    Object.assign(process.env, {
      RECLAIM_DATABASE_URL: databaseUrl,
      SHOPIFY_SHOP: ShopifyStandIn.SHOP,
      SHOPIFY_ADMIN_TOKEN: ShopifyStandIn.DEFAULT_TOKEN,
      SHOPIFY_ADMIN_BASE_URL: await standIn.start(),
      RECLAIM_PUBLIC_URL: PUBLIC_URL,
    });
    const store = await openStore({ url: databaseUrl });
    await migrateToLatest(store);
    const t = await buildTestApp(store, testConfig({ ...scenarioEnv, RECLAIM_DATABASE_URL: databaseUrl }));
    await sendWebhook(t.app, 'checkouts/update', 'checkouts_update');
    await sendWebhook(
      t.app,
      'customers/email_marketing_consent/update',
      'customers_email_marketing_consent_update',
    );
    await sendPixel(t.app, [pixelEvent('page_viewed', '2026-11-22T11:59:00Z', 'client-1')]);
    await t.app.close();
    await store.close();
  });
  afterEach(async () => {
    process.env = { ...saved };
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows scopes, subscriptions, last deliveries and the pixel', async () => {
    standIn.addSubscription('ORDERS_PAID', 'https://old-tool.example.net/hooks');
    const before = JSON.parse((await cli('shopify', 'status', '--json')).stdout);
    expect(before.api).toEqual({ ok: true });
    expect(before.scopes.missing).toEqual([]);
    expect(before.pixel.active).toBe(false);
    expect(before.topics.every((t: { registered: boolean }) => t.registered === false)).toBe(true);
    expect(before.topics.find((t: { topic: string }) => t.topic === 'orders/paid').elsewhere).toEqual([
      'https://old-tool.example.net/hooks',
    ]);

    expect((await cli('shopify', 'connect')).code).toBe(0);
    const { code, stdout } = await cli('shopify', 'status', '--json');
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.topics.every((t: { registered: boolean }) => t.registered)).toBe(true);
    const byTopic = Object.fromEntries(
      status.topics.map((t: { topic: string; lastReceivedAt: string | null }) => [t.topic, t.lastReceivedAt]),
    );
    expect(byTopic['checkouts/update']).toBe('2026-11-22T12:00:00.000Z');
    expect(byTopic['customers_email_marketing_consent/update']).toBe('2026-11-22T12:00:00.000Z');
    expect(byTopic['orders/create']).toBeNull();
    expect(status.pixel).toMatchObject({
      active: true,
      settings: { endpoint: PUBLIC_URL },
      settingsMatch: true,
      lastEventAt: '2026-11-22T12:00:00.000Z',
    });
    expect(status.refusedWebhooks).toEqual({ recorded: false });

    const text = await cli('shopify', 'status');
    expect(text.stdout).toMatch(/checkouts\/update\s+subscribed\s+last received 2026-11-22T12:00:00.000Z/);
    expect(text.stdout).toMatch(/orders\/create\s+subscribed\s+last received never/);
    expect(text.stdout).toMatch(
      /pixel\s+active, settings \{"endpoint":"https:\/\/reclaim.northwind.example"\}/,
    );
  });

  it('still shows what Reclaim received when Shopify refuses the token, and exits 78', async () => {
    process.env.SHOPIFY_ADMIN_TOKEN = 'shpat_wrong';
    const { code, stdout, stderr } = await cli('shopify', 'status', '--json');
    expect(code).toBe(78);
    expect(stderr).toMatch(/SHOPIFY_ADMIN_TOKEN/);
    const status = JSON.parse(stdout);
    expect(status.api).toMatchObject({ ok: false, kind: 'unauthorized' });
    expect(status.topics.find((t: { topic: string }) => t.topic === 'checkouts/update')).toMatchObject({
      registered: null,
      lastReceivedAt: '2026-11-22T12:00:00.000Z',
    });
  });
});
