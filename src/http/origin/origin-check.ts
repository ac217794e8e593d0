import type { onRequestHookHandler } from 'fastify';
import { apiError } from '../errors/api-error.ts';

/**
 * True when a request with this `Origin` header may reach the browser endpoints: `allowed` is
 * `config.pixel.allowedOrigins` (lower-case origins, `*` for any). A request without `Origin` is not a
 * browser's cross-origin call and passes; CORS alone would only hide the answer, not stop the write.
 */
export function allowsOrigin(allowed: readonly string[], origin: string | undefined): boolean {
  return origin === undefined || allowed.includes('*') || allowed.includes(origin.toLowerCase());
}

/** An `onRequest` hook that answers 403 `RECLAIM_ERR_ORIGIN_FORBIDDEN` to an origin `allowed` does not list. */
export function originCheck(allowed: readonly string[]): onRequestHookHandler {
  return (req, _reply, done) => {
    if (allowsOrigin(allowed, req.headers.origin)) done();
    else done(apiError('RECLAIM_ERR_ORIGIN_FORBIDDEN', 'requests from this origin are not accepted'));
  };
}
