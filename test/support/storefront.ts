import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Store } from '../../src/store/store.ts';
import { buildStorefrontBundles } from '../../src/storefront/build-bundles.ts';
import { buildTestApp, testConfig, type TestApp } from './app.ts';
import { launchChromium } from './browser.ts';
import { openTestSqlite } from './dialects.ts';

/** The store, Reclaim and the partners' tag hosts, under the names a real storefront would use. */
export const SHOP_HOST = 'northwind-demo.myshopify.com';
export const RECLAIM_HOST = 'reclaim.northwind.example';
export const TAG_HOSTS = {
  google: 'www.googletagmanager.com',
  klaviyo: 'static.klaviyo.com',
  // Meta's connect.facebook.net is on Chromium's HSTS preload list, so a plain-http stand-in cannot serve it.
  tiktok: 'analytics.tiktok.com',
} as const;
export const PUBLISHABLE_KEY = 'pk_northwind_storefront';
export const WRITE_KEY = 'wk_northwind_server_only';
export const ADMIN_TOKEN = 'admin-token-northwind-0123456789';

export interface PageOptions {
  /** Include the stand-in of Shopify's `window.Shopify` (`loadFeatures`, `customerPrivacy`). */
  shopify?: boolean;
  /** A decision Shopify already holds for this visitor (`currentVisitorConsent`). */
  shopifyConsent?: Record<string, 'yes' | 'no' | ''>;
  /** The publishable key the page embeds. */
  key?: string;
  /** Extra body HTML (the opt-in forms). */
  body?: string;
  /** Load forms.js instead of nothing. */
  forms?: boolean;
}

/**
 * A stand-in of the parts of Shopify's storefront JavaScript the banner uses: `Shopify.loadFeatures`
 * loads `consent-tracking-api` asynchronously; `customerPrivacy.setTrackingConsent` accepts exactly the
 * four booleans (anything else is an error in the callback, as Shopify answers) and then fires
 * `visitorConsentCollected` on document; `currentVisitorConsent` answers 'yes' / 'no' / '' per purpose.
 */
function shopifyStub(existing: Record<string, string> | undefined): string {
  return `<script>
(function(){
  var state = ${JSON.stringify(existing ?? { analytics: '', marketing: '', preferences: '', sale_of_data: '' })};
  window.__shopifyCalls = [];
  var privacy = {
    setTrackingConsent: function(consent, callback) {
      var keys = Object.keys(consent).sort().join(',');
      var ok = keys === 'analytics,marketing,preferences,sale_of_data' &&
        Object.keys(consent).every(function(k){ return typeof consent[k] === 'boolean'; });
      if (!ok) { setTimeout(function(){ callback({ error: 'invalid consent: ' + keys }); }); return; }
      window.__shopifyCalls.push(consent);
      Object.keys(consent).forEach(function(k){ state[k] = consent[k] ? 'yes' : 'no'; });
      setTimeout(function(){
        callback({});
        document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: {
          analyticsAllowed: consent.analytics, marketingAllowed: consent.marketing,
          preferencesAllowed: consent.preferences, saleOfDataAllowed: consent.sale_of_data,
          firstPartyMarketingAllowed: consent.marketing, thirdPartyMarketingAllowed: consent.marketing } }));
      });
    },
    currentVisitorConsent: function(){ return Object.assign({}, state); },
    analyticsProcessingAllowed: function(){ return state.analytics === 'yes'; },
    marketingAllowed: function(){ return state.marketing === 'yes'; }
  };
  window.Shopify = { shop: '${SHOP_HOST}', loadFeatures: function(features, callback) {
    var known = features.every(function(f){ return f.name === 'consent-tracking-api' && typeof f.version === 'string'; });
    setTimeout(function(){
      if (!known) { callback(new Error('unknown feature')); return; }
      window.Shopify.customerPrivacy = privacy; callback();
    }, 20);
  } };
})();
</script>`;
}

/** A running Reclaim, a storefront that embeds its banner, and Chromium that reaches both by name. */
export class StorefrontFixture {
  private constructor(
    /** Every request the site and the tag hosts received, by host name. */
    readonly requests: Map<string, string[]>,
    readonly t: TestApp,
    readonly store: Store,
    readonly browser: Browser,
    private readonly site: Server,
    readonly sitePort: number,
    readonly reclaimPort: number,
    readonly pages: Map<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<StorefrontFixture> {
    await buildStorefrontBundles();
    const pages = new Map<string, string>();
    const requests = new Map<string, string[]>();
    const site = createServer((req, res) => serveSite(req, res, pages, requests));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const sitePort = (site.address() as AddressInfo).port;
    const store = await openTestSqlite();
    const t = await buildTestApp(
      store,
      testConfig({
        RECLAIM_PUBLISHABLE_KEYS: PUBLISHABLE_KEY,
        RECLAIM_WRITE_KEYS: WRITE_KEY,
        RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN,
        RECLAIM_PIXEL_ORIGINS: `http://${SHOP_HOST}:${sitePort}`,
        RECLAIM_GEO_COUNTRY_HEADER: 'x-test-country',
        RECLAIM_GEO_REGION_HEADER: 'x-test-region',
        ...env,
      }),
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const reclaimPort = (t.app.server.address() as AddressInfo).port;
    const browser = await launchChromium({ hosts: [SHOP_HOST, RECLAIM_HOST, ...Object.values(TAG_HOSTS)] });
    return new StorefrontFixture(requests, t, store, browser, site, sitePort, reclaimPort, pages);
  }

  get reclaimUrl(): string {
    return `http://${RECLAIM_HOST}:${this.reclaimPort}`;
  }
  get shopUrl(): string {
    return `http://${SHOP_HOST}:${this.sitePort}`;
  }

  /** Publishes a storefront page at `path` and returns its URL. */
  page(path: string, options: PageOptions = {}): string {
    const key = options.key ?? PUBLISHABLE_KEY;
    const tag = (host: string, file: string) => `http://${host}:${this.sitePort}${file}`;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Northwind Outfitters</title>
${options.shopify ? shopifyStub(options.shopifyConsent) : ''}
<script src="${this.reclaimUrl}/v1/consent/banner.js" data-key="${key}"></script>
<script>window.__tags = [];</script>
<script type="text/plain" data-category="analytics" src="${tag(TAG_HOSTS.google, '/gtag/js?id=G-NORTHWIND')}"></script>
<script type="text/plain" data-category="marketing" src="${tag(TAG_HOSTS.klaviyo, '/onsite/js/klaviyo.js?company_id=NW1234')}"></script>
<script type="text/plain" data-category="marketing">window.__tags.push('tiktok-init');</script>
<script type="text/plain" data-category="marketing" src="${tag(TAG_HOSTS.tiktok, '/i18n/pixel/events.js')}"></script>
<script type="text/plain" data-category="preferences">window.__tags.push('currency-memory');</script>
${options.forms ? `<script src="${this.reclaimUrl}/v1/consent/forms.js" data-key="${key}"></script>` : ''}
</head><body>
<header><p>Northwind Outfitters</p></header>
<main><h1>Waxed canvas jacket</h1><p>Hand-finished in Leeds. 189.00 GBP.</p>${options.body ?? ''}</main>
</body></html>`;
    this.pages.set(path, html);
    return `${this.shopUrl}${path}`;
  }

  /** Requests that reached one of the partners' tag hosts. */
  tagRequests(): string[] {
    return Object.values(TAG_HOSTS).flatMap((host) => this.requests.get(host) ?? []);
  }

  /**
   * A fresh browser profile whose requests to Reclaim carry the visitor's location in the trusted geo
   * headers, as the CDN in front of Reclaim would add them (so the page itself never sends them).
   */
  async visitor(
    country: string,
    region?: string,
    init?: string,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext();
    const geo = { 'x-test-country': country, ...(region ? { 'x-test-region': region } : {}) };
    await context.route(`${this.reclaimUrl}/**`, (route) =>
      route.continue({ headers: { ...route.request().headers(), ...geo } }),
    );
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    // A script error or the banner's own console errors show in the test's output.
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`[page console] ${message.text()}`);
    });
    return { context, page };
  }

  async admin(path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`http://127.0.0.1:${this.reclaimPort}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    return { status: res.status, body: await res.json() };
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.t.app.close();
    await new Promise((resolve) => this.site.close(resolve));
    await this.store.close();
  }
}

const TAG_SCRIPTS = new Map([
  ['/gtag/js', "window.__tags.push('google-analytics');"],
  ['/onsite/js/klaviyo.js', "window.__tags.push('klaviyo');"],
  ['/i18n/pixel/events.js', "window.__tags.push('tiktok');"],
]);

function serveSite(
  req: IncomingMessage,
  res: ServerResponse,
  pages: Map<string, string>,
  requests: Map<string, string[]>,
): void {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  requests.set(host, [...(requests.get(host) ?? []), req.url ?? '']);
  const path = (req.url ?? '/').split('?')[0]!;
  if (host === SHOP_HOST && pages.has(path)) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages.get(path));
    return;
  }
  const tag = Object.values(TAG_HOSTS).includes(host as never) ? TAG_SCRIPTS.get(path) : undefined;
  if (tag) {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(tag);
    return;
  }
  res.writeHead(404).end();
}
