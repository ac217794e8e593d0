import { classifyStatus } from '../kit/classify-status.ts';
import { DeliveryError } from '../kit/delivery-errors.ts';
import type { DestinationDefinition } from '../kit/destination.ts';
import type { PartnerResponse } from '../kit/partner-request.ts';
import { abandonment } from './actions/abandonment.ts';
import { erasure } from './actions/erasure.ts';
import { subscription } from './actions/subscription.ts';
import { klaviyoHeaders, klaviyoSettings, type KlaviyoSettings } from './settings.ts';

/**
 * Klaviyo's errors are JSON:API (`{"errors":[{"status","code","title","detail"}]}`); the first error's
 * `code` travels with the decision, so an action can act on `duplicate_profile`.
 */
function classify(response: PartnerResponse): DeliveryError {
  const decided = classifyStatus(response);
  const first = (response.body as { errors?: { code?: unknown }[] } | undefined)?.errors?.[0];
  const code = typeof first?.code === 'string' ? first.code : undefined;
  return new DeliveryError(decided.kind, decided.message, {
    status: decided.status,
    retryAfter: decided.retryAfter,
    code,
  });
}

/**
 * Klaviyo: abandonment triggers as events that start the store's Reclaim flows; deletion requests;
 * marketing subscriptions carried from the consent ledger (when the store turns them on).
 */
export const klaviyo: DestinationDefinition<KlaviyoSettings> = {
  name: 'klaviyo',
  title: 'Klaviyo',
  settings: klaviyoSettings,
  concurrency: 16,
  rateShare: (settings) => settings.rateLimitShare,
  headers: klaviyoHeaders,
  classify,
  actions: { abandonment, erasure, subscription },
};
