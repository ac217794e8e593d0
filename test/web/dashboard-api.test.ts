import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openScratchStore, type Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { ADMIN_TOKEN, WRITE_KEY, pixelEvent, scenarioEnv, sendPixel } from '../support/shop.ts';

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The session cookie's `name=value`, as a browser would send it back. */
function cookieOf(res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie'];
  const first = Array.isArray(header) ? header[0]! : header!;
  return first.split(';')[0]!;
}

describe('dashboard sessions and CSRF', () => {
  let store: Store;
  let t: TestApp;

  beforeEach(async () => {
    store = await openScratchStore();
    await migrateToLatest(store);
    t = await buildTestApp(
      store,
      testConfig({
        ...scenarioEnv,
        RECLAIM_DASHBOARD_SESSION_TTL: '1h',
        RECLAIM_DASHBOARD_SIGN_IN_LIMIT: '5',
      }),
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const signIn = (token: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/admin/v1/session', payload: { token }, headers });

  it('trades the admin token for an HttpOnly, SameSite=Strict cookie that opens the admin API', async () => {
    const res = await signIn(ADMIN_TOKEN);
    expect(res.statusCode).toBe(201);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^reclaim_session=[\w-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Max-Age=3600');
    expect(setCookie).not.toContain('Secure');
    const { csrfToken } = res.json<{ csrfToken: string }>();

    const cookie = cookieOf(res);
    const me = await t.app.inject({ url: '/admin/v1/session', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ signedInWith: 'session', csrfToken });
    const gap = await t.app.inject({ url: '/admin/v1/reports/gap', headers: { cookie } });
    expect(gap.statusCode).toBe(200);
  });

  it('marks the cookie Secure behind https', async () => {
    await t.app.close();
    t = await buildTestApp(store, testConfig({ ...scenarioEnv, RECLAIM_TRUST_PROXY: '1' }));
    const res = await signIn(ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(String(res.headers['set-cookie'])).toContain('Secure');
  });

  it('stores only a hash of the cookie', async () => {
    const res = await signIn(ADMIN_TOKEN);
    const value = cookieOf(res).split('=')[1]!;
    const rows = await store.db.selectFrom('dashboard_sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(value);
  });

  it('refuses a wrong token, a malformed body, and too many attempts', async () => {
    const wrong = await signIn('not-the-admin-token-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('RECLAIM_ERR_UNAUTHORIZED');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const bad = await t.app.inject({ method: 'POST', url: '/admin/v1/session', payload: { secret: 1 } });
    expect(bad.statusCode).toBe(422);
    for (let i = 0; i < 3; i++) await signIn('still-not-the-admin-token');
    const limited = await signIn(ADMIN_TOKEN);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RECLAIM_ERR_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('needs the CSRF header for every change made with the cookie, not with the bearer token', async () => {
    const res = await signIn(ADMIN_TOKEN);
    const cookie = cookieOf(res);
    const { csrfToken } = res.json<{ csrfToken: string }>();
    const url = '/admin/v1/deliveries/dl_nope/retry';
    const without = await t.app.inject({ method: 'POST', url, headers: { cookie } });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('RECLAIM_ERR_CSRF_REFUSED');
    const wrong = await t.app.inject({ method: 'POST', url, headers: { cookie, 'x-reclaim-csrf': 'guess' } });
    expect(wrong.json().error.code).toBe('RECLAIM_ERR_CSRF_REFUSED');
    const right = await t.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'x-reclaim-csrf': csrfToken },
    });
    expect(right.statusCode).toBe(404);
    expect(right.json().error.code).toBe('RECLAIM_ERR_NOT_FOUND');
    const viaToken = await t.app.inject({ method: 'POST', url, headers: bearer });
    expect(viaToken.statusCode).toBe(404);
  });

  it('ends the session on sign-out and after its TTL', async () => {
    const res = await signIn(ADMIN_TOKEN);
    const cookie = cookieOf(res);
    const { csrfToken } = res.json<{ csrfToken: string }>();
    const noCsrf = await t.app.inject({ method: 'DELETE', url: '/admin/v1/session', headers: { cookie } });
    expect(noCsrf.statusCode).toBe(403);
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/admin/v1/session',
      headers: { cookie, 'x-reclaim-csrf': csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/reclaim_session=;.*Max-Age=0/);
    const after = await t.app.inject({ url: '/admin/v1/reports/gap', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('RECLAIM_ERR_SESSION_EXPIRED');

    const again = cookieOf(await signIn(ADMIN_TOKEN));
    t.clock.advanceBy(3_600_000);
    const expired = await t.app.inject({ url: '/admin/v1/reports/gap', headers: { cookie: again } });
    expect(expired.json().error.code).toBe('RECLAIM_ERR_SESSION_EXPIRED');
  });

  it('keeps answering 401 without credentials, and with a wrong bearer token even beside a live cookie', async () => {
    expect((await t.app.inject({ url: '/admin/v1/reports/gap' })).statusCode).toBe(401);
    const cookie = cookieOf(await signIn(ADMIN_TOKEN));
    const res = await t.app.inject({
      url: '/admin/v1/reports/gap',
      headers: { cookie, authorization: 'Bearer wrong-token-wrong-token' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('RECLAIM_ERR_UNAUTHORIZED');
  });

  it('answers / with a 503 naming the build step when the bundle is missing', async () => {
    await t.app.close();
    const config = testConfig(scenarioEnv);
    t = await buildTestApp(store, config, undefined, { dashboardDir: '/nonexistent-dashboard' });
    const page = await t.app.inject({ url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build:dashboard');
    const json = await t.app.inject({ url: '/', headers: { accept: 'application/json' } });
    expect(json.json().error.code).toBe('RECLAIM_ERR_DASHBOARD_NOT_BUILT');
  });
});

describe('live events and consent records', () => {
  let store: Store;
  let t: TestApp;

  beforeEach(async () => {
    store = await openScratchStore();
    await migrateToLatest(store);
    t = await buildTestApp(store, testConfig(scenarioEnv));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  it('lists stored events with masked identifiers and the gate outcome, and refused ingest requests', async () => {
    const sent = await sendPixel(
      t.app,
      [pixelEvent('page_viewed', '2026-11-22T11:59:00Z', 'client-abc-123456')],
      {
        customer: { id: '7001', email: 'ann.smith@example.com' },
      },
    );
    expect(sent.statusCode).toBeLessThan(300);
    const refused = await t.app.inject({ method: 'POST', url: '/v1/pixel?key=nope', payload: {} });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);

    const res = await t.app.inject({ url: '/admin/v1/events/live', headers: bearer });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const event = body.events.find((e: { kind: string }) => e.kind === 'page_view');
    expect(event).toMatchObject({ source: 'pixel', gate: 'tracked' });
    expect(JSON.stringify(body.events)).not.toContain('ann.smith@example.com');
    expect(event.ids.email).toBe('an***@example.com');
    expect(body.refused.at(-1)).toMatchObject({ path: '/v1/pixel', code: refused.json().error.code });
    expect(JSON.stringify(body.refused)).not.toContain('nope');

    const revealed = await t.app.inject({ url: '/admin/v1/events/live?reveal=true', headers: bearer });
    expect(JSON.stringify(revealed.json().events)).toContain('ann.smith@example.com');
    const after = await t.app.inject({ url: `/admin/v1/events/live?after=${event.seq}`, headers: bearer });
    expect(after.json().events.every((e: { seq: number }) => e.seq > event.seq)).toBe(true);
    const bad = await t.app.inject({ url: '/admin/v1/events/live?kind=nonsense', headers: bearer });
    expect(bad.statusCode).toBe(400);
  });

  it('lists consent records newest first, filters them, and gives the same as CSV', async () => {
    for (const [i, email] of ['ann@example.com', 'bob@example.com'].entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/consent',
        headers: { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
        payload: {
          subject: { email },
          permission: 'email',
          state: 'granted',
          source: 'popup',
          wording: 'Send me offers, tips and news by email.',
          timestamp: `2026-11-20T10:0${i}:00Z`,
        },
      });
      expect(res.statusCode).toBeLessThan(300);
    }
    await t.app.inject({
      method: 'POST',
      url: '/v1/consent',
      headers: { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      payload: {
        subject: { phone: '+14155550123' },
        permission: 'sms',
        state: 'granted',
        source: 'sms_keyword',
        wording: 'Reply YES to get marketing texts.',
        timestamp: '2026-11-20T10:05:00Z',
      },
    });
    await t.engine.processor.drain();
    const all = await t.app.inject({ url: '/admin/v1/consent/records', headers: bearer });
    expect(all.statusCode).toBe(200);
    const records = all.json().records as {
      position: number;
      permission: string;
      subject: { email?: string };
    }[];
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(records[0]!.position).toBeGreaterThan(records.at(-1)!.position);
    const ann = await t.app.inject({
      url: '/admin/v1/consent/records?email=ANN@example.com',
      headers: bearer,
    });
    const annRecords = ann.json().records as { subject: { email?: string } }[];
    expect(annRecords.length).toBeGreaterThan(0);
    expect(annRecords.every((r) => r.subject.email === 'ann@example.com')).toBe(true);

    const csv = await t.app.inject({
      url: '/admin/v1/consent/records?permission=email',
      headers: { ...bearer, accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^position,recordId,occurredAt/);
    expect(lines.length - 1).toBe(records.filter((r) => r.permission === 'email_marketing').length);
    expect(csv.body).toContain('bob@example.com');

    const verified = await t.app.inject({ url: '/admin/v1/consent/verification', headers: bearer });
    expect(verified.json()).toMatchObject({ ok: true, records: records.length });
    const bad = await t.app.inject({ url: '/admin/v1/consent/records?permission=fax', headers: bearer });
    expect(bad.statusCode).toBe(400);
  });
});
