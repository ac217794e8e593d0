import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { apiError } from './api-error.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Makes every route of `scope` need `Authorization: Bearer <RECLAIM_ADMIN_TOKEN>`; without a token
 * configured, all of them answer 401.
 */
export function requireAdminToken(scope: FastifyInstance, token: string | undefined): void {
  const expected = token ? digest(token) : undefined;
  scope.addHook('onRequest', (req, _reply, done) => {
    if (!expected) {
      done(apiError('RECLAIM_ERR_UNAUTHORIZED', 'the admin API is disabled: RECLAIM_ADMIN_TOKEN is not set'));
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      done(apiError('RECLAIM_ERR_UNAUTHORIZED', 'missing or wrong admin bearer token'));
      return;
    }
    done();
  });
}
