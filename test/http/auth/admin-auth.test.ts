import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  requireAdmin,
  requireBearerToken,
} from '../../../src/http/auth/admin-auth.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';
import type { Store } from '../../../src/store/store.ts';
import { DashboardSessions } from '../../../src/web/dashboard-sessions.ts';
import { openTestSqlite } from '../../support/dialects.ts';
import { edgeApp } from '../../support/edge-app.ts';

const TOKEN = 'admin-token-for-the-auth-test';

describe('requireAdmin', () => {
  let store: Store;
  let sessions: DashboardSessions;
  let clock: ManualClock;
  let app: FastifyInstance;

  const build = async (token: string | undefined) =>
    edgeApp((a) => {
      void a.register(fastifyCookie);
      a.after(() => requireAdmin(a, { token, sessions, clock }));
    });
  const code = (res: { json: () => { error?: { code: string } } }) => res.json().error?.code;

  beforeEach(async () => {
    store = await openTestSqlite();
    sessions = new DashboardSessions(store.db, 60_000);
    clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
    app = await build(TOKEN);
  });
  afterEach(async () => {
    await app.close();
    await store.close();
  });

  it('accepts the bearer token, for changes too, and refuses a wrong or missing one with 401', async () => {
    const ok = await app.inject({ method: 'POST', url: '/', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    const wrong = await app.inject({ url: '/', headers: { authorization: 'Bearer not-it' } });
    expect([wrong.statusCode, code(wrong)]).toEqual([401, 'RECLAIM_ERR_UNAUTHORIZED']);
    const none = await app.inject({ url: '/' });
    expect([none.statusCode, code(none)]).toEqual([401, 'RECLAIM_ERR_UNAUTHORIZED']);
  });

  it('answers everything with 401 when no admin token is configured', async () => {
    const off = await build(undefined);
    const res = await off.inject({ url: '/', headers: { authorization: `Bearer ${TOKEN}` } });
    expect([res.statusCode, code(res)]).toEqual([401, 'RECLAIM_ERR_UNAUTHORIZED']);
    await off.close();
  });

  it('accepts a live session cookie, and a change with it only with the CSRF header', async () => {
    const session = await sessions.open(clock.now());
    const cookies = { [SESSION_COOKIE]: session.cookie };
    expect((await app.inject({ url: '/', cookies })).statusCode).toBe(200);
    const bare = await app.inject({ method: 'POST', url: '/', cookies });
    expect([bare.statusCode, code(bare)]).toEqual([403, 'RECLAIM_ERR_CSRF_REFUSED']);
    const forged = await app.inject({ method: 'POST', url: '/', cookies, headers: { [CSRF_HEADER]: 'x' } });
    expect([forged.statusCode, code(forged)]).toEqual([403, 'RECLAIM_ERR_CSRF_REFUSED']);
    const signed = await app.inject({
      method: 'POST',
      url: '/',
      cookies,
      headers: { [CSRF_HEADER]: session.csrfToken },
    });
    expect(signed.statusCode).toBe(200);
  });

  it('answers a session past its end with SESSION_EXPIRED', async () => {
    const session = await sessions.open(clock.now());
    clock.advanceBy(60_000);
    const res = await app.inject({ url: '/', cookies: { [SESSION_COOKIE]: session.cookie } });
    expect([res.statusCode, code(res)]).toEqual([401, 'RECLAIM_ERR_SESSION_EXPIRED']);
  });
});

describe('requireBearerToken', () => {
  const messages = { disabled: 'set RECLAIM_METRICS_TOKEN', wrong: 'wrong metrics token' };
  const build = (tokens: (string | undefined)[]) => edgeApp((a) => requireBearerToken(a, tokens, messages));

  it('accepts any of the configured tokens and ignores the unset ones', async () => {
    const app = await build([undefined, 'first-token', '', 'second-token']);
    for (const token of ['first-token', 'second-token'])
      expect((await app.inject({ url: '/', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(
        200,
      );
    const wrong = await app.inject({ url: '/', headers: { authorization: 'Bearer third-token' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toEqual({ code: 'RECLAIM_ERR_UNAUTHORIZED', message: messages.wrong });
    await app.close();
  });

  it('answers with the message that says what to set when no token is configured', async () => {
    const app = await build([undefined, '']);
    const res = await app.inject({ url: '/', headers: { authorization: 'Bearer anything' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toEqual({ code: 'RECLAIM_ERR_UNAUTHORIZED', message: messages.disabled });
    await app.close();
  });
});
