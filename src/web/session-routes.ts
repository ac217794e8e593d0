import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RateLimiter } from '../http/rate-limit/rate-limiter.ts';
import type { Clock } from '../runtime/clock.ts';
import { ApiError, apiError } from '../http/errors/api-error.ts';
import { SESSION_COOKIE, isAdminToken } from '../http/auth/admin-auth.ts';
import type { DashboardSessions } from './dashboard-sessions.ts';

export interface SignInRoutesOptions {
  token: string | undefined;
  sessions: DashboardSessions;
  clock: Clock;
  /** Sign-in attempts per client address per minute. */
  attemptsPerMinute: number;
}

const signInBody = z.strictObject({ token: z.string().min(1).max(4096) });

/** Cookie attributes: only this server's pages send it back, and scripts cannot read it. */
function setSessionCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) {
  void reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
    maxAge: maxAgeSeconds,
  });
}

/**
 * `POST /admin/v1/session`: trades `RECLAIM_ADMIN_TOKEN` for a session cookie. Outside the admin auth
 * hook (it is how a browser gets its credential), and rate-limited per client address so the token
 * cannot be guessed through it.
 */
export const signInRoutes: FastifyPluginAsync<SignInRoutesOptions> = (app, options) => {
  const { token, sessions, clock } = options;
  const limiter = new RateLimiter(clock, options.attemptsPerMinute);

  app.post('/admin/v1/session', async (req, reply) => {
    const wait = limiter.take(req.ip);
    if (wait > 0)
      throw new ApiError('RECLAIM_ERR_RATE_LIMITED', 'too many sign-in attempts; wait a minute', undefined, {
        'retry-after': String(wait),
      });
    const body = signInBody.safeParse(req.body);
    if (!body.success)
      throw apiError('RECLAIM_ERR_INVALID_SHAPE', 'send { "token": "<RECLAIM_ADMIN_TOKEN>" }', 'token');
    if (!token)
      throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'the admin API is disabled: RECLAIM_ADMIN_TOKEN is not set');
    if (!isAdminToken(body.data.token, token))
      throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'that is not the admin token');
    const now = clock.now();
    const session = await sessions.open(now);
    setSessionCookie(req, reply, session.cookie, Math.floor((session.expiresAt - now) / 1000));
    return reply
      .status(201)
      .send({ csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
  });
  return Promise.resolve();
};

/**
 * `GET /admin/v1/session` (who am I: the session's CSRF token and expiry, or `token` for a bearer caller)
 * and `DELETE /admin/v1/session` (sign out). Registered inside the admin scope, so its auth hook has run.
 */
export const sessionRoutes: FastifyPluginAsync<{ sessions: DashboardSessions }> = (app, { sessions }) => {
  app.get('/admin/v1/session', (req) => {
    const session = req.dashboardSession;
    if (!session) return { signedInWith: 'token' };
    return {
      signedInWith: 'session',
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
    };
  });

  app.delete('/admin/v1/session', async (req, reply) => {
    if (req.dashboardSession) await sessions.close(req.dashboardSession.cookie);
    setSessionCookie(req, reply, '', 0);
    return reply.status(204).send();
  });
  return Promise.resolve();
};
