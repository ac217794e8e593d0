import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShopifyAdminClient } from '../../src/shopify/shopify-admin-api.ts';
import { grantedScopes } from '../../src/shopify/shopify-installation.ts';
import { installedToken } from '../../src/shopify/installed-token.ts';
import { REQUIRED_SCOPES } from '../../src/shopify/shopify-requirements.ts';
import { ShopifyStandIn, signQuery } from '../../src/stand-ins/shopify-stand-in.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { cli } from '../support/cli.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';

const PUBLIC_URL = 'https://reclaim.northwind.example';
const API_KEY = 'reclaim-client-id-0123';
const API_SECRET = 'shpss_reclaim_app_secret';
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15';

describe('OAuth install route (/shopify/install, /shopify/callback) against the Shopify stand-in', () => {
  let store: Store;
  let standIn: ShopifyStandIn;
  let app: TestApp;
  let server: string;
  let dir: string;
  const saved = { ...process.env };
  const key = randomBytes(32).toString('base64');

  const at = (location: string, origin: string) => {
    const url = new URL(location);
    return `${origin}${url.pathname}${url.search}`;
  };
  const get = (url: string, cookie?: string) =>
    fetch(url, { redirect: 'manual', headers: { 'user-agent': BROWSER, ...(cookie ? { cookie } : {}) } });

  /** Install → Shopify's grant screen → back to the callback; returns the callback URL and the state cookie. */
  const toCallback = async () => {
    const install = await get(`${server}/shopify/install?shop=${ShopifyStandIn.SHOP}`);
    expect(install.status).toBe(302);
    const grant = install.headers.get('location')!;
    expect(grant).toMatch(/^https:\/\/northwind-demo\.myshopify\.com\/admin\/oauth\/authorize\?/);
    expect(new URL(grant).searchParams.get('scope')).toBe(REQUIRED_SCOPES.map((s) => s.handle).join(','));
    const cookie = install.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toMatch(/shopify_app_state=/);
    const approved = await get(at(grant, standIn.url));
    expect(approved.status).toBe(302);
    const callback = approved.headers.get('location')!;
    expect(callback.startsWith(`${PUBLIC_URL}/shopify/callback?`)).toBe(true);
    return { callback: at(callback, server), cookie };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-oauth-'));
    store = await openStore({ url: `sqlite:${join(dir, 'r.sqlite')}` });
    await migrateToLatest(store);
    standIn = new ShopifyStandIn({ app: { apiKey: API_KEY, apiSecret: API_SECRET } });
    const standInUrl = await standIn.start();
    app = await buildTestApp(
      store,
      testConfig({
        SHOPIFY_API_KEY: API_KEY,
        SHOPIFY_WEBHOOK_SECRET: API_SECRET,
        RECLAIM_PUBLIC_URL: PUBLIC_URL,
        RECLAIM_ENCRYPTION_KEY: key,
        SHOPIFY_ADMIN_BASE_URL: standInUrl,
      }),
    );
    server = await app.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await app.app.close();
    await standIn.close();
    await store.close();
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs: HMAC and state verified, the offline token exchanged and stored encrypted, and it works on the Admin API', async () => {
    const { callback, cookie } = await toCallback();
    const done = await get(callback, cookie);
    expect(await done.text()).toMatch(/Reclaim is installed on northwind-demo\.myshopify\.com/);
    expect(done.status).toBe(200);

    const row = await store.db.selectFrom('shopify_installations').selectAll().executeTakeFirstOrThrow();
    expect(row.shop).toBe(ShopifyStandIn.SHOP);
    expect(row.token_encrypted).toMatch(/^v1:/);
    expect(row.token_encrypted).not.toMatch(/shpat_/);
    const token = await installedToken(store, key, ShopifyStandIn.SHOP);
    expect(token).toMatch(/^shpat_/);
    const client = new ShopifyAdminClient({
      shop: ShopifyStandIn.SHOP,
      accessToken: token!,
      baseUrl: standIn.url,
    });
    expect([...(await grantedScopes(client))].sort()).toEqual(REQUIRED_SCOPES.map((s) => s.handle).sort());
    expect(app.logs.text).not.toContain(token!);

    // The CLI uses the stored token when SHOPIFY_ADMIN_TOKEN is not set.
    delete process.env.SHOPIFY_ADMIN_TOKEN;
    Object.assign(process.env, {
      RECLAIM_DATABASE_URL: `sqlite:${join(dir, 'r.sqlite')}`,
      SHOPIFY_SHOP: ShopifyStandIn.SHOP,
      SHOPIFY_ADMIN_BASE_URL: standIn.url,
      RECLAIM_ENCRYPTION_KEY: key,
    });
    const status = await cli('shopify', 'status', '--json');
    expect(JSON.parse(status.stdout).scopes.missing).toEqual([]);

    const replayed = await get(callback, cookie);
    expect(replayed.status).toBe(400);
    expect((await replayed.json()).error.code).toBe('RECLAIM_ERR_SHOPIFY_REFUSED');
  });

  it('refuses a shop that is not a myshopify.com domain', async () => {
    const answer = await get(`${server}/shopify/install?shop=evil.example.com`);
    expect(answer.status).toBe(400);
    expect((await answer.json()).error.code).toBe('RECLAIM_ERR_SHOPIFY_REFUSED');
  });

  it('refuses a callback whose HMAC does not match, whose state differs, or that comes without the state cookie', async () => {
    const { callback, cookie } = await toCallback();
    const tampered = new URL(callback);
    tampered.searchParams.set('code', 'a-code-of-my-choosing');
    const forged = await get(tampered.toString(), cookie);
    expect(forged.status).toBe(400);
    expect((await forged.json()).error.code).toBe('RECLAIM_ERR_SHOPIFY_REFUSED');

    const other = new URL(callback);
    const query = Object.fromEntries([...other.searchParams].filter(([k]) => k !== 'hmac'));
    query.state = 'not-the-state-in-the-cookie';
    const signed = new URL(`${server}/shopify/callback`);
    for (const [k, v] of Object.entries(query)) signed.searchParams.set(k, v);
    signed.searchParams.set('hmac', signQuery(query, API_SECRET));
    const wrongState = await get(signed.toString(), cookie);
    expect(wrongState.status).toBe(400);

    const noCookie = await get(callback);
    expect(noCookie.status).toBe(400);
    expect((await noCookie.json()).error.code).toBe('RECLAIM_ERR_SHOPIFY_REFUSED');

    expect(await store.db.selectFrom('shopify_installations').selectAll().execute()).toEqual([]);
    expect(standIn.refusedExchanges).toBe(0);
  });
});

describe('OAuth install route without its settings', () => {
  it('answers 404 naming the settings it needs', async () => {
    const store = await openTestSqlite();
    const { app } = await buildTestApp(store, testConfig());
    const answer = await app.inject({
      method: 'GET',
      url: '/shopify/install?shop=northwind-demo.myshopify.com',
    });
    expect(answer.statusCode).toBe(404);
    expect(answer.json().error.message).toMatch(/SHOPIFY_API_KEY.*RECLAIM_ENCRYPTION_KEY/);
    await app.close();
    await store.close();
  });
});
