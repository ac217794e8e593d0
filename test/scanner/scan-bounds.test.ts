import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanUrl } from '../../src/scanner/scanner.ts';
import { launchChromium } from '../support/browser.ts';
import {
  FIXTURE_BROWSER_ARGS,
  FIXTURE_HOSTS,
  startFixtureServer,
  type FixtureServer,
} from './fixture-server.ts';

const SHOP = 'www.northwind-outfitters.com';
const GEO = { country: 'cf-ipcountry', region: 'cf-region-code' };

let server: FixtureServer;
let browser: Browser;

beforeAll(async () => {
  server = await startFixtureServer();
  browser = await launchChromium({ hosts: FIXTURE_HOSTS, args: FIXTURE_BROWSER_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('scan bounds', () => {
  it('follows same-origin links up to --pages, once each, never to another site', async () => {
    const result = await scanUrl(browser, server.url(SHOP, '/index.html'), {
      region: 'DE',
      pages: 3,
      geoHeaders: GEO,
    });
    expect(result.errors).toEqual([]);
    expect(result.pages).toEqual([
      server.url(SHOP, '/index.html'),
      server.url(SHOP, '/held.html'),
      server.url(SHOP, '/cart.html'),
    ]);
    // cart.html's Set-Cookie and held.html's banner cookie are merged into the one result.
    expect(result.states.before.cookies.map((c) => c.name)).toEqual(
      expect.arrayContaining(['cart', 'localization']),
    );
    expect(result.violations).toEqual([]);
  }, 300_000);

  it('goes on with what it saw when the network never settles, and says so', async () => {
    const result = await scanUrl(browser, server.url(SHOP, '/busy.html'), {
      region: 'DE',
      geoHeaders: GEO,
      timeouts: { navigation: 60_000, settle: 2_000, quiet: 500 },
    });
    expect(result.errors).toEqual([]);
    expect(result.notes).toEqual(
      expect.arrayContaining([
        `before: ${server.url(SHOP, '/busy.html')}: the network was still busy after 2s`,
      ]),
    );
  }, 300_000);

  it('reports a page that never finishes loading as an error line instead of waiting for it', async () => {
    const url = server.url(SHOP, '/__hang');
    const result = await scanUrl(browser, url, {
      region: 'DE',
      geoHeaders: GEO,
      timeouts: { navigation: 2_000, settle: 2_000, quiet: 500 },
    });
    expect(result.errors).toEqual([`before: ${url}: the page did not finish loading in time`]);
    expect(result.violations).toEqual([]);
  }, 300_000);
});
