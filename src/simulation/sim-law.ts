/**
 * The law as the simulator's ground truth applies it (`compliance/RULES.md` §1), written apart from
 * Reclaim's own policy so that the scorer checks Reclaim against the rules rather than against itself.
 * It covers what the simulator produces: recorded opt-ins and unsubscribes, CAN-SPAM in the US, CASL
 * implied consent from a purchase in Canada, banner decisions and GPC.
 */
export type SimRegime = 'EU' | 'UK' | 'CH' | 'US' | 'CA' | 'CA-QC' | 'ROW';

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

export function resolveRegime(country: string, region: string | undefined): SimRegime {
  if (EEA.has(country)) return 'EU';
  if (country === 'GB') return 'UK';
  if (country === 'CH') return 'CH';
  if (country === 'US') return 'US';
  if (country === 'CA') return region === 'CA-QC' ? 'CA-QC' : 'CA';
  return 'ROW';
}

/** Where a visitor must accept tracking before a device may identify them (a banner asks). */
export const bannerAsks = (regime: SimRegime) =>
  regime === 'EU' || regime === 'UK' || regime === 'CA-QC' || regime === 'ROW';

const TWO_YEARS = 2 * 365.25 * 86_400_000;

/** A person's email marketing history: opt-ins and unsubscribes, in time order. */
export interface EmailHistory {
  marks: { at: number; state: 'subscribed' | 'unsubscribed' }[];
  /** Purchases (event time), for CASL's implied consent. */
  purchases: number[];
}

/** May marketing email go to this person at `at`? */
export function emailAllowed(regime: SimRegime, history: EmailHistory, at: number): boolean {
  const last = [...history.marks]
    .filter((m) => m.at <= at)
    .sort((a, b) => a.at - b.at)
    .at(-1);
  if (last?.state === 'unsubscribed') return false;
  if (last?.state === 'subscribed') return true;
  switch (regime) {
    case 'US':
      return true;
    case 'CA':
    case 'CA-QC':
      return history.purchases.some((p) => p <= at && at - p <= TWO_YEARS);
    default:
      return false;
  }
}

/** May a marketing text go to this person at `at` (time of day aside)? */
export function smsAllowed(
  marks: { at: number; state: 'subscribed' | 'unsubscribed' }[],
  at: number,
): boolean {
  const last = [...marks]
    .filter((m) => m.at <= at)
    .sort((a, b) => a.at - b.at)
    .at(-1);
  return last?.state === 'subscribed';
}
