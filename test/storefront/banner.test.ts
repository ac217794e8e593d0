import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artefactPath } from '../support/browser.ts';
import { StorefrontFixture } from '../support/storefront.ts';

const TIMEOUT = 120_000;
/** How long a wait for the page may take before the assertion fails with what it saw. */
const WAIT = { timeout: 30_000 };

/** Consent Mode commands the page's dataLayer holds, as plain arrays. */
const consentCommands = (page: Page) =>
  page.evaluate(() =>
    (window.dataLayer ?? [])
      .map((entry) => Array.from(entry as ArrayLike<unknown>))
      .filter((args) => args[0] === 'consent'),
  );
const tags = (page: Page) => page.evaluate(() => (window as unknown as { __tags: string[] }).__tags);
const consentApi = (page: Page) =>
  page.evaluate(() => (window.Reclaim?.consent as { get(): unknown } | undefined)?.get() ?? null);
const dialog = (page: Page) => page.getByRole('dialog', { name: 'Your privacy choices' });
/** Waits out the banner's fade-in: axe judges colours as painted, and mid-fade text has no contrast yet. */
const settled = (page: Page) =>
  page.waitForFunction(
    () => document.getAnimations().every((a) => a.playState !== 'running'),
    undefined,
    WAIT,
  );

/** What the visitor's browser holds that a tracker could use: cookies and storage. */
async function stored(page: Page): Promise<{ cookies: string[]; storage: string[] }> {
  const cookies = (await page.context().cookies()).map((c) => c.name);
  const storage = await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]);
  return { cookies, storage };
}

async function ledgerFor(f: StorefrontFixture, anonymousId: string): Promise<unknown> {
  await f.t.engine.processor.drain();
  const res = await f.admin(`/admin/v1/profiles/lookup?anonymous_id=${encodeURIComponent(anonymousId)}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('consent banner in Chromium', () => {
  let f: StorefrontFixture;
  beforeAll(async () => {
    f = await StorefrontFixture.start();
  }, TIMEOUT);
  afterAll(async () => {
    await f?.close();
  });

  it(
    'in an opt-in regime asks first, runs nothing held, and Reject all keeps it so across reloads',
    async () => {
      const url = f.page('/products/jacket', { shopify: true });
      const { context, page } = await f.visitor('DE');
      const before = f.tagRequests().length;
      await page.goto(url);
      await expect.poll(() => dialog(page).isVisible(), WAIT).toBe(true);
      await page.screenshot({ path: artefactPath('banner-eu-before.png') });
      expect(await tags(page)).toEqual([]);
      expect(f.tagRequests().length).toBe(before);
      expect(await stored(page)).toEqual({ cookies: [], storage: [] });
      expect(await consentApi(page)).toBeNull();
      const [first] = await consentCommands(page);
      expect(first).toEqual([
        'consent',
        'default',
        expect.objectContaining({
          ad_storage: 'denied',
          analytics_storage: 'denied',
          ad_user_data: 'denied',
          ad_personalization: 'denied',
          wait_for_update: 500,
        }),
      ]);

      const reject = page.getByRole('button', { name: 'Reject all' });
      const accept = page.getByRole('button', { name: 'Accept all' });
      const [rejectBox, acceptBox] = [await reject.boundingBox(), await accept.boundingBox()];
      expect(rejectBox!.width * rejectBox!.height).toBeGreaterThanOrEqual(
        0.9 * acceptBox!.width * acceptBox!.height,
      );
      await reject.click();
      await expect.poll(() => dialog(page).isVisible()).toBe(false);
      await expect.poll(() => page.evaluate(() => window.__shopifyCalls?.length ?? 0)).toBe(1);
      expect(await page.evaluate(() => window.__shopifyCalls)).toEqual([
        { analytics: false, marketing: false, preferences: false, sale_of_data: false },
      ]);
      expect((await consentCommands(page)).at(-1)).toEqual([
        'consent',
        'update',
        expect.objectContaining({ ad_storage: 'denied', analytics_storage: 'denied' }),
      ]);
      const decision = (await consentApi(page)) as Record<string, unknown>;
      expect(decision).toMatchObject({
        analytics: false,
        marketing: false,
        preferences: false,
        saleOfData: false,
        regime: 'EU',
        revision: 1,
      });

      await page.reload();
      await expect.poll(() => consentApi(page)).not.toBeNull();
      expect(await dialog(page).isVisible()).toBe(false);
      expect(await tags(page)).toEqual([]);
      expect(f.tagRequests().length).toBe(before);
      await context.close();
    },
    TIMEOUT,
  );

  it(
    'Accept all runs the held tags in document order, tells Google and Shopify, and lands in the ledger',
    async () => {
      const url = f.page('/collections/outerwear', { shopify: true });
      const { context, page } = await f.visitor('FR');
      await page.goto(url);
      await expect.poll(() => dialog(page).isVisible(), WAIT).toBe(true);
      expect(await tags(page)).toEqual([]);
      await page.getByRole('button', { name: 'Accept all' }).click();
      await expect
        .poll(() => tags(page), WAIT)
        .toEqual(['google-analytics', 'klaviyo', 'tiktok-init', 'tiktok', 'currency-memory']);
      expect((await consentCommands(page)).at(-1)).toEqual([
        'consent',
        'update',
        {
          ad_storage: 'granted',
          analytics_storage: 'granted',
          ad_user_data: 'granted',
          ad_personalization: 'granted',
          functionality_storage: 'granted',
          personalization_storage: 'granted',
          security_storage: 'granted',
        },
      ]);
      await expect
        .poll(() => page.evaluate(() => window.__shopifyCalls))
        .toEqual([{ analytics: true, marketing: true, preferences: true, sale_of_data: true }]);
      const id = await consentId(page);
      await expect.poll(async () => JSON.stringify(await ledgerFor(f, id)), WAIT).toContain('reclaim-banner');
      const profile = JSON.stringify(await ledgerFor(f, id));
      expect(profile).toContain('"regime":"EU"');
      expect(profile).toContain('reclaim-banner-r1-en');

      // A later page repeats the update early: Consent Mode does not remember choices.
      await page.reload();
      await expect.poll(() => tags(page), WAIT).toHaveLength(5);
      const commands = await consentCommands(page);
      expect(commands.map((c) => c[1])).toEqual(['default', 'update']);
      expect(await dialog(page).isVisible()).toBe(false);
      await context.close();
    },
    TIMEOUT,
  );

  it(
    'takes over a decision Shopify already holds, and follows one made elsewhere later',
    async () => {
      const url = f.page('/pages/about', {
        shopify: true,
        shopifyConsent: { analytics: 'yes', marketing: 'no', preferences: 'yes', sale_of_data: 'no' },
      });
      const { context, page } = await f.visitor('IT');
      await page.goto(url);
      await expect
        .poll(() => consentApi(page), WAIT)
        .toMatchObject({
          analytics: true,
          marketing: false,
          preferences: true,
        });
      expect(await dialog(page).isVisible()).toBe(false);
      await expect.poll(() => tags(page)).toEqual(['google-analytics', 'currency-memory']);
      expect(await page.evaluate(() => window.__shopifyCalls)).toEqual([]);

      await page.evaluate(() =>
        document.dispatchEvent(
          new CustomEvent('visitorConsentCollected', {
            detail: {
              analyticsAllowed: false,
              marketingAllowed: false,
              preferencesAllowed: false,
              saleOfDataAllowed: false,
            },
          }),
        ),
      );
      await expect.poll(() => consentApi(page)).toMatchObject({ analytics: false, preferences: false });
      expect((await consentCommands(page)).at(-1)).toEqual([
        'consent',
        'update',
        expect.objectContaining({ analytics_storage: 'denied' }),
      ]);
      await context.close();
    },
    TIMEOUT,
  );

  it(
    'US: a notice with Do not sell or share; tags run by default and the choice turns marketing off',
    async () => {
      const url = f.page('/products/boots', { shopify: true });
      const { context, page } = await f.visitor('US', 'US-CA');
      await page.goto(url);
      await expect.poll(() => dialog(page).isVisible(), WAIT).toBe(true);
      await expect.poll(() => tags(page), WAIT).toHaveLength(5);
      expect(await consentApi(page)).toBeNull();
      expect((await consentCommands(page)).at(-1)).toEqual([
        'consent',
        'update',
        expect.objectContaining({ ad_storage: 'granted', analytics_storage: 'granted' }),
      ]);
      await page.screenshot({ path: artefactPath('banner-us-notice.png') });
      await page.getByRole('button', { name: 'Do not sell or share my personal information' }).click();
      await expect
        .poll(() => consentApi(page))
        .toMatchObject({
          analytics: true,
          marketing: false,
          saleOfData: false,
          regime: 'US',
        });
      expect((await consentCommands(page)).at(-1)).toEqual([
        'consent',
        'update',
        expect.objectContaining({
          ad_storage: 'denied',
          ad_user_data: 'denied',
          analytics_storage: 'granted',
        }),
      ]);
      await expect
        .poll(() => page.evaluate(() => window.__shopifyCalls))
        .toEqual([{ analytics: true, marketing: false, preferences: true, sale_of_data: false }]);
      await page.reload();
      await expect.poll(() => tags(page), WAIT).toEqual(['google-analytics', 'currency-memory']);
      await context.close();
    },
    TIMEOUT,
  );

  it(
    'GPC: in the US it opts out without asking; in the EU the banner still asks and the record keeps gpc',
    async () => {
      const gpcOn =
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });";
      const url = f.page('/products/scarf');
      const us = await f.visitor('US', 'US-CO', gpcOn);
      await us.page.goto(url);
      await expect.poll(() => tags(us.page), WAIT).toEqual(['google-analytics', 'currency-memory']);
      expect(await dialog(us.page).isVisible()).toBe(false);
      expect((await consentCommands(us.page)).at(-1)).toEqual([
        'consent',
        'update',
        expect.objectContaining({ ad_storage: 'denied', analytics_storage: 'granted' }),
      ]);
      expect(await stored(us.page)).toEqual({ cookies: [], storage: [] });
      await us.context.close();

      const eu = await f.visitor('NL', undefined, gpcOn);
      await eu.page.goto(url);
      await expect.poll(() => dialog(eu.page).isVisible(), WAIT).toBe(true);
      expect(await tags(eu.page)).toEqual([]);
      await eu.page.getByRole('button', { name: 'Accept all' }).click();
      await expect.poll(() => tags(eu.page), WAIT).toHaveLength(5);
      const id = await consentId(eu.page);
      await expect.poll(async () => JSON.stringify(await ledgerFor(f, id)), WAIT).toContain('"gpc":true');
      await eu.context.close();
    },
    TIMEOUT,
  );

  it(
    'is usable from the keyboard alone and axe finds no serious violation',
    async () => {
      const url = f.page('/', {});
      const { context, page } = await f.visitor('GB');
      await page.goto(url);
      await expect.poll(() => dialog(page).isVisible(), WAIT).toBe(true);
      await settled(page);
      const results = await new AxeBuilder({ page }).include('#cc-main').analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

      // Focus moves into the dialog; Tab reaches Reject all; Enter decides.
      const names: string[] = [];
      for (let i = 0; i < 6 && !names.includes('Reject all'); i++) {
        await page.keyboard.press('Tab');
        names.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
      }
      expect(names).toContain('Reject all');
      await page.screenshot({ path: artefactPath('banner-keyboard-focus.png') });
      await page.keyboard.press('Enter');
      await expect.poll(() => consentApi(page)).toMatchObject({ analytics: false, regime: 'UK' });

      // The preferences dialog, opened again later from the page's own link, is keyboard-usable too.
      await page.evaluate(() => (window.Reclaim?.consent as { show(): void }).show());
      await page.getByRole('button', { name: 'Preferences' }).press('Enter');
      const prefs = page.getByRole('dialog', { name: 'Your privacy choices' }).last();
      await expect.poll(() => prefs.isVisible()).toBe(true);
      await settled(page);
      const prefsAxe = await new AxeBuilder({ page }).include('#cc-main').analyze();
      expect(prefsAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual(
        [],
      );
      await page.screenshot({ path: artefactPath('banner-preferences.png') });
      await context.close();
    },
    TIMEOUT,
  );

  it(
    'fails closed when Reclaim cannot be reached, and says so in the console',
    async () => {
      const url = f.page('/blog', { key: 'pk_not_configured' });
      const { context, page } = await f.visitor('DE');
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url);
      await expect.poll(() => errors.some((e) => e.includes('every held tag stays held')), WAIT).toBe(true);
      expect(await tags(page)).toEqual([]);
      expect(await consentApi(page)).toBeNull();
      expect(await dialog(page).count()).toBe(0);
      await context.close();
    },
    TIMEOUT,
  );
});

describe('consent banner revision', () => {
  let first: StorefrontFixture;
  let bumped: StorefrontFixture;
  beforeAll(async () => {
    first = await StorefrontFixture.start();
    bumped = await StorefrontFixture.start({ RECLAIM_CONSENT_REVISION: '2' });
  }, TIMEOUT);
  afterAll(async () => {
    await first?.close();
    await bumped?.close();
  });

  it(
    'asks again after the store bumps its revision, and holds tags until then',
    async () => {
      const { context, page } = await first.visitor('AT');
      await page.goto(first.page('/'));
      await expect.poll(() => dialog(page).isVisible(), WAIT).toBe(true);
      await page.getByRole('button', { name: 'Accept all' }).click();
      await expect.poll(() => tags(page), WAIT).toHaveLength(5);
      const state = await context.storageState();
      await context.close();

      const later = await bumped.browser.newContext({ storageState: state });
      await later.route(`${bumped.reclaimUrl}/**`, (route) =>
        route.continue({ headers: { ...route.request().headers(), 'x-test-country': 'AT' } }),
      );
      const again = await later.newPage();
      // Same store host: the cookie of the first decision is sent along.
      await again.goto(bumped.page('/').replace(`:${bumped.sitePort}`, `:${bumped.sitePort}`));
      await expect.poll(() => dialog(again).isVisible(), WAIT).toBe(true);
      expect(await tags(again)).toEqual([]);
      expect(await consentApi(again)).toBeNull();
      await again.getByRole('button', { name: 'Accept all' }).click();
      await expect.poll(() => consentApi(again), WAIT).toMatchObject({ revision: 2 });
      await later.close();
    },
    TIMEOUT,
  );
});

/** The consent id the banner's cookie holds: the decision's subject in the ledger. */
async function consentId(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'reclaim_consent');
  expect(cookie).toBeDefined();
  return (JSON.parse(decodeURIComponent(cookie!.value)) as { consentId: string }).consentId;
}

declare global {
  interface Window {
    __shopifyCalls?: Record<string, boolean>[];
  }
}
