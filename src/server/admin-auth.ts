import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { apiError } from './api-error.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Makes every route of `scope` need `Authorization: Bearer <RECLAIM_ADMIN_TOKEN>`; without a token
 * configured, all of them answer 401.
 */
export function requireAdminToken(scope: FastifyInstance, token: string | undefined): void {
  requireBearerToken(scope, [token], {
    disabled: 'the admin API is disabled: RECLAIM_ADMIN_TOKEN is not set',
    wrong: 'missing or wrong admin bearer token',
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
