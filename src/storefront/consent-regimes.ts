import { trackingNeedsOptIn, type Regime } from '../consent/jurisdiction.ts';
import type { ConsentChoices } from './consent-mode.ts';

/**
 * How the banner behaves in a regime. `opt-in`: nothing runs until the visitor allows it; `opt-out`:
 * the regime's defaults apply until the visitor refuses; `notice`: US states, where tracking needs notice
 * and a "Do not sell or share" choice.
 */
export type BannerMode = 'opt-in' | 'opt-out' | 'notice';

export interface BannerRegime {
  mode: BannerMode;
  /** What applies before the visitor decides (and what GPC leaves of it where it has force). */
  defaults: ConsentChoices;
  /** The visitor is offered a separate "sale or sharing" category (US state privacy laws). */
  saleOfDataChoice: boolean;
  /** `navigator.globalPrivacyControl` is a binding opt-out of sale and sharing here (RULES.md §4, T-US). */
  gpcHasForce: boolean;
}

const NONE: ConsentChoices = { analytics: false, marketing: false, preferences: false, saleOfData: false };

/**
 * RULES.md §1 column (a), decided with the same jurisdiction code the server sends by.
 * - EU/EEA, UK, Quebec and the rest of the world: prior consent for every non-essential category. The UK's
 *   2026 exception for first-party statistics is not used: third-party analytics tags are what stores hold.
 * - Switzerland: notice and a right to refuse; Google's ad signals stay denied until consent (T-CH).
 * - Canada outside Quebec: clear notice and an immediate opt-out (OPC guidance on behavioural ads).
 * - US: notice at collection; GPC or "Do not sell or share" turns marketing and sale of data off.
 */
export function bannerRegime(regime: Regime): BannerRegime {
  if (trackingNeedsOptIn(regime)) {
    return { mode: 'opt-in', defaults: NONE, saleOfDataChoice: false, gpcHasForce: false };
  }
  switch (regime) {
    case 'CH':
      return {
        mode: 'opt-out',
        defaults: { analytics: true, marketing: false, preferences: true, saleOfData: false },
        saleOfDataChoice: false,
        gpcHasForce: false,
      };
    case 'CA':
      return {
        mode: 'opt-out',
        defaults: { analytics: true, marketing: true, preferences: true, saleOfData: true },
        saleOfDataChoice: false,
        gpcHasForce: false,
      };
    default:
      return {
        mode: 'notice',
        defaults: { analytics: true, marketing: true, preferences: true, saleOfData: true },
        saleOfDataChoice: true,
        gpcHasForce: true,
      };
  }
}

/** What GPC leaves of a regime's defaults where it has force: no marketing, no sale or sharing. */
export function withGpc(choices: ConsentChoices): ConsentChoices {
  return { ...choices, marketing: false, saleOfData: false };
}
