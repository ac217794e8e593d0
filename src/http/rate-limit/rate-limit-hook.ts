import type { onRequestHookHandler } from 'fastify';
import { ApiError } from '../errors/api-error.ts';
import type { RateLimiter } from './rate-limiter.ts';

/**
 * An `onRequest` hook that counts each request against its client address and answers 429
 * `RECLAIM_ERR_RATE_LIMITED` with `Retry-After` (seconds until the window turns) once over the limit.
 * CORS preflights are not counted: a browser sends one before its real request.
 */
export function rateLimitHook(limiter: RateLimiter, message: string): onRequestHookHandler {
  return (req, _reply, done) => {
    const wait = req.method === 'OPTIONS' ? 0 : limiter.take(req.ip);
    done(
      wait > 0
        ? new ApiError('RECLAIM_ERR_RATE_LIMITED', message, undefined, { 'retry-after': String(wait) })
        : undefined,
    );
  };
}
