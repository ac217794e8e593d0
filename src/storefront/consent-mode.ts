/**
 * The four storefront consent categories as the banner, Shopify's Customer Privacy API and the ledger
 * name them (CONTRACT.md "Storefront consent"). Shared by the server and the browser bundle.
 */
export interface ConsentChoices {
  analytics: boolean;
  marketing: boolean;
  preferences: boolean;
  /** US: the visitor did not opt out of the sale or sharing of their data. */
  saleOfData: boolean;
}

type Signal = 'granted' | 'denied';

/** Google Consent Mode v2 types, as `gtag('consent', …)` takes them. */
export interface ConsentModeState {
  ad_storage: Signal;
  analytics_storage: Signal;
  ad_user_data: Signal;
  ad_personalization: Signal;
  functionality_storage: Signal;
  personalization_storage: Signal;
  security_storage: Signal;
}

const signal = (allowed: boolean): Signal => (allowed ? 'granted' : 'denied');

/**
 * RULES.md §4 "Our mapping": analytics → `analytics_storage`; marketing → the three `ad_*` types, all
 * denied when the visitor opted out of sale or sharing (US GPC or "Do not sell or share"); preferences →
 * functionality and personalisation storage. Security storage is strictly necessary.
 */
export function consentModeState(choices: ConsentChoices): ConsentModeState {
  const ads = signal(choices.marketing && choices.saleOfData);
  return {
    ad_storage: ads,
    analytics_storage: signal(choices.analytics),
    ad_user_data: ads,
    ad_personalization: ads,
    functionality_storage: signal(choices.preferences),
    personalization_storage: signal(choices.preferences),
    security_storage: 'granted',
  };
}

/** Shopify's `setTrackingConsent` argument (Customer Privacy API, "collect and register consent"). */
export function shopifyTrackingConsent(choices: ConsentChoices): {
  analytics: boolean;
  marketing: boolean;
  preferences: boolean;
  sale_of_data: boolean;
} {
  return {
    analytics: choices.analytics,
    marketing: choices.marketing,
    preferences: choices.preferences,
    sale_of_data: choices.saleOfData,
  };
}

/** How a decision is counted on the consent-rates report. */
export type DecisionKind = 'acceptAll' | 'rejectAll' | 'custom';

/** All four allowed: accept all; none: reject all; anything else is a choice made in the preferences. */
export function decisionKind(choices: ConsentChoices): DecisionKind {
  const values = [choices.analytics, choices.marketing, choices.preferences, choices.saleOfData];
  if (values.every(Boolean)) return 'acceptAll';
  if (!values.some(Boolean)) return 'rejectAll';
  return 'custom';
}
