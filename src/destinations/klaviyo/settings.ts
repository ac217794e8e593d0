import type { Config } from '../../config/config-schema.ts';
import type { JourneyStage } from '../../journeys/journey.ts';

/** The Klaviyo API revision Reclaim speaks, and the one `contracts/klaviyo/` holds the spec of. */
export const KLAVIYO_REVISION = '2026-07-15';

export interface KlaviyoSettings {
  apiKey: string;
  /** API origin (`https://a.klaviyo.com`, or a stand-in). */
  baseUrl: string;
  /** Metric name per trigger stage. */
  metrics: Record<JourneyStage, string>;
  rateLimitShare: number;
  bulkBacklog: number;
  /** Carry SMS and email opt-ins and withdrawals from the consent ledger to Klaviyo (default off). */
  syncConsent: { sms: boolean; email: boolean };
}

/** Klaviyo is on when a private API key is configured. */
export function klaviyoSettings(config: Config): KlaviyoSettings | undefined {
  const k = config.klaviyo;
  if (!k.apiKey) return undefined;
  return {
    apiKey: k.apiKey,
    baseUrl: k.baseUrl,
    metrics: { ...k.metrics },
    rateLimitShare: k.rateLimitShare,
    bulkBacklog: k.bulkBacklog,
    syncConsent: { sms: k.syncSmsConsent, email: k.syncEmailConsent },
  };
}

/** Headers every Klaviyo request carries. */
export const klaviyoHeaders = (settings: KlaviyoSettings): Record<string, string> => ({
  authorization: `Klaviyo-API-Key ${settings.apiKey}`,
  revision: KLAVIYO_REVISION,
  accept: 'application/vnd.api+json',
  'content-type': 'application/vnd.api+json',
});
