import {
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeShopifyId,
} from '../event-log/identifier-normalizers.ts';

/** A lookup parameter turned into the key the ledger indexes its subjects by, or why it is not one. */
export type SubjectKeyResult = { ok: true; subjectKey: string } | { ok: false; message: string };

/** `email=Ann@Example.com` → `email:ann@example.com`, normalised as ingest normalises identifiers. */
export function normalizeLookup(
  name: 'anonymous_id' | 'email' | 'phone' | 'customer_id',
  value: string,
  phoneCountry?: string,
): SubjectKeyResult {
  const [type, normalized] =
    name === 'email'
      ? ['email', normalizeEmail(value)]
      : name === 'phone'
        ? ['phone', normalizePhone(value, phoneCountry)]
        : name === 'customer_id'
          ? ['customerId', normalizeShopifyId(value)]
          : ['anonymousId', normalizeOpaqueId(value)];
  return normalized === undefined
    ? { ok: false, message: `${name} is not a valid ${type}` }
    : { ok: true, subjectKey: `${type}:${normalized}` };
}
