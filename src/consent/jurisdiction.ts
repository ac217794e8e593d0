import type { EventContext } from '../event-log/canonical-event.ts';

/**
 * The regimes of RULES.md §1. `ROW` is the rest of the world, which gets EU-like defaults; `CA-QC` is
 * Quebec (Law 25), stricter than the rest of Canada.
 */
export type Regime = 'EU' | 'UK' | 'CH' | 'US' | 'CA' | 'CA-QC' | 'ROW';

/** Strictness, strictest first (RULES.md rule J): EU/EEA = ROW > UK > CA-QC > CH > CA > US. */
const STRICTNESS: Record<Regime, number> = { EU: 0, ROW: 0, UK: 1, 'CA-QC': 2, CH: 3, CA: 4, US: 5 };

/** EU member states and the rest of the EEA. */
const EEA = new Set([
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
]);

/** Version of the resolution rule, recorded on every consent record. */
export const JURISDICTION_RULE_VERSION = 'J-2026-11';

export interface Jurisdiction {
  regime: Regime;
  /** The country the regime came from; absent when nothing was known (EU by default). */
  country?: string;
  /** ISO 3166-2 subdivision when known (`US-CA`, `CA-QC`). */
  region?: string;
  /** Every signal considered, as `source=value`. */
  signals: string[];
  /** True when no signal was available and the EU default applied. */
  unknown: boolean;
}

/** The regime one country (and subdivision) falls under. Canada without a province counts as Quebec. */
export function regimeOf(country: string, region?: string): Regime {
  if (EEA.has(country)) return 'EU';
  if (country === 'GB' || country === 'UK') return 'UK';
  if (country === 'CH') return 'CH';
  if (country === 'US') return 'US';
  if (country === 'CA') return region && region !== 'CA-QC' ? 'CA' : 'CA-QC';
  return 'ROW';
}

/**
 * Rule J: every signal (trusted geo headers, shipping and billing addresses, the customer's default
 * address) is considered; when they disagree the strictest regime applies; with none, EU rules apply.
 */
export function resolveJurisdiction(geos: readonly (EventContext['geo'] | undefined)[]): Jurisdiction {
  const candidates: { country: string; region?: string; signal: string }[] = [];
  for (const geo of geos) {
    if (!geo) continue;
    const add = (source: string, country?: string, region?: string) => {
      if (!country) return;
      const inCountry = region?.startsWith(`${country}-`) ? region : undefined;
      candidates.push({ country, region: inCountry, signal: `${source}=${inCountry ?? country}` });
    };
    add('geo', geo.country, geo.region);
    add('shipping', geo.shippingCountry, geo.shippingRegion);
    add('billing', geo.billingCountry, geo.billingRegion);
    add('customer', geo.customerCountry, geo.customerRegion);
  }
  if (candidates.length === 0) return { regime: 'EU', signals: [], unknown: true };
  let best = candidates[0]!;
  let bestRegime = regimeOf(best.country, best.region);
  for (const candidate of candidates.slice(1)) {
    const regime = regimeOf(candidate.country, candidate.region);
    if (
      STRICTNESS[regime] < STRICTNESS[bestRegime] ||
      (regime === bestRegime && !best.region && candidate.region)
    ) {
      best = candidate;
      bestRegime = regime;
    }
  }
  return {
    regime: bestRegime,
    country: best.country,
    ...(best.region ? { region: best.region } : {}),
    signals: [...new Set(candidates.map((c) => c.signal))],
    unknown: false,
  };
}

/** Regimes where an identifying tracker needs prior consent (RULES.md column a). */
export function trackingNeedsOptIn(regime: Regime): boolean {
  return regime === 'EU' || regime === 'ROW' || regime === 'UK' || regime === 'CA-QC';
}
