import { classifyStatus, partnerErrorSummary } from '../kit/classify-status.ts';
import { DeliveryError } from '../kit/delivery-errors.ts';
import type { DestinationDefinition } from '../kit/destination.ts';
import type { PartnerResponse } from '../kit/partner-request.ts';
import { conversion } from './actions/conversion.ts';
import { metaSettings, type MetaSettings } from './settings.ts';

/** Graph API error codes that mean "too many calls": wait and try again. */
const THROTTLE_CODES = new Set([4, 17, 32, 613, 80004]);
/** Temporary or unknown errors (Graph API codes 1 and 2). */
const TRANSIENT_CODES = new Set([1, 2]);

/**
 * The Graph API answers most errors with HTTP 400 and says what happened in `error.code`: an invalid or
 * expired token (190) or a missing permission (10, 200–299) needs the operator; a dataset that does not
 * exist (100 with subcode 33) is configuration too; throttling codes wait; the rest of 400 is the payload.
 */
function classify(response: PartnerResponse): DeliveryError {
  const error = (response.body as { error?: { code?: unknown; error_subcode?: unknown } })?.error;
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const decided = classifyStatus(response);
  if (code === undefined) return decided;
  const message = `HTTP ${response.status}: ${partnerErrorSummary(response)}`;
  const details = { status: response.status, code: String(code) };
  if (
    code === 190 ||
    code === 10 ||
    (code >= 200 && code < 300) ||
    (code === 100 && error?.error_subcode === 33)
  )
    return new DeliveryError('misconfigured', message, details);
  if (THROTTLE_CODES.has(code))
    return new DeliveryError('throttled', message, { ...details, retryAfter: decided.retryAfter ?? 60_000 });
  if (TRANSIENT_CODES.has(code)) return new DeliveryError('retryable', message, details);
  return new DeliveryError(decided.kind, message, { ...details, retryAfter: decided.retryAfter });
}

/** Meta Conversions API: the store's commerce events, server-side, for ads measurement. */
export const meta: DestinationDefinition<MetaSettings> = {
  name: 'meta',
  title: 'Meta Conversions API',
  settings: metaSettings,
  concurrency: 4,
  classify,
  actions: { conversion },
};
