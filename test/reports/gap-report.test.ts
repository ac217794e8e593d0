import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replayFile } from '../../src/app/replay/replay.ts';
import { gapReport, type GapReport } from '../../src/reports/gap-report.ts';
import { formatGapReport } from '../../src/reports/gap-report-text.ts';
import { reportPeriod } from '../../src/reports/report-period.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { at, ndjson, pixelLine, webhookLine } from '../support/replay-lines.ts';
import { ADMIN_TOKEN, scenarioEnv } from '../support/shop.ts';

const T0 = Date.UTC(2026, 10, 4, 9);
const DAY = 86_400_000;
const kla = (identified: boolean) =>
  Buffer.from(JSON.stringify({ cid: 'abc', ...(identified ? { $exchange_id: 'KX1.abc' } : {}) })).toString(
    'base64',
  );

/**
 * A day of a US store: shoppers whose abandonments end in different ways, orders after two of the sends,
 * and an EU visitor who refused tracking.
 */
function storeDay() {
  const ann = { id: '7800000000001', email: 'ann@shop.example' };
  const ben = { id: '7800000000002', email: 'ben@shop.example' };
  const ed = { id: '7800000000003', email: 'ed@shop.example' };
  const fay = { id: '7800000000004', email: 'fay@shop.example' };
  const order = (minutes: number, id: string, customer: { id: string; email: string }) =>
    webhookLine(at(T0, minutes), 'orders/create', 'orders_create', (o) => {
      o.id = id;
      o.email = customer.email;
      o.checkout_token = `chk-${id}`;
      o.cart_token = null;
      o.customer = { ...o.customer, id: customer.id, email: customer.email };
      o.processed_at = at(T0, minutes);
      o.created_at = at(T0, minutes);
      o.total_price = '120.00';
      o.currency = 'USD';
    });
  return [
    // Ann: Klaviyo's cookie knows her; she leaves a cart; Klaviyo saw it, Reclaim sends too. She buys next day.
    pixelLine(at(T0, 0), 'ann-phone', 'product_added_to_cart', undefined, {
      customer: ann,
      cart: 'cart-ann',
      region: 'US-NY',
    }),
    // Ben: an ad blocker stops Klaviyo's script; he is logged in; he buys two days after Reclaim's send.
    pixelLine(at(T0, 10), 'ben-laptop', 'product_added_to_cart', undefined, {
      customer: ben,
      cart: 'cart-ben',
      region: 'US-NY',
    }),
    // Cy: an anonymous browser (Klaviyo's cookie set but anonymous) browses and leaves.
    pixelLine(at(T0, 20), 'cy-tablet', 'product_viewed', undefined, { region: 'US-NY' }),
    // Di: refuses tracking in Germany; only counted.
    pixelLine(at(T0, 30), 'di-phone', 'product_viewed', undefined, { country: 'DE', privacy: false }),
    pixelLine(at(T0, 31), 'di-phone', 'page_viewed', undefined, { country: 'DE', privacy: false }),
    // Ed: Klaviyo's cookie in his only browser no longer knows him; Reclaim does (he is logged in).
    pixelLine(at(T0, 50), 'ed-laptop', 'product_added_to_cart', undefined, {
      customer: ed,
      cart: 'cart-ed',
      region: 'US-NY',
    }),
    // Fay: browsed on her phone two days earlier; today Klaviyo's cookie on her laptop is anonymous.
    pixelLine(at(T0, -2 * 24 * 60), 'fay-phone', 'product_viewed', undefined, {
      customer: fay,
      region: 'US-NY',
    }),
    pixelLine(at(T0, 40), 'fay-laptop', 'product_added_to_cart', undefined, {
      customer: fay,
      cart: 'cart-fay',
      region: 'US-NY',
    }),
    order(26 * 60, '9200000000001', ann),
    order(50 * 60, '9200000000002', ben),
    // An order ten days later is outside the attribution window.
    order(10 * 24 * 60, '9200000000003', ben),
  ].map((line) => {
    const cookies = (line.body as { cookies?: Record<string, string> }).cookies;
    if (cookies && line.kind === 'pixel') {
      const client = (line.body as { events: { clientId: string }[] }).events[0]!.clientId;
      if (client === 'ann-phone') cookies.__kla_id = kla(true);
      if (['cy-tablet', 'ed-laptop', 'fay-laptop'].includes(client)) cookies.__kla_id = kla(false);
    }
    return line;
  });
}

describeEachDialect('the gap report', (dialect) => {
  let store: Store;
  let dir: string;
  let klaviyo: KlaviyoStandIn;
  let clock: ManualClock;
  let report: GapReport;
  beforeAll(async () => {
    klaviyo = new KlaviyoStandIn({ clock: () => clock.now() });
    await klaviyo.start();
  });
  afterAll(() => klaviyo.close());
  beforeEach(async () => {
    store = await dialect.open();
    dir = mkdtempSync(join(tmpdir(), 'reclaim-gap-'));
    clock = new ManualClock(T0 - 3 * DAY);
    const file = join(dir, 'day.ndjson');
    writeFileSync(file, ndjson(storeDay()));
    const config = testConfig({
      ...scenarioEnv,
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: klaviyo.url,
    });
    await replayFile({
      file,
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock,
      until: T0 + 12 * DAY,
    });
    report = await gapReport(store.db, {
      from: Date.UTC(2026, 10, 3),
      to: Date.UTC(2026, 10, 5),
      attributionWindow: 5 * DAY,
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every abandonment, whether Klaviyo likely saw it, and why it missed the rest', () => {
    const t = report.total;
    expect(t.abandoned).toBe(5);
    expect(report.byStage.cart.abandoned).toBe(4);
    expect(report.byStage.browse.abandoned).toBe(1);
    expect(t.klaviyoLikelySaw).toBe(1);
    expect(t.klaviyoMissed).toEqual({
      script_blocked: 1,
      cookie_expired: 1,
      other_device: 1,
      no_email_in_checkout: 0,
      anonymous_visitor: 1,
    });
  });

  it('says what Reclaim sent, what it recovered beyond Klaviyo, and what neither reached', async () => {
    const t = report.total;
    expect(t.reclaimSent).toBe(4);
    expect(t.recovered).toBe(3);
    expect(t.notSent.no_contact).toBe(1);
    expect(t.lost).toBe(1);
    const carts = await store.db.selectFrom('triggers').select('id').where('stage', '=', 'cart').execute();
    expect(carts.flatMap(({ id }) => klaviyo.eventsFor(id))).toHaveLength(4);
  });

  it('credits orders inside the attribution window after a send, once each', () => {
    expect(report.total.revenue).toEqual({ orders: 2, byCurrency: { USD: '240.00' } });
    expect(report.total.recoveredRevenue).toEqual({ orders: 1, byCurrency: { USD: '120.00' } });
    expect(report.byStage.cart.revenue.orders).toBe(2);
  });

  it('counts what it may not link to anyone, and reports per day', () => {
    expect(report.untracked).toEqual({ events: 2, byKind: { product_view: 1, page_view: 1 } });
    expect(report.days.map((d) => d.day)).toEqual(['2026-11-03', '2026-11-04']);
    expect(report.days[1]).toMatchObject({ abandoned: 5, reclaimSent: 4 });
    const text = formatGapReport(report);
    expect(text).toMatch(/Klaviyo missed: script blocked\s+0\s+1\s+0\s+1/);
    expect(text).toMatch(/other device\s+0\s+1\s+0\s+1/);
    expect(text).toMatch(/anonymous visitor\s+1\s+0\s+0\s+1/);
  });

  it('answers on the admin API with the same report, and refuses a bad period', async () => {
    const { app } = await buildTestApp(store, testConfig(scenarioEnv));
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const ok = await app.inject({
      url: '/admin/v1/reports/gap?from=2026-11-03&to=2026-11-04',
      headers: auth,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...report, attributionWindowMs: 5 * DAY });
    const bad = await app.inject({ url: '/admin/v1/reports/gap?from=yesterday', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'RECLAIM_ERR_BAD_REQUEST', path: 'from' });
    const backwards = await app.inject({
      url: '/admin/v1/reports/gap?from=2026-11-05&to=2026-11-01',
      headers: auth,
    });
    expect(backwards.json().error.message).toBe('from must be before to');
    const slashed = await app.inject({ url: '/admin/v1/reports/gap?from=01/10/2026', headers: auth });
    expect(slashed.statusCode).toBe(400);
    expect(slashed.json().error).toMatchObject({ code: 'RECLAIM_ERR_BAD_REQUEST', path: 'from' });
    expect((await app.inject({ url: '/admin/v1/reports/gap' })).statusCode).toBe(401);
    await app.close();
  });
});

describe('report periods', () => {
  const now = Date.UTC(2026, 10, 30, 12);
  it('reads dates as whole UTC days and defaults to the last 30 days', () => {
    expect(reportPeriod({ from: '2026-10-01', to: '2026-10-31' }, now)).toEqual({
      ok: true,
      from: Date.UTC(2026, 9, 1),
      to: Date.UTC(2026, 10, 1),
    });
    expect(reportPeriod({}, now)).toEqual({ ok: true, from: now - 30 * DAY, to: now });
    expect(reportPeriod({ to: '2026-11-01T06:00:00Z' }, now)).toMatchObject({ to: Date.UTC(2026, 10, 1, 6) });
  });
  it('refuses what is not a period', () => {
    expect(reportPeriod({ to: 'soon' }, now)).toMatchObject({ ok: false, field: 'to' });
    expect(reportPeriod({ from: '01/10/2026' }, now)).toMatchObject({ ok: false, field: 'from' });
    expect(reportPeriod({ to: '2026-11-01T06:00:00' }, now)).toMatchObject({ ok: false, field: 'to' });
    expect(reportPeriod({ from: '2024-01-01', to: '2026-01-01' }, now)).toMatchObject({
      ok: false,
      field: 'from',
    });
  });
});

describe('reclaim report gap', () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-report-cli-'));
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the report as a table or as JSON, and refuses a bad date', async () => {
    const file = join(dir, 'day.ndjson');
    writeFileSync(file, ndjson(storeDay()));
    process.env.RECLAIM_DATABASE_URL = `sqlite:${join(dir, 'r.sqlite')}`;
    const run = async (...argv: string[]) => {
      const { code, stdout, stderr } = await cli(...argv);
      return { code, out: stdout, err: stderr };
    };
    const replayed = await run('replay', file, '--until', at(T0, 12 * 24 * 60));
    expect(replayed.code).toBe(0);
    // The summary alone on stdout; progress on stderr (plain lines, as stderr is not a terminal here).
    expect(JSON.parse(replayed.out)).toMatchObject({ lines: storeDay().length, rejected: {} });
    expect(replayed.err).toMatch(/^replaying: 100% \([\d,]+\/[\d,]+ requests, [\d,]+\/s, done in \d+s\)$/m);
    const text = await run('report', 'gap', '--from', '2026-11-04', '--to', '2026-11-04');
    expect(text.code).toBe(0);
    expect(text.out).toContain('Gap report 2026-11-04 – 2026-11-04');
    expect(text.out).toMatch(/abandoned\s+1\s+4\s+0\s+5/);
    const json = await run('report', 'gap', '--from', '2026-11-04', '--to', '2026-11-04', '--json');
    expect(JSON.parse(json.out).total.abandoned).toBe(5);
    const bad = await run('report', 'gap', '--from', 'last-week');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--from must be an ISO-8601 date or time');
    // Read as 10 January by Date.parse; refused, naming the option and the format.
    const slashed = await run('report', 'gap', '--from', '01/10/2026', '--to', '2026-11-04');
    expect(slashed.code).toBe(2);
    expect(slashed.err).toContain('reclaim report: --from must be an ISO-8601 date or time: YYYY-MM-DD');
    expect(slashed.err).toContain('got "01/10/2026"');
    const until = await run('replay', file, '--until', '11/20/2026');
    expect(until.code).toBe(2);
    expect(until.err).toContain('reclaim replay: --until must be an ISO-8601 date or time: YYYY-MM-DD');
  });
});
