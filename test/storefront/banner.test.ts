import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artefactPath } from '../support/browser.ts';
import { StorefrontFixture, TAG_HOSTS } from '../support/storefront.ts';

const TIMEOUT = 60_000;

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
      await expect.poll(() => dialog(page).isVisible(), { timeout: TIMEOUT }).toBe(true);
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
});

declare global {
  interface Window {
    __shopifyCalls?: Record<string, boolean>[];
  }
}
void TAG_HOSTS;
