import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { apiError } from '../errors/api-error.ts';

/** True when `candidate` equals one of `keys`, compared in constant time. */
export function matchesKey(candidate: string | undefined, keys: readonly string[]): boolean {
  if (!candidate) return false;
  const digest = createHash('sha256').update(candidate).digest();
  let found = false;
  for (const key of keys) {
    if (timingSafeEqual(digest, createHash('sha256').update(key).digest())) found = true;
  }
  return found;
}

/** The write key from `Authorization: Basic base64(writeKey:)`, if that header is present. */
export function writeKeyFromHeader(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/**
 * Segment-style authentication: the write key as the Basic-auth user name, or `writeKey` in the body.
 * With no write keys configured the API is closed. A publishable key (`RECLAIM_PUBLISHABLE_KEYS`) is
 * refused with its own code: it may sit in a page, so it must not write server-side events.
 */
export function requireWriteKey(
  req: FastifyRequest,
  keys: readonly string[],
  bodyKey?: unknown,
  publishableKeys: readonly string[] = [],
): void {
  const offered = writeKeyFromHeader(req) ?? (typeof bodyKey === 'string' ? bodyKey : undefined);
  if (publishableKeys.length > 0 && matchesKey(offered, publishableKeys))
    throw apiError(
      'RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED',
      'a publishable key authorises only the browser endpoints (/v1/pixel, /v1/consent); use a write key here',
    );
  if (keys.length === 0)
    throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'this endpoint is disabled: no write keys are configured');
  const fromHeader = writeKeyFromHeader(req);
  const candidate = fromHeader ?? (typeof bodyKey === 'string' ? bodyKey : undefined);
  if (!candidate)
    throw apiError(
      'RECLAIM_ERR_UNAUTHORIZED',
      'missing write key (Basic auth user name or writeKey in the body)',
    );
  if (!matchesKey(candidate, keys)) throw apiError('RECLAIM_ERR_UNAUTHORIZED', 'unknown write key');
}
