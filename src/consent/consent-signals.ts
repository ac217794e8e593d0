import type { TrackingCategories } from '../event-log/canonical-event.ts';
import type { TrackingState } from './consent-state.ts';
import { trackingNeedsOptIn, type Jurisdiction } from './jurisdiction.ts';

export type GoogleConsent = 'granted' | 'denied';

/** What the destinations are told about a shopper's consent, derived from the same state as every decision. */
export interface ConsentSignals {
  /** Google Consent Mode v2 (RULES.md §4 mapping). GA4's Measurement Protocol takes the last two. */
  google: {
    ad_storage: GoogleConsent;
    analytics_storage: GoogleConsent;
    ad_user_data: GoogleConsent;
    ad_personalization: GoogleConsent;
  };
  /** Meta Conversions API data processing options: Limited Data Use where a US shopper opted out of sale/sharing. */
  meta: {
    data_processing_options: string[];
    data_processing_options_country?: number;
    data_processing_options_state?: number;
  };
}

export interface SignalInput {
  jurisdiction: Jurisdiction;
  categories?: TrackingCategories;
  recorded: TrackingState;
  gpc: boolean;
}

/**
 * Consent Mode v2 and Meta's data processing options per shopper: analytics consent → `analytics_storage`;
 * marketing consent → `ad_storage`, `ad_user_data`, `ad_personalization`; a US opt-out of sale/sharing
 * (GPC, or sale of data refused) → all `ad_*` denied and Meta's LDU with Meta's own geolocation; in
 * Switzerland the `ad_*` signals stay denied until an explicit banner consent (Google's EU policy).
 */
export function consentSignals(input: SignalInput): ConsentSignals {
  const { regime } = input.jurisdiction;
  const decision = input.recorded.decision;
  const flags = input.categories;
  const optIn = trackingNeedsOptIn(regime);
  const analytics = decision ? decision.granted || (flags?.analytics ?? false) : (flags?.analytics ?? !optIn);
  let marketing = decision ? decision.granted && (flags?.marketing ?? true) : (flags?.marketing ?? !optIn);
  if (regime === 'CH') marketing = decision?.granted === true && (flags?.marketing ?? true);
  const saleOptOut =
    regime === 'US' &&
    (input.gpc || flags?.saleOfData === false) &&
    !(
      decision?.granted &&
      decision.saleOfData &&
      (!input.recorded.gpc || decision.at >= input.recorded.gpc.at)
    );
  if (saleOptOut) marketing = false;
  const g = (allowed: boolean): GoogleConsent => (allowed ? 'granted' : 'denied');
  return {
    google: {
      ad_storage: g(marketing),
      analytics_storage: g(analytics),
      ad_user_data: g(marketing),
      ad_personalization: g(marketing),
    },
    meta: saleOptOut
      ? {
          data_processing_options: ['LDU'],
          data_processing_options_country: 0,
          data_processing_options_state: 0,
        }
      : { data_processing_options: [] },
  };
}
