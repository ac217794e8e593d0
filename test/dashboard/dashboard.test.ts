import { AxeBuilder } from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanRepository } from '../../src/scanner/scan-repository.ts';
import { BannerCounts } from '../../src/storefront/banner-counts.ts';
import { artefactPath, launchChromium } from '../support/browser.ts';
import {
  DASHBOARD_TOKEN,
  ensureDashboardBuilt,
  startDemoServer,
  type DemoServer,
} from '../support/dashboard-server.ts';

const bearer = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
const TIMEOUT = 60_000;

describe('the dashboard in Chromium, on a server loaded by the demo', () => {
  let server: DemoServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(url + path, { ...init, headers: { ...bearer, ...init.headers } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  /** No serious or critical axe-core violation on the page as it is now. */
  const expectAccessible = async (name: string) => {
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(
      serious.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);
  };

  const open = async (id: string, title: string) => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title }).click();
    await page.waitForURL(`**/#/${id}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  };

  beforeAll(async () => {
    ensureDashboardBuilt();
    server = await startDemoServer({ shoppers: 120, days: 7 });
    url = server.running.url;
    await seedBannerAndScan(server);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong token and signs in with the right one', async () => {
    await page.goto(url + '/');
    await page.getByLabel('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the admin token');
    await expectAccessible('sign-in');
    await page.screenshot({ path: artefactPath('dashboard-sign-in.png') });

    await page.getByLabel('Admin token').fill(DASHBOARD_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'reclaim_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('shows the overview with exactly the figures of GET /admin/v1/reports/gap', async () => {
    const report = page.getByTestId('gap-report');
    await report.waitFor();
    const from = await report.getAttribute('data-from');
    const to = await report.getAttribute('data-to');
    const gap = await api<{
      total: {
        abandoned: number;
        klaviyoLikelySaw: number;
        recovered: number;
        lost: number;
        revenue: { orders: number };
      };
      byStage: Record<string, { abandoned: number; lost: number }>;
    }>(`/admin/v1/reports/gap?from=${encodeURIComponent(from!)}&to=${encodeURIComponent(to!)}`);
    expect(gap.total.abandoned).toBeGreaterThan(0);
    const figure = async (id: string) =>
      Number((await page.getByTestId(id).textContent())!.replaceAll(',', ''));
    expect(await figure('fig-abandoned')).toBe(gap.total.abandoned);
    expect(await figure('fig-klaviyo')).toBe(gap.total.klaviyoLikelySaw);
    expect(await figure('fig-recovered')).toBe(gap.total.recovered);
    expect(await figure('fig-lost')).toBe(gap.total.lost);
    const stageRows = page.getByTestId('by-stage').locator('tbody tr');
    for (const [stage, tally] of Object.entries(gap.byStage)) {
      const row = stageRows.filter({ hasText: new RegExp(`^${stage}`, 'i') });
      const cells = await row.locator('td').allTextContents();
      expect(Number(cells[0]!.replaceAll(',', ''))).toBe(tally.abandoned);
      expect(Number(cells[3]!.replaceAll(',', ''))).toBe(tally.lost);
    }
    await page.locator('.chart canvas').first().waitFor();
    await expectAccessible('overview');
    await page.screenshot({ path: artefactPath('dashboard-overview.png'), fullPage: true });

    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await expect.poll(() => page.getByTestId('gap-report').getAttribute('data-from')).not.toBe(from);
  });

  it('shows a pixel event sent while the page is open, its identifiers masked', async () => {
    await open('live', 'Live events');
    const email = 'live.viewer@example.com';
    const res = await fetch(`${url}/v1/pixel`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'cf-ipcountry': 'US', 'cf-region-code': 'NY' },
      body: JSON.stringify({
        events: [
          {
            id: 'dashboard-live-1',
            name: 'page_viewed',
            timestamp: new Date().toISOString(),
            clientId: 'dashboard-client-123456',
            context: { document: { location: { href: 'https://northwind.example/products/scarf' } } },
            data: {},
          },
        ],
        customerPrivacy: {
          analyticsProcessingAllowed: true,
          marketingAllowed: true,
          preferencesProcessingAllowed: true,
          saleOfDataAllowed: true,
        },
        init: {
          data: {
            customer: { id: '990001', email },
            shop: { myshopifyDomain: 'northwind-demo.myshopify.com' },
          },
        },
      }),
    });
    expect(res.status).toBe(200);
    await fetch(`${url}/v1/pixel`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{' });

    const events = page.getByTestId('live-events');
    await events.getByText('dashboard-client-123456').or(events.getByText('dash***')).first().waitFor();
    const row = events.locator('tr', { hasText: 'li***@example.com' }).first();
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('Tracked');
    expect(await events.textContent()).not.toContain(email);
    await page.getByTestId('live-refused').getByText('RECLAIM_ERR_MALFORMED_JSON').first().waitFor();
    await page.getByLabel('Show identifiers in clear').check();
    await events.getByText(email).first().waitFor();
    await expectAccessible('live');
    await page.screenshot({ path: artefactPath('dashboard-live.png'), fullPage: true });
  });

  it('retries a dead letter from the deliveries page', async () => {
    const delivered = await server.running.store.db
      .selectFrom('deliveries')
      .select('id')
      .where('status', '=', 'delivered')
      .where('destination', '=', 'klaviyo')
      .executeTakeFirstOrThrow();
    // A partner's permanent refusal, as the delivery loop records it.
    await server.running.store.db
      .updateTable('deliveries')
      .set({
        status: 'dead',
        last_error_json: JSON.stringify({
          kind: 'invalid',
          status: 400,
          message: 'Klaviyo refused the payload',
        }),
      })
      .where('id', '=', delivered.id)
      .execute();
    await open('deliveries', 'Triggers & deliveries');
    const row = page.getByTestId('dead-letters').locator(`tr[data-delivery="${delivered.id}"]`);
    await row.getByText('Klaviyo refused the payload').waitFor();
    await page.getByTestId('triggers').waitFor();
    await expectAccessible('deliveries');
    await page.screenshot({ path: artefactPath('dashboard-deliveries.png'), fullPage: true });
    await row.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Delivery ${delivered.id} queued again.` })
      .waitFor();
    await row.waitFor({ state: 'detached' });
    const after = await api<{ deliveries: { id: string; status: string }[] }>(
      `/admin/v1/deliveries?status=dead`,
    );
    expect(after.deliveries.map((d) => d.id)).not.toContain(delivered.id);
  }, 120_000);

  it('shows each destination’s rate, 429s and refusals, and accuracy against orders, as the API gives them', async () => {
    const count = (n: number) => n.toLocaleString('en');
    const settled = async () =>
      (await api<{ deliveries: unknown[] }>('/admin/v1/deliveries?status=pending')).deliveries.length === 0;
    for (let i = 0; i < 600 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await settled()).toBe(true);
    const { destinations } = await api<{ destinations: any[] }>('/admin/v1/destinations');
    await open('deliveries', 'Triggers & deliveries');
    await page.reload();
    await page.getByTestId('accuracy').waitFor();
    expect(destinations.map((d) => d.destination).sort()).toEqual(['ga4', 'klaviyo', 'meta']);
    expect(destinations.find((d) => d.destination === 'meta').deliveries.delivered).toBeGreaterThan(0);
    for (const d of destinations) {
      const row = page.getByTestId('destinations').locator(`tr[data-destination="${d.destination}"]`);
      const cell = (id: string) => row.getByTestId(id).innerText();
      expect(await cell('rate')).toBe(d.lastHour.deliveredPerMinute.toLocaleString('en'));
      expect(await cell('throttled')).toBe(
        `${count(d.lastHour.throttled)} / ${count(d.last24Hours.throttled)}`,
      );
      expect(await cell('client-errors')).toBe(
        `${count(d.lastHour.clientErrors)} / ${count(d.last24Hours.clientErrors)}`,
      );
      for (const status of ['pending', 'dead', 'delivered', 'skipped'])
        expect(await cell(status)).toBe(count(d.deliveries[status] ?? 0));
    }

    const section = page.getByTestId('accuracy');
    const from = await section.getAttribute('data-from');
    const to = await section.getAttribute('data-to');
    const report = await api<any>(`/admin/v1/reports/accuracy?from=${from}&to=${to}&limit=25`);
    expect(report.orders.seen).toBeGreaterThan(0);
    expect(report.destinations.map((d: any) => [d.destination, d.enabled])).toEqual([
      ['meta', true],
      ['ga4', true],
    ]);
    expect(await page.getByTestId('orders-seen').innerText()).toBe(count(report.orders.seen));
    for (const d of report.destinations) {
      expect(await page.getByTestId(`accuracy-${d.destination}`).innerText()).toBe(`${d.accuracy} %`);
      for (const [reason, n] of Object.entries(d.reasons))
        expect(
          await page
            .getByTestId('accuracy-reasons')
            .locator(`tr[data-reason="${reason}"] td[data-destination="${d.destination}"]`)
            .innerText(),
        ).toBe(count(n as number));
    }
    expect(report.missing.total).toBeGreaterThan(0);
    expect(await page.getByTestId('missing-range').innerText()).toBe(
      `1–${count(report.missing.orders.length)} of ${count(report.missing.total)}`,
    );
    expect(await page.getByTestId('missing-orders').locator('tbody tr').count()).toBe(
      report.missing.orders.length,
    );
    await expectAccessible('deliveries accuracy');
    await page.screenshot({ path: artefactPath('dashboard-deliveries-accuracy.png'), fullPage: true });
  }, 120_000);

  it('finds a shopper, says why they were emailed, and erases them after a confirmation', async () => {
    const { triggers } = await api<{
      triggers: { id: string; email: { recipient: string | null; allowed: boolean } }[];
    }>('/admin/v1/triggers?limit=500');
    const sent = triggers.find((t) => t.email.allowed && t.email.recipient);
    expect(sent).toBeDefined();
    const email = sent!.email.recipient!;
    await open('shoppers', 'Shoppers');
    await page.getByRole('textbox', { name: 'Identifier' }).fill(email);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByTestId('profile').getByText(email).first().waitFor();
    await page.getByRole('button', { name: 'Why was this sent?' }).first().click();
    const why = page.getByTestId('why').first();
    await why.waitFor();
    expect(await why.textContent()).toMatch(/Email: allowed to .+ on the basis of/);
    expect(await why.textContent()).toMatch(/\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC/);
    await expectAccessible('shoppers');
    await page.screenshot({ path: artefactPath('dashboard-shopper.png'), fullPage: true });

    await page.getByRole('button', { name: 'Erase this shopper…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase this shopper?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const stillThere = await fetch(`${url}/admin/v1/profiles/lookup?email=${encodeURIComponent(email)}`, {
      headers: bearer,
    });
    expect(stillThere.status).toBe(200);

    await page.getByRole('button', { name: 'Erase this shopper…' }).click();
    await dialog.getByRole('button', { name: 'Erase everywhere' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /erased|accepted/i })
      .waitFor();
    await expect
      .poll(
        async () =>
          (
            await fetch(`${url}/admin/v1/profiles/lookup?email=${encodeURIComponent(email)}`, {
              headers: bearer,
            })
          ).status,
        {
          timeout: TIMEOUT,
        },
      )
      .toBe(404);
  });

  it('lists the consent ledger and exports the same records as CSV', async () => {
    await open('consent', 'Consent');
    await page.getByTestId('ledger').waitFor();
    await page.getByTestId('verification').getByText('Intact').waitFor();
    const eu = page.getByRole('row', { name: /^EU / });
    await eu.waitFor();
    // Shown, decided, accept all, reject all, custom: the seeded banner counts of yesterday.
    expect(await eu.locator('td').allTextContents()).toEqual(['4', '3', '1', '1', '1']);
    await page.locator('.chart canvas').first().waitFor();
    await expectAccessible('consent');
    await page.screenshot({ path: artefactPath('dashboard-consent.png'), fullPage: true });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8');
    const fromApi = await (
      await fetch(`${url}/admin/v1/consent/records`, { headers: { ...bearer, accept: 'text/csv' } })
    ).text();
    expect(csv).toBe(fromApi);
    expect(csv.split('\r\n')[0]).toMatch(/^position,recordId,occurredAt/);
    expect(csv.trim().split('\r\n').length).toBeGreaterThan(1);
  });

  it('shows scans and setup pages with what exists', async () => {
    await open('scans', 'Scans');
    await page.getByText(/^Latest scan/).waitFor();
    await page.getByText('1 violation', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'New since the scan before' }).waitFor();
    await page.getByRole('cell', { name: '_fbp' }).first().waitFor();
    await expectAccessible('scans');
    await page.screenshot({ path: artefactPath('dashboard-scans.png'), fullPage: true });
    await open('setup', 'Setup');
    await page.getByTestId('setup-klaviyo').getByText('Key works').waitFor();
    await page.getByTestId('setup-shopify').waitFor();
    await page.getByTestId('setup-conversions').waitFor();
    await expectAccessible('setup');
    await page.screenshot({ path: artefactPath('dashboard-setup.png'), fullPage: true });
  });

  it('signs out: the page asks for the token again and the cookie no longer works', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'reclaim_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    const res = await fetch(`${url}/admin/v1/reports/gap`, {
      headers: { cookie: `reclaim_session=${cookie.value}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'RECLAIM_ERR_SESSION_EXPIRED',
    );
  });
});

/** Yesterday's banner figures for EU visitors, and one scheduled scan that found Meta's cookie before consent. */
async function seedBannerAndScan(server: DemoServer): Promise<void> {
  const yesterday = Date.now() - 86_400_000;
  const counts = new BannerCounts(server.running.store.db);
  for (let i = 0; i < 4; i++) counts.impression(yesterday, 'EU');
  counts.decision(yesterday, 'EU', 'acceptAll');
  counts.decision(yesterday, 'EU', 'rejectAll');
  counts.decision(yesterday, 'EU', 'custom');
  await counts.flush();
  const pixel = {
    state: 'before' as const,
    kind: 'cookie' as const,
    name: '_fbp',
    host: 'shop.example',
    vendor: 'Meta',
    category: 'marketing' as const,
  };
  const empty = { cookies: [], storage: [], requests: [] };
  await new ScanRepository(server.running.store).insert({
    startedAt: yesterday,
    finishedAt: yesterday + 30_000,
    region: 'DE',
    urls: ['https://shop.example/'],
    violations: 1,
    results: [
      {
        url: 'https://shop.example/',
        region: 'DE',
        regime: 'EU',
        pages: ['https://shop.example/'],
        states: { before: empty, reject: empty, accept: empty },
        violations: [{ ...pixel, rule: 'T-EU', evidence: 'https://connect.facebook.net/en_US/fbevents.js' }],
        errors: [],
      },
    ],
    changes: { added: [pixel], removed: [] },
  });
}
