import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../runtime/clock.ts';
import { apiError } from '../errors/api-error.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'reclaim_session';
/** The header a signed-in page sends its CSRF token in. */
export const CSRF_HEADER = 'x-reclaim-csrf';

/** True when `given` is the admin token (compared in constant time). */
export function isAdminToken(given: string, token: string | undefined): boolean {
  return token !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** A live dashboard sign-in, as the auth hook needs it; `web/dashboard-sessions.ts` stores them. */
export interface AdminSession {
  /** Echoed by the page as `X-Reclaim-CSRF` on every change it asks for. */
  csrfToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Finds the live session a cookie names; undefined when it is unknown, signed out or past its end. */
export interface AdminSessionLookup {
  find(cookie: string, now: number): Promise<AdminSession | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session the request was authorised by; undefined for a bearer token. */
    dashboardSession?: AdminSession & { cookie: string };
  }
}

export interface AdminAuthOptions {
  /** `RECLAIM_ADMIN_TOKEN`; unset turns the admin API off. */
  token: string | undefined;
  sessions: AdminSessionLookup;
  clock: Clock;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Makes every route of `scope` need `Authorization: Bearer <RECLAIM_ADMIN_TOKEN>` or a live dashboard
 * session cookie. With the cookie, a request that changes anything must also carry the session's CSRF
 * token in `X-Reclaim-CSRF`: the cookie is SameSite=Strict already, the header is the second lock for
 * browsers or proxies that get SameSite wrong. Without a token configured, everything answers 401.
 */
export function requireAdmin(scope: FastifyInstance, options: AdminAuthOptions): void {
  const { token, sessions, clock } = options;
  scope.addHook('onRequest', async (req: FastifyRequest) => {
    if (!token)
      throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'the admin API is disabled: RECLAIM_ADMIN_TOKEN is not set');
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match || !isAdminToken(match[1]!, token))
        throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'missing or wrong admin bearer token');
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (!cookie) throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'missing or wrong admin bearer token');
    const session = await sessions.find(cookie, clock.now());
    if (!session)
      throw apiError('RECLAIM_ERR_SESSION_EXPIRED', 'the dashboard session has ended; sign in again');
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), digest(session.csrfToken)))
        throw apiError(
          'RECLAIM_ERR_CSRF_REFUSED',
          `a change made with the session cookie needs ${CSRF_HEADER}`,
        );
    }
    req.dashboardSession = { ...session, cookie };
  });
}

/**
 * Makes every route of `scope` need `Authorization: Bearer <one of tokens>`; the unset ones are ignored,
 * and with none set every request answers 401 with `messages.disabled`, which tells the operator what to set.
 */
export function requireBearerToken(
  scope: FastifyInstance,
  tokens: readonly (string | undefined)[],
  messages: { disabled: string; wrong: string },
): void {
  const expected = tokens.filter((t): t is string => t !== undefined && t.length > 0).map(digest);
  scope.addHook('onRequest', (req, _reply, done) => {
    if (expected.length === 0) {
      done(apiError('RECLAIM_ERR_UNAUTHORIZED', messages.disabled));
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const given = match ? digest(match[1]!) : undefined;
    // Every configured token is compared, so the time taken does not say which one came close.
    let ok = false;
    for (const token of expected) if (given && timingSafeEqual(given, token)) ok = true;
    if (!ok) {
      done(apiError('RECLAIM_ERR_UNAUTHORIZED', messages.wrong));
      return;
    }
    done();
  });
}
