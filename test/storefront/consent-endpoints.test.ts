import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Regime } from '../../src/consent/jurisdiction.ts';
import { consentModeState } from '../../src/storefront/consent-mode.ts';
import { bannerRegime, withGpc } from '../../src/storefront/consent-regimes.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { countEvents } from '../support/events.ts';

const PK = 'pk_northwind_storefront';
const WK = 'wk_northwind_server_only';
const ADMIN = 'admin-token-northwind-0123456789';
const ORIGIN = 'https://northwind-demo.myshopify.com';

const decision = (categories: Record<string, boolean>, extra: Record<string, unknown> = {}) => ({
  subject: { anonymousId: 'consent-8f2c' },
  permission: 'tracking',
  state: Object.values(categories).some(Boolean) ? 'granted' : 'denied',
  categories,
  source: 'reclaim-banner',
  wording: 'Your privacy choices\nWe use cookies…',
  wordingVersion: 'reclaim-banner-r1-en',
  initialState: 'unchecked',
  revision: 1,
  timestamp: '2026-11-22T11:59:00Z',
  ...extra,
});
const ALL = { analytics: true, marketing: true, preferences: true, saleOfData: true };
const NONE = { analytics: false, marketing: false, preferences: false, saleOfData: false };

describe('regime → banner defaults, for every jurisdiction of RULES.md', () => {
  const table: [Regime, string, Record<string, boolean>, boolean][] = [
    ['EU', 'opt-in', NONE, false],
    ['ROW', 'opt-in', NONE, false],
    ['UK', 'opt-in', NONE, false],
    ['CA-QC', 'opt-in', NONE, false],
    ['CH', 'opt-out', { analytics: true, marketing: false, preferences: true, saleOfData: false }, false],
    ['CA', 'opt-out', ALL, false],
    ['US', 'notice', ALL, true],
  ];
  it.each(table)('%s: %s', (regime, mode, defaults, gpcHasForce) => {
    const banner = bannerRegime(regime);
    expect(banner).toMatchObject({ mode, defaults, gpcHasForce, saleOfDataChoice: regime === 'US' });
    const signals = consentModeState(banner.defaults);
    // Google's ad signals are denied wherever marketing is not allowed before a decision (T-CH included).
    expect(signals.ad_storage).toBe(defaults.marketing ? 'granted' : 'denied');
    expect(signals.analytics_storage).toBe(defaults.analytics ? 'granted' : 'denied');
  });
  it('GPC in the US: ad signals denied, analytics unchanged (RULES.md §4)', () => {
    const signals = consentModeState(withGpc(bannerRegime('US').defaults));
    expect(signals).toMatchObject({
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'granted',
    });
  });
});

describe('storefront configuration', () => {
  it('names the key of a bad value', () => {
    expect(() => testConfig({ RECLAIM_CONSENT_REVISION: '0' })).toThrow(/RECLAIM_CONSENT_REVISION/);
    expect(() => testConfig({ RECLAIM_CONSENT_REVISION: 'v2' })).toThrow(/RECLAIM_CONSENT_REVISION/);
    expect(testConfig({ RECLAIM_PUBLISHABLE_KEYS: 'pk_a, pk_b' }).publishableKeys).toEqual(['pk_a', 'pk_b']);
  });
});

describeEachDialect('storefront consent endpoints', (dialect) => {
  let store: Store;
  let t: TestApp;
  const impressions: string[] = [];
  const decisions: string[] = [];
  beforeEach(async () => {
    store = await dialect.open();
    impressions.length = 0;
    decisions.length = 0;
    t = await buildTestApp(
      store,
      testConfig({
        RECLAIM_PUBLISHABLE_KEYS: PK,
        RECLAIM_WRITE_KEYS: WK,
        RECLAIM_ADMIN_TOKEN: ADMIN,
        RECLAIM_PIXEL_ORIGINS: ORIGIN,
      }),
      undefined,
      {
        storefront: {
          onImpression: (regime) => impressions.push(regime),
          onDecision: (regime, kind) => decisions.push(`${regime}:${kind}`),
        },
        storefrontDist: '/nonexistent/reclaim-dist',
      },
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const config = (query: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/consent/config?${query}`,
      headers: { origin: ORIGIN, ...headers },
    });
  const post = (body: unknown, query = `key=${PK}`, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/consent?${query}`,
      headers: { origin: ORIGIN, 'content-type': 'text/plain', 'cf-ipcountry': 'DE', ...headers },
      payload: JSON.stringify(body),
    });
  const rates = (query = 'from=2026-11-22&to=2026-11-22') =>
    t.app.inject({
      method: 'GET',
      url: `/admin/v1/consent/rates?${query}`,
      headers: { authorization: `Bearer ${ADMIN}` },
    });

  it('gives the visitor’s regime, texts, categories and revision, counting banner impressions only', async () => {
    const eu = await config(`key=${PK}&banner=1&decided=0&locale=de-DE`, { 'cf-ipcountry': 'AT' });
    expect(eu.statusCode).toBe(200);
    expect(eu.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(eu.json()).toMatchObject({
      regime: 'EU',
      mode: 'opt-in',
      revision: 1,
      locale: 'de',
      categories: ['necessary', 'preferences', 'analytics', 'marketing'],
      texts: { acceptAll: 'Alle akzeptieren', rejectAll: 'Alle ablehnen' },
      gpcHasForce: false,
    });
    const us = await config(`key=${PK}&banner=1&decided=0`, { 'cf-ipcountry': 'US', 'cf-region-code': 'CA' });
    expect(us.json()).toMatchObject({
      regime: 'US',
      mode: 'notice',
      categories: ['necessary', 'preferences', 'analytics', 'marketing', 'saleOfData'],
      gpcHasForce: true,
    });
    // Unknown location: EU rules (rule J).
    expect((await config(`key=${PK}`)).json()).toMatchObject({ regime: 'EU', mode: 'opt-in' });
    // A visitor with a decision on the current revision, the forms script, and a US visitor whose GPC
    // already answered are not impressions.
    await config(`key=${PK}&banner=1&decided=1`, { 'cf-ipcountry': 'AT' });
    await config(`key=${PK}&banner=1&decided=0&gpc=1`, { 'cf-ipcountry': 'US' });
    expect(impressions).toEqual(['EU', 'US']);
    const days = (await rates()).json().days as { regime: string; impressions: number }[];
    expect(days.map((d) => [d.regime, d.impressions])).toEqual([
      ['EU', 1],
      ['US', 1],
    ]);
  });

  it('counts accept, reject and custom decisions per regime and day, in the dashboard’s shape', async () => {
    await config(`key=${PK}&banner=1&decided=0`, { 'cf-ipcountry': 'DE' });
    await config(`key=${PK}&banner=1&decided=0`, { 'cf-ipcountry': 'DE' });
    await config(`key=${PK}&banner=1&decided=0`, { 'cf-ipcountry': 'DE' });
    expect((await post(decision(ALL))).statusCode).toBe(200);
    expect((await post(decision(NONE, { subject: { anonymousId: 'consent-2' } }))).statusCode).toBe(200);
    const custom = { ...NONE, analytics: true };
    expect((await post(decision(custom, { subject: { anonymousId: 'consent-3' } }))).statusCode).toBe(200);
    // A repeat of the same decision is a duplicate and not counted again.
    expect((await post(decision(ALL))).json().status).toBe('duplicate');
    // A decision from another source (a support tool with the write key) is not a banner decision.
    await post(decision(ALL, { source: 'support', subject: { anonymousId: 'x' } }), '', {
      authorization: `Basic ${Buffer.from(`${WK}:`).toString('base64')}`,
    });
    const res = await rates();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from: '2026-11-22T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
      days: [
        {
          day: '2026-11-22',
          regime: 'EU',
          impressions: 3,
          decisions: 3,
          acceptAll: 1,
          rejectAll: 1,
          custom: 1,
        },
      ],
    });
    expect(decisions).toEqual(['EU:acceptAll', 'EU:rejectAll', 'EU:custom']);
    expect((await rates('from=yesterday')).json().error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
    expect((await t.app.inject({ method: 'GET', url: '/admin/v1/consent/rates' })).statusCode).toBe(401);
  });

  it('writes the counts gathered in memory when the server stops', async () => {
    await config(`key=${PK}&banner=1&decided=0`, { 'cf-ipcountry': 'CH' });
    expect(
      (await post(decision(ALL, { subject: { anonymousId: 'c-ch' } }), `key=${PK}`, { 'cf-ipcountry': 'CH' }))
        .statusCode,
    ).toBe(200);
    await t.engine.processor.drain();
    await t.app.close();
    const rows = await store.db.selectFrom('consent_banner_counts').selectAll().execute();
    expect(rows.map((r) => [r.regime, Number(r.impressions), Number(r.accept_all)])).toEqual([['CH', 1, 1]]);
  });

  it('refuses bad input with a code and stores nothing', async () => {
    const cases: [
      string,
      Promise<{ statusCode: number; json(): { error: { code: string } } }>,
      number,
      string,
    ][] = [
      ['a write key in a page', post(decision(ALL), `key=${WK}`), 401, 'RECLAIM_ERR_KEY_NOT_PUBLISHABLE'],
      ['an unknown key', post(decision(ALL), 'key=pk_guess'), 401, 'RECLAIM_ERR_KEY_NOT_PUBLISHABLE'],
      [
        'an origin outside the list',
        post(decision(ALL), `key=${PK}`, { origin: 'https://evil.example' }),
        403,
        'RECLAIM_ERR_ORIGIN_FORBIDDEN',
      ],
      [
        'a revision from the future',
        post(decision(ALL, { revision: 2 })),
        422,
        'RECLAIM_ERR_CONSENT_REVISION_UNKNOWN',
      ],
      ['an unknown category', post(decision({ ...ALL, tracking: true })), 422, 'RECLAIM_ERR_INVALID_SHAPE'],
      [
        'a form without wording',
        post({
          subject: { email: 'ana@example.org' },
          permission: 'email',
          state: 'granted',
          source: 'reclaim-form',
          initialState: 'unchecked',
          timestamp: '2026-11-22T11:59:00Z',
        }),
        422,
        'RECLAIM_ERR_CONSENT_UNPROVEN',
      ],
      ['config without a key', config(''), 401, 'RECLAIM_ERR_UNAUTHORIZED'],
      ['config with a write key', config(`key=${WK}`), 401, 'RECLAIM_ERR_KEY_NOT_PUBLISHABLE'],
      [
        'the pixel with a write key',
        t.app.inject({
          method: 'POST',
          url: `/v1/pixel?key=${WK}`,
          headers: { origin: ORIGIN, 'content-type': 'application/json' },
          payload: '{"events":[]}',
        }),
        401,
        'RECLAIM_ERR_KEY_NOT_PUBLISHABLE',
      ],
      [
        'a publishable key on the Segment API',
        t.app.inject({
          method: 'POST',
          url: '/v1/track',
          headers: {
            'content-type': 'application/json',
            authorization: `Basic ${Buffer.from(`${PK}:`).toString('base64')}`,
          },
          payload: JSON.stringify({ event: 'Product Viewed', anonymousId: 'a1' }),
        }),
        403,
        'RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED',
      ],
      [
        'a publishable key as /v1/consent’s write key',
        post(decision(ALL, { writeKey: PK }), ''),
        403,
        'RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED',
      ],
      [
        'the banner before it is built',
        t.app.inject({ method: 'GET', url: '/v1/consent/banner.js' }),
        503,
        'RECLAIM_ERR_BANNER_NOT_BUILT',
      ],
    ];
    for (const [what, answer, status, code] of cases) {
      const res = await answer;
      expect({ what, status: res.statusCode, code: res.json().error.code }).toEqual({ what, status, code });
    }
    expect(await countEvents(store)).toBe(0);
  });
});
