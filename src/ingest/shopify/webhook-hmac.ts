import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a webhook signature was refused; a value, so the reason can be logged and answered. */
export type HmacCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'no_secret_configured' | 'missing_signature' | 'malformed_signature' | 'signature_mismatch';
    };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies `X-Shopify-Hmac-Sha256`: base64 of HMAC-SHA256 over the raw body bytes, keyed with the app's
 * client secret. Every configured secret is tried (two during a rotation, which Shopify says can take an
 * hour to settle); comparison is constant-time on the decoded digests.
 */
export function verifyShopifyHmac(
  raw: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): HmacCheck {
  if (secrets.length === 0) return { ok: false, reason: 'no_secret_configured' };
  if (!header) return { ok: false, reason: 'missing_signature' };
  const given = header.trim();
  if (!BASE64.test(given)) return { ok: false, reason: 'malformed_signature' };
  const givenDigest = Buffer.from(given, 'base64');
  if (givenDigest.length !== 32) return { ok: false, reason: 'malformed_signature' };
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(raw).digest();
    if (timingSafeEqual(expected, givenDigest)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature_mismatch' };
}

/** Signs a body the way Shopify does (tests, the simulator). */
export function signShopifyBody(raw: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(raw).digest('base64');
}
