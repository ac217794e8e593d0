/**
 * Every error code the HTTP API answers with. Stable: clients and runbooks match on them.
 * `docs/errors.md` lists each one; a test fails when the two differ.
 */
export const ERROR_CODES = {
  RECLAIM_ERR_MALFORMED_JSON: {
    status: 400,
    meaning: 'The body is not well-formed JSON, or not valid UTF-8.',
  },
  RECLAIM_ERR_BAD_REQUEST: { status: 400, meaning: 'A header or query parameter is missing or malformed.' },
  RECLAIM_ERR_UNAUTHORIZED: { status: 401, meaning: 'Credentials are missing or wrong for this endpoint.' },
  RECLAIM_ERR_SESSION_EXPIRED: {
    status: 401,
    meaning:
      'The dashboard session cookie is unknown, signed out or past `RECLAIM_DASHBOARD_SESSION_TTL`; sign in again.',
  },
  RECLAIM_ERR_SIGNATURE_INVALID: {
    status: 401,
    meaning: 'A Shopify webhook whose X-Shopify-Hmac-Sha256 is missing or does not match the body.',
  },
  RECLAIM_ERR_ORIGIN_FORBIDDEN: {
    status: 403,
    meaning: 'A browser request from an origin that `RECLAIM_PIXEL_ORIGINS` does not list.',
  },
  RECLAIM_ERR_KEY_NOT_PUBLISHABLE: {
    status: 401,
    meaning:
      'A browser endpoint was called with a key that is not in `RECLAIM_PUBLISHABLE_KEYS` (a write key must never appear in a page; rotate it).',
  },
  RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED: {
    status: 403,
    meaning:
      'A publishable key was used on a server endpoint; it authorises only `/v1/pixel`, `/v1/consent` and `/v1/consent/*`.',
  },
  RECLAIM_ERR_CONSENT_REVISION_UNKNOWN: {
    status: 422,
    meaning: 'A consent decision names a banner revision newer than the store’s `RECLAIM_CONSENT_REVISION`.',
  },
  RECLAIM_ERR_BANNER_NOT_BUILT: {
    status: 503,
    meaning:
      'The storefront scripts were not built (`npm run build`); the banner and forms cannot be served.',
  },
  RECLAIM_ERR_CSRF_REFUSED: {
    status: 403,
    meaning:
      'A change asked for with the dashboard session cookie whose `X-Reclaim-CSRF` header is missing or does not match the session.',
  },
  RECLAIM_ERR_DASHBOARD_NOT_BUILT: {
    status: 503,
    meaning:
      'The dashboard bundle is missing (`dist/dashboard`); run `npm run build:dashboard` or `npm install`.',
  },
  RECLAIM_ERR_NOT_FOUND: { status: 404, meaning: 'No such route or resource.' },
  RECLAIM_ERR_REQUEST_TIMEOUT: {
    status: 408,
    meaning:
      'The request headers or body arrived too slowly (`RECLAIM_HEADERS_TIMEOUT`, `RECLAIM_REQUEST_TIMEOUT`); the connection is closed, nothing was stored.',
  },
  RECLAIM_ERR_BODY_TOO_LARGE: { status: 413, meaning: 'The body exceeds the size limit of this endpoint.' },
  RECLAIM_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The Content-Type is not one this endpoint reads.',
  },
  RECLAIM_ERR_INVALID_SHAPE: {
    status: 422,
    meaning: 'Valid JSON whose shape or values are wrong; `path` points at the first offending field.',
  },
  RECLAIM_ERR_CONSENT_UNPROVEN: {
    status: 422,
    meaning: 'A consent grant without the proof the law asks for: no wording, or a pre-ticked box.',
  },
  RECLAIM_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'The request headers exceed the size limit; the connection is closed.',
  },
  RECLAIM_ERR_SHOPIFY_REFUSED: {
    status: 400,
    meaning:
      'A Shopify install or OAuth callback Reclaim refused: a shop that is not a myshopify.com domain, a wrong or stale HMAC, a missing or different `state`, or a code Shopify would not exchange. Start the install again from the Shopify admin.',
  },
  RECLAIM_ERR_RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests from this client; retry after `Retry-After`.',
  },
  RECLAIM_ERR_INTERNAL: {
    status: 500,
    meaning: 'An unexpected failure; nothing from this request was stored.',
  },
  RECLAIM_ERR_UNAVAILABLE: {
    status: 503,
    meaning:
      'Reclaim is starting, shutting down, cannot reach its database, or lost the thread preparing the call; retry later.',
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
