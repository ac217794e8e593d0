import { trackingNeedsOptIn, type Regime } from '../consent/jurisdiction.ts';
import type { ScanState, StateFindings, Violation } from './scan-result.ts';
import type { Category } from './vendors.ts';

/** One finding, as the rules see it. */
export interface Finding {
  kind: Violation['kind'];
  category: Category;
  vendor: string | null;
}

/**
 * The store's own platform, acting for the store: its statistics are the store's first-party analytics
 * (RULES.md T-UK) and it neither sells nor shares (T-US). A cookie on the store's domain set by another
 * vendor's script (`_ga`, `_fbp`) is that vendor's tracker, whatever its domain.
 */
const STORE_PLATFORM = 'Shopify';

/**
 * Which rule a finding breaks in a state under a regime (RULES.md §1 column a), or undefined when it breaks
 * none. Necessary storage is always exempt; `unknown` is never a violation, it is shown for a person to
 * classify. After "Reject all" a cookie or storage key for preferences also counts, since the shopper
 * refused everything optional; a request to a preferences widget's host stores nothing and does not.
 */
export function ruleBroken(regime: Regime, state: ScanState, finding: Finding): string | undefined {
  const { category, kind, vendor } = finding;
  const own = vendor === STORE_PLATFORM;
  if (category === 'necessary' || category === 'unknown' || state === 'accept') return undefined;
  const tracking = category === 'analytics' || category === 'marketing';
  const stored = kind !== 'request';
  if (regime === 'US') {
    // An opt-out of sale/sharing ("Reject all", or GPC) leaves first-party only (11 CCR §7025).
    return state === 'reject' && category === 'marketing' && !own ? RULES['T-US'] : undefined;
  }
  if (trackingNeedsOptIn(regime)) {
    const id = regime === 'UK' ? 'T-UK' : regime === 'CA-QC' ? 'T-CA' : regime === 'ROW' ? 'T-ROW' : 'T-EU';
    if (state === 'before') {
      if (!tracking) return undefined;
      // UK: first-party statistical analytics is allowed with notice and an easy objection (PECR Sch A1).
      if (regime === 'UK' && category === 'analytics' && own) return undefined;
      return RULES[id];
    }
    return tracking || stored ? RULES[id] : undefined;
  }
  // CH and Canada outside Quebec: notice and a right to refuse; after a refusal, tracking must stop.
  if (state === 'before') return undefined;
  return tracking ? RULES[regime === 'CH' ? 'T-CH' : 'T-CA'] : undefined;
}

const RULES = {
  'T-EU': 'T-EU: nothing beyond strictly necessary may be stored or read before consent (ePrivacy art. 5(3))',
  'T-ROW': 'T-ROW: EU-like default, nothing beyond strictly necessary before consent',
  'T-UK': 'T-UK: marketing and identifying trackers need prior consent (PECR reg. 6, DUAA 2025 Sch A1)',
  'T-CA':
    'T-CA: identifying and profiling technology is off until the visitor turns it on (Quebec Law 25 s.8.1) or stops on refusal',
  'T-CH': 'T-CH: processing must stop when the visitor refuses (Telecommunications Act art. 45c(b))',
  'T-US': 'T-US: after an opt-out, no sale, sharing or targeted advertising by third parties (11 CCR §7025)',
} as const;

/** Every violation in the three states of one scan, each with its evidence. */
export function judge(regime: Regime, states: Record<ScanState, StateFindings>): Violation[] {
  const out: Violation[] = [];
  for (const state of ['before', 'reject', 'accept'] as const) {
    const findings = states[state];
    for (const c of findings.cookies) {
      const rule = ruleBroken(regime, state, { kind: 'cookie', ...c });
      if (rule)
        out.push({
          state,
          kind: 'cookie',
          name: c.name,
          host: c.domain.replace(/^\./, ''),
          vendor: c.vendor,
          category: c.category,
          rule,
          evidence: c.setBy,
        });
    }
    for (const s of findings.storage) {
      const rule = ruleBroken(regime, state, { kind: 'storage', ...s });
      if (rule)
        out.push({
          state,
          kind: 'storage',
          name: s.key,
          host: new URL(s.origin).host,
          vendor: s.vendor,
          category: s.category,
          rule,
          evidence: `${s.area}Storage of ${s.origin}`,
        });
    }
    for (const r of findings.requests) {
      const rule = ruleBroken(regime, state, { kind: 'request', ...r });
      if (rule)
        out.push({
          state,
          kind: 'request',
          name: r.host,
          host: r.host,
          vendor: r.vendor,
          category: r.category,
          rule,
          evidence: `${r.count} request${r.count === 1 ? '' : 's'}, first from ${r.initiator}`,
        });
    }
  }
  return out;
}
