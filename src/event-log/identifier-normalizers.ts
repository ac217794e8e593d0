import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed and lower-cased; `undefined` when it cannot be an address. */
export function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

/**
 * E.164 (`+14155550123`), using the address country as a hint for national formats;
 * `undefined` when the number is not a valid phone number.
 */
export function normalizePhone(value: unknown, countryHint?: string): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const raw = String(value).trim();
  if (raw.length < 5 || raw.length > 32) return undefined;
  const hint = countryHint && /^[A-Z]{2}$/.test(countryHint) ? (countryHint as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(raw, hint ? { defaultCountry: hint } : undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

/**
 * A Shopify id as an exact decimal string: from a number (safe ones only; longer ones arrive as strings
 * from the exact JSON parser), a numeric string, or a GID (`gid://shopify/Customer/123` → `123`).
 */
export function normalizeShopifyId(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  const gid = /^gid:\/\/shopify\/[A-Za-z]+\/([^/?]+)/.exec(trimmed);
  const id = gid ? gid[1]! : trimmed;
  return id.length > 0 && id.length <= 128 ? id : undefined;
}

/** A cart id or token without the `gid://shopify/Cart/` prefix or `?key=` suffix. */
export function normalizeCartToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const token = value
    .trim()
    .replace(/^gid:\/\/shopify\/Cart\//, '')
    .replace(/\?.*$/, '');
  return token.length > 0 && token.length <= 256 ? token : undefined;
}

/** Any other opaque identifier (client id, anonymous id, checkout token): trimmed, bounded. */
export function normalizeOpaqueId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const id = value.trim();
  return id.length > 0 && id.length <= 512 ? id : undefined;
}

/** ISO 3166-1 alpha-2, upper-cased; `undefined` for anything else. */
export function normalizeCountry(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(code) ? code : undefined;
}

/** ISO 3166-2 subdivision (`US-CA`) from `US-CA`, or from `CA` with its country. */
export function normalizeRegion(value: unknown, country?: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.trim().toUpperCase();
  if (/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(code)) return code;
  if (country && /^[A-Z0-9]{1,3}$/.test(code)) return `${country}-${code}`;
  return undefined;
}
