import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artefactPath } from '../support/browser.ts';
import { StorefrontFixture } from '../support/storefront.ts';

const TIMEOUT = 120_000;
const WAIT = { timeout: 30_000 };

interface LedgerRecord {
  permission: string;
  action: string;
  capture: { source: string; pageUrl?: string; formId?: string };
  wording: { id?: string; text?: string; initialState?: string };
  occurredAt: unknown;
}

/** Every consent record of the profile a lookup finds, from the admin API. */
async function records(f: StorefrontFixture, query: string): Promise<LedgerRecord[]> {
  await f.t.engine.processor.drain();
  const res = await f.admin(`/admin/v1/profiles/lookup?${query}`);
  if (res.status !== 200) return [];
  const text = JSON.stringify(res.body);
  const found: LedgerRecord[] = [];
  // The consents section lists ledger records; pick them out wherever the profile view nests them.
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const record = value as Partial<LedgerRecord>;
      if (typeof record.permission === 'string' && record.capture && record.wording)
        found.push(record as LedgerRecord);
      else Object.values(value).forEach(walk);
    }
  };
  walk(JSON.parse(text));
  return found;
}

describe('email and SMS opt-in forms in Chromium', () => {
  let f: StorefrontFixture;
  beforeAll(async () => {
    f = await StorefrontFixture.start({ RECLAIM_STORE_COUNTRY: 'US' });
  }, TIMEOUT);
  afterAll(async () => {
    await f?.close();
  });

  it(
    'each box starts unticked; each submission records the PEWC proof for its own channel only',
    async () => {
      const url = f.page('/pages/newsletter', {
        forms: true,
        body: '<section><h2>Newsletter</h2><div data-reclaim-form="email" data-form-id="footer-newsletter"></div></section><section><h2>Texts</h2><div data-reclaim-form="sms" data-form-id="sms-club"></div></section>',
      });
      const { context, page } = await f.visitor('US', 'US-TX');
      await page.goto(url);
      const emailBox = page.getByRole('checkbox', { name: /Email me news and offers/ });
      const smsBox = page.getByRole('checkbox', { name: /Text me marketing messages/ });
      await expect.poll(() => emailBox.isVisible(), WAIT).toBe(true);
      expect(await emailBox.isChecked()).toBe(false);
      expect(await smsBox.isChecked()).toBe(false);
      const axe = await new AxeBuilder({ page }).include('.reclaim-optin').analyze();
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

      await page.getByLabel('Email address').fill('ana.lopez@example.org');
      await emailBox.check();
      await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
      await expect.poll(() => page.getByText('Thank you, you are subscribed.').count(), WAIT).toBe(1);

      await page.getByLabel('Mobile number').fill('(512) 555-0147');
      await page.getByRole('button', { name: 'Subscribe to texts' }).click();
      // Without the box ticked the browser refuses to submit: nothing is recorded.
      expect(await page.getByText('Thank you, you are subscribed.').count()).toBe(1);
      await smsBox.check();
      await page.getByRole('button', { name: 'Subscribe to texts' }).click();
      await expect.poll(() => page.getByText('Thank you, you are subscribed.').count(), WAIT).toBe(2);
      await page.screenshot({ path: artefactPath('optin-forms.png'), fullPage: true });

      // The forms write nothing to the visitor's browser and do not imply tracking.
      expect((await context.cookies()).map((c) => c.name)).toEqual([]);

      const email = await records(f, 'email=ana.lopez%40example.org');
      expect(email.map((r) => r.permission)).toEqual(['email_marketing']);
      expect(email[0]).toMatchObject({
        action: 'grant',
        capture: {
          source: 'reclaim-form',
          pageUrl: `${f.shopUrl}/pages/newsletter`,
          formId: 'footer-newsletter',
        },
        wording: {
          id: 'email-form-1',
          text: 'Email me news and offers. You can unsubscribe at any time.',
          initialState: 'unchecked',
        },
      });

      // Found by the E.164 number the visitor typed as (512) 555-0147: the record names the number.
      const sms = await records(f, 'phone=%2B15125550147');
      expect(sms.map((r) => r.permission)).toEqual(['sms_marketing']);
      expect(sms[0]).toMatchObject({
        action: 'grant',
        capture: { source: 'reclaim-form', formId: 'sms-club', pageUrl: `${f.shopUrl}/pages/newsletter` },
        wording: { id: 'sms-form-1', initialState: 'unchecked' },
      });
      expect(sms[0]!.wording.text).toContain('Consent is not a condition of purchase');
      await context.close();
    },
    TIMEOUT,
  );
});
