import type { FastifyRequest } from 'fastify';
import { apiError } from '../errors/api-error.ts';
import { matchesKey } from './write-key-auth.ts';

/**
 * The publishable key a browser request carries: the `key` query parameter (beacons and simple requests
 * need no preflight), the `X-Reclaim-Key` header, or `key` in a JSON body.
 */
export function browserKey(req: FastifyRequest, bodyKey?: unknown): string | undefined {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const fromQuery = Object.hasOwn(query, 'key') ? query.key : undefined;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  const header = req.headers['x-reclaim-key'];
  if (typeof header === 'string' && header !== '') return header;
  return typeof bodyKey === 'string' && bodyKey !== '' ? bodyKey : undefined;
}

/**
 * A browser endpoint's authentication: a key from `RECLAIM_PUBLISHABLE_KEYS`. Any other key — above all
 * a write key, which lets its holder write any event — is refused as not publishable, so a store that
 * pasted the wrong key into its theme learns it at once.
 */
export function requirePublishableKey(
  req: FastifyRequest,
  publishableKeys: readonly string[],
  key?: string,
): void {
  if (key === undefined)
    throw apiError(
      'RECLAIM_ERR_UNAUTHORIZED',
      'missing publishable key (the key query parameter, X-Reclaim-Key header, or key in the body)',
    );
  if (!matchesKey(key, publishableKeys))
    throw apiError(
      'RECLAIM_ERR_KEY_NOT_PUBLISHABLE',
      publishableKeys.length === 0
        ? 'no publishable keys are configured (RECLAIM_PUBLISHABLE_KEYS)'
        : 'this key is not a publishable key; a write key must never appear in a page',
    );
}
