/**
 * What the consent ledger currently says per subject: derived from the ledger, one row per subject and
 * permission, so a decision never has to replay the chain. Every mark keeps the ledger record behind it.
 */

/** Legal bases a send can rely on (RULES.md §2). */
export type LegalBasis =
  'consent' | 'soft_opt_in' | 'ch_customer_exception' | 'casl_implied_ebr' | 'can_spam_opt_out' | 'none';

/** The events a ledger record can be (RULES.md §2). */
export type LedgerAction =
  | 'grant'
  | 'deny'
  | 'withdraw'
  | 'object'
  | 'gpc_signal'
  | 'soft_optin_established'
  | 'implied_ebr_established'
  | 'expired';

export type LedgerPermission = 'tracking' | 'email_marketing' | 'sms_marketing';

/** When something happened (event time) and which ledger record says so. */
export interface Mark {
  at: number;
  recordId: string;
}

export interface EmailState {
  /** A recorded opt-in. */
  explicit?: Mark;
  /** Soft opt-in (EU/UK) or the Swiss customer exception, with its preconditions recorded. */
  soft?: Mark & { kind: 'soft_opt_in' | 'ch_customer_exception' };
  /** CASL implied consent from a purchase, until `expiresAt`. */
  implied?: Mark & { expiresAt: number };
  /** A refusal (an opt-in box left unticked, Shopify `not_subscribed`): ends an earlier explicit grant. */
  denied?: Mark;
  /** Unsubscribe or objection: wins over everything earlier, across every flow (rule W). */
  withdrawn?: Mark;
}

export interface SmsState {
  /** Prior express written consent (an SMS-specific opt-in). */
  explicit?: Mark;
  denied?: Mark;
  withdrawn?: Mark;
}

/** A device's recorded tracking decisions (banner choices, GPC). */
export interface TrackingState {
  /** The latest banner decision: granted only when analytics and marketing were both allowed. */
  decision?: Mark & { granted: boolean; saleOfData: boolean };
  /** First Global Privacy Control signal seen from this device. */
  gpc?: Mark;
}

export interface ConsentRecordEffect {
  permission: LedgerPermission;
  action: LedgerAction;
  at: number;
  recordId: string;
  /** For tracking decisions. */
  granted?: boolean;
  saleOfData?: boolean;
  /** For soft opt-in records. */
  softKind?: 'soft_opt_in' | 'ch_customer_exception';
  /** For CASL implied consent. */
  expiresAt?: number;
}

const later = (mark: Mark | undefined, at: number) => mark === undefined || at >= mark.at;

/** Folds one ledger record into an email state (latest event time wins per mark). */
export function applyEmail(state: EmailState, effect: ConsentRecordEffect): EmailState {
  const mark = { at: effect.at, recordId: effect.recordId };
  switch (effect.action) {
    case 'grant':
      return later(state.explicit, effect.at) ? { ...state, explicit: mark } : state;
    case 'deny':
      return later(state.denied, effect.at) ? { ...state, denied: mark } : state;
    case 'withdraw':
    case 'object':
      return later(state.withdrawn, effect.at) ? { ...state, withdrawn: mark } : state;
    case 'soft_optin_established':
      return later(state.soft, effect.at)
        ? { ...state, soft: { ...mark, kind: effect.softKind ?? 'soft_opt_in' } }
        : state;
    case 'implied_ebr_established':
      return later(state.implied, effect.at)
        ? { ...state, implied: { ...mark, expiresAt: effect.expiresAt ?? effect.at } }
        : state;
    default:
      return state;
  }
}

export function applySms(state: SmsState, effect: ConsentRecordEffect): SmsState {
  const mark = { at: effect.at, recordId: effect.recordId };
  switch (effect.action) {
    case 'grant':
      return later(state.explicit, effect.at) ? { ...state, explicit: mark } : state;
    case 'deny':
      return later(state.denied, effect.at) ? { ...state, denied: mark } : state;
    case 'withdraw':
    case 'object':
      return later(state.withdrawn, effect.at) ? { ...state, withdrawn: mark } : state;
    default:
      return state;
  }
}

export function applyTracking(state: TrackingState, effect: ConsentRecordEffect): TrackingState {
  const mark = { at: effect.at, recordId: effect.recordId };
  if (effect.action === 'gpc_signal') return state.gpc ? state : { ...state, gpc: mark };
  if (effect.action === 'grant' || effect.action === 'deny' || effect.action === 'withdraw') {
    if (!later(state.decision, effect.at)) return state;
    return {
      ...state,
      decision: {
        ...mark,
        granted: effect.action === 'grant' && effect.granted !== false,
        saleOfData: effect.saleOfData ?? false,
      },
    };
  }
  return state;
}

/** An opt-in still standing: later than any withdrawal and any refusal. */
export function standing(mark: Mark | undefined, ...cancelledBy: (Mark | undefined)[]): Mark | undefined {
  if (!mark) return undefined;
  return cancelledBy.every((c) => c === undefined || c.at < mark.at) ? mark : undefined;
}
