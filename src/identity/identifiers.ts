import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { IdentifierType } from '../store/schema.ts';

export type { IdentifierType };

/**
 * Identifier types, strongest first. When a merge is refused, an event attaches to the profile of the
 * strongest identifier it carries: a customer account outranks an email, an email a phone, a phone a
 * checkout, and any of those outranks a browser cookie.
 */
export const IDENTIFIER_TYPES = [
  'customerId',
  'email',
  'phone',
  'checkoutToken',
  'orderId',
  'cartToken',
  'kx',
  'browserId',
  'clientId',
  'anonymousId',
] as const satisfies readonly IdentifierType[];

/** Identifiers that name a person rather than a device or a basket. */
export const PERSON_TYPES: ReadonlySet<IdentifierType> = new Set(['customerId', 'email', 'phone']);
/** Identifiers of a browser or device, which several people can share. */
export const DEVICE_TYPES: ReadonlySet<IdentifierType> = new Set(['browserId', 'clientId', 'anonymousId']);

export interface Identifier {
  type: IdentifierType;
  value: string;
  /** `type:value`, the storage key. */
  key: string;
  /** The shopper typed or confirmed it in this event (checkout contact, customer record, consent). */
  confirmed: boolean;
}

export const identifierKey = (type: IdentifierType, value: string): string => `${type}:${value}`;

export function parseIdentifierKey(key: string): { type: IdentifierType; value: string } {
  const colon = key.indexOf(':');
  return { type: key.slice(0, colon) as IdentifierType, value: key.slice(colon + 1) };
}

/**
 * Values that stand for "no value" rather than a person — `null`, `0`, `test@test.com` — and must never
 * link anyone. Extended by `identity.blocklist` in config.
 */
const PLACEHOLDERS = new Set([
  '',
  '0',
  '-1',
  'null',
  'undefined',
  'none',
  'nil',
  'n/a',
  'na',
  'unknown',
  'anonymous',
  'guest',
  'test',
  'false',
  'true',
  '[object object]',
]);
const PLACEHOLDER_EMAIL =
  /^(test|testing|noemail|no-email|no_email|none|null|nobody|noreply|no-reply|donotreply|do-not-reply|fake|asdf|xxx|example|sample|unknown|guest)@/;
const PLACEHOLDER_EMAIL_DOMAIN = /@(test\.com|noemail\.com|none\.com|domain\.com|[^@]*\.invalid)$/;

export function isPlaceholder(type: IdentifierType, value: string, extra: ReadonlySet<string>): boolean {
  const lower = value.trim().toLowerCase();
  if (PLACEHOLDERS.has(lower) || extra.has(lower)) return true;
  if (type === 'email') return PLACEHOLDER_EMAIL.test(lower) || PLACEHOLDER_EMAIL_DOMAIN.test(lower);
  if (type === 'phone') {
    const digits = lower.replace(/\D/g, '');
    return /^(\d)\1+$/.test(digits.slice(-9)) || /(1234567890|0123456789)$/.test(digits);
  }
  return false;
}

/** Event kinds whose email/phone come from a trusted statement (a record, a form), not a guess. */
const CONFIRMING_KINDS = new Set(['customer_update', 'order_completed', 'order_paid', 'identify', 'consent']);

/** The identifiers an event carries, placeholders removed, strongest first. */
export function identifiersOf(event: CanonicalEvent, blocklist: ReadonlySet<string>): Identifier[] {
  const out: Identifier[] = [];
  const typed = event.typed ?? [];
  for (const type of IDENTIFIER_TYPES) {
    const value = event.ids[type];
    if (value === undefined || isPlaceholder(type, value, blocklist)) continue;
    const confirmed =
      PERSON_TYPES.has(type) &&
      (CONFIRMING_KINDS.has(event.kind) || typed.includes(type as 'email' | 'phone'));
    out.push({ type, value, key: identifierKey(type, value), confirmed });
  }
  return out;
}
