import {
  misconfigured,
  payloadInvalid,
  retryable,
  throttled,
  type DeliveryError,
} from './delivery-errors.ts';
import type { PartnerResponse } from './partner-request.ts';

/** The decision HTTP semantics give when the partner says nothing more specific. */
export function classifyStatus(response: PartnerResponse): DeliveryError {
  const { status } = response;
  const message = `HTTP ${status}: ${partnerErrorSummary(response)}`;
  if (status === 429)
    return throttled(message, { status, retryAfter: retryAfterMs(response.headers.get('retry-after')) });
  if (status === 408 || status >= 500) return retryable(message, { status });
  // A wrong key, a missing scope, or an endpoint that is not there (a wrong base URL or account id):
  // nothing this request can change, everything the operator can.
  if (status === 401 || status === 403 || status === 404) return misconfigured(message, { status });
  return payloadInvalid(message, { status });
}

/** A partner's code or field path, kept only when it is a bare token: never free text. */
const TOKEN = /^[\w./:-]{1,80}$/;
const token = (value: unknown): string | undefined =>
  (typeof value === 'string' || typeof value === 'number') && TOKEN.test(String(value))
    ? String(value)
    : undefined;

/**
 * What a partner's error body says, in its codes and field paths only. Partners echo the request in their
 * error text ("'Ana Dias, 12 Rua…' is not a valid address"), so no free text of theirs — `detail`, `title`,
 * `message` — is ever stored or logged. JSON:API (Klaviyo): `code` and `source.pointer` of the first error;
 * Graph API (Meta): `type`, `code` and `error_subcode`.
 */
export function partnerErrorSummary(response: PartnerResponse): string {
  const body = response.body as
    | {
        errors?: { code?: unknown; source?: { pointer?: unknown; parameter?: unknown } }[];
        error?: { type?: unknown; code?: unknown; error_subcode?: unknown };
      }
    | undefined;
  const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  const graph = body?.error;
  const parts = [
    ['code', token(first?.code ?? graph?.code)],
    ['type', token(graph?.type)],
    ['subcode', token(graph?.error_subcode)],
    ['at', token(first?.source?.pointer ?? first?.source?.parameter)],
  ].flatMap(([name, value]) => (value === undefined ? [] : [`${name} ${value}`]));
  if (parts.length > 0) return parts.join(', ');
  return response.text.length === 0 ? 'no body' : `a ${response.text.length}-byte body, not shown`;
}

/** `Retry-After` as milliseconds: seconds or an HTTP date (RFC 9110 §10.2.3); 1 s when absent. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === '') return 1_000;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : 1_000;
}
