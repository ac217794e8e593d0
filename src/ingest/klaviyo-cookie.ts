/** What Klaviyo's `__kla_id` cookie tells us about Klaviyo's own tracking in this browser. */
export interface KlaviyoCookieState {
  /** Klaviyo's script ran here (and was allowed to set its cookie). */
  cookiePresent: boolean;
  /** The cookie ties this browser to a known Klaviyo profile (`$exchange_id` or `$email`). */
  identified: boolean;
  /** Klaviyo's exchange id, when the cookie holds one. */
  exchangeId?: string;
}

/**
 * Decodes `__kla_id`: base64 of a JSON object such as `{"cid":"…"}` for an anonymous browser, with
 * `$exchange_id` (or `$email`) once Klaviyo has identified it. Unreadable values count as present but
 * not identified.
 */
export function readKlaviyoCookie(value: string | undefined): KlaviyoCookieState | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > 4096) return { cookiePresent: false, identified: false };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(decodeURIComponent(value), 'base64').toString('utf8'));
  } catch {
    return { cookiePresent: true, identified: false };
  }
  if (typeof decoded !== 'object' || decoded === null) return { cookiePresent: true, identified: false };
  const record = decoded as Record<string, unknown>;
  const exchangeId =
    typeof record.$exchange_id === 'string' && record.$exchange_id ? record.$exchange_id : undefined;
  const email = typeof record.$email === 'string' && record.$email.includes('@');
  return {
    cookiePresent: true,
    identified: Boolean(exchangeId) || email,
    ...(exchangeId ? { exchangeId } : {}),
  };
}
