import type { TrackingCategories } from '../event-log/canonical-event.ts';
import type { EmailState, LegalBasis, SmsState, TrackingState } from './consent-state.ts';
import { standing } from './consent-state.ts';
import type { Jurisdiction } from './jurisdiction.ts';
import { nextAllowedTime, recipientZones } from './quiet-hours.ts';

/** The trigger stages a decision covers: the three abandonments, and win-back (past buyers). */
export type DecisionStage = 'browse' | 'cart' | 'checkout' | 'winback';
export type Channel = 'email' | 'sms';

/** Merchant settings that change what Reclaim decides (docs/compliance.md). */
export interface ConsentSettings {
  /** US: require an explicit opt-in instead of CAN-SPAM's opt-out regime. */
  usEmailRequiresOptIn: boolean;
  /**
   * US: a data-processing agreement makes the email platform a service provider, so GPC does not stop
   * first-party browse and cart triggers. Without it, GPC suppresses them.
   */
  espServiceProviderDpa: boolean;
}

/** Everything a decision depends on, gathered by the caller; `decide` itself reads nothing. */
export interface DecisionInput {
  stage: DecisionStage;
  jurisdiction: Jurisdiction;
  tracking: {
    /** Shopify's Customer Privacy flags on the journey's latest event, if any were sent. */
    categories?: TrackingCategories;
    /** Recorded banner decisions and GPC for the journey's devices. */
    recorded: TrackingState;
    /** A Global Privacy Control signal was seen on the journey. */
    gpc: boolean;
  };
  email?: { address: string; state: EmailState };
  phone?: { number: string; state: SmsState };
  /** The shopper's last purchase (event time), for CASL's two-year relationship on win-back. */
  lastPurchaseAt?: number;
}

/** Why a send is not allowed. */
export type DenialReason =
  | 'no_contact'
  | 'withdrawn'
  | 'no_tracking_consent'
  | 'gpc_opt_out'
  | 'no_marketing_permission'
  | 'no_sms_consent';

export type Decision =
  | { allowed: true; basis: LegalBasis; recordIds: string[] }
  | { allowed: false; reason: DenialReason; recordIds: string[] }
  | { defer: number; reason: 'sms_quiet_hours'; basis: LegalBasis; recordIds: string[] };

const ALLOW = (basis: LegalBasis, recordIds: (string | undefined)[]): Decision => ({
  allowed: true,
  basis,
  recordIds: recordIds.filter((id): id is string => id !== undefined),
});
const DENY = (reason: DenialReason, recordIds: (string | undefined)[] = []): Decision => ({
  allowed: false,
  reason,
  recordIds: recordIds.filter((id): id is string => id !== undefined),
});

/**
 * Whether a trigger may be sent on a channel, on which legal basis, and on which ledger records —
 * RULES.md §1 as written, conservative choices included. A pure function: `now` is the caller's clock.
 */
export function decide(
  input: DecisionInput,
  channel: Channel,
  now: number,
  settings: ConsentSettings,
): Decision {
  const tracked = trackingPermits(input, settings);
  const needsTracking = input.stage === 'browse' || input.stage === 'cart';
  if (needsTracking && !tracked.ok) return DENY(tracked.reason, tracked.recordIds);
  return channel === 'email'
    ? decideEmail(input, now, settings, needsTracking ? tracked.recordIds : [])
    : decideSms(input, now, needsTracking ? tracked.recordIds : []);
}

/** Whether identifying the visitor by a device identifier was lawful (RULES.md column a, and T-US). */
function trackingPermits(
  input: DecisionInput,
  settings: ConsentSettings,
): { ok: true; recordIds: string[] } | { ok: false; reason: DenialReason; recordIds: string[] } {
  const { regime } = input.jurisdiction;
  const { categories, recorded, gpc } = input.tracking;
  const decision = recorded.decision;
  const shopifyAllows = categories ? categories.analytics && categories.marketing : undefined;
  const ids = decision ? [decision.recordId] : [];
  // A recorded banner decision is the shopper's own choice; Shopify's flags narrow it, never widen it.
  const granted = (decision?.granted ?? shopifyAllows === true) && shopifyAllows !== false;
  const denied = decision?.granted === false || shopifyAllows === false;
  switch (regime) {
    case 'EU':
    case 'ROW':
    case 'UK':
    case 'CA-QC':
      return granted
        ? { ok: true, recordIds: ids }
        : { ok: false, reason: 'no_tracking_consent', recordIds: ids };
    case 'CH':
    case 'CA':
      return denied
        ? { ok: false, reason: 'no_tracking_consent', recordIds: ids }
        : { ok: true, recordIds: ids };
    case 'US': {
      if (denied) return { ok: false, reason: 'no_tracking_consent', recordIds: ids };
      // GPC is an opt-out of sale/sharing; with no DPA, Reclaim treats the send as sharing unless the
      // shopper explicitly allowed sharing after the conflict notice (11 CCR §7025(c)(3)).
      const sharingAllowedAfterGpc =
        decision?.granted === true &&
        decision.saleOfData &&
        (!recorded.gpc || decision.at >= recorded.gpc.at);
      if (gpc && !settings.espServiceProviderDpa && !sharingAllowedAfterGpc) {
        return {
          ok: false,
          reason: 'gpc_opt_out',
          recordIds: [...ids, ...(recorded.gpc ? [recorded.gpc.recordId] : [])],
        };
      }
      return { ok: true, recordIds: ids };
    }
  }
}

function decideEmail(
  input: DecisionInput,
  now: number,
  settings: ConsentSettings,
  trackingIds: string[],
): Decision {
  if (!input.email) return DENY('no_contact');
  const state = input.email.state;
  if (state.withdrawn) {
    const optedInAgain = state.explicit && state.explicit.at > state.withdrawn.at;
    if (!optedInAgain) return DENY('withdrawn', [state.withdrawn.recordId]);
  }
  const explicit = standing(state.explicit, state.withdrawn, state.denied);
  const soft = standing(state.soft, state.withdrawn);
  const implied = standing(state.implied, state.withdrawn);
  const impliedValid = implied && state.implied!.expiresAt > now ? implied : undefined;
  const { regime } = input.jurisdiction;
  if (explicit) return ALLOW('consent', [...trackingIds, explicit.recordId]);
  switch (regime) {
    case 'EU':
    case 'UK':
      return soft ? ALLOW('soft_opt_in', [...trackingIds, soft.recordId]) : DENY('no_marketing_permission');
    case 'CH':
      return soft
        ? ALLOW(state.soft!.kind, [...trackingIds, soft.recordId])
        : DENY('no_marketing_permission');
    case 'CA':
    case 'CA-QC': {
      if (impliedValid) return ALLOW('casl_implied_ebr', [...trackingIds, impliedValid.recordId]);
      const twoYears = 2 * 365.25 * 86_400_000;
      if (
        input.stage === 'winback' &&
        input.lastPurchaseAt !== undefined &&
        now - input.lastPurchaseAt <= twoYears
      ) {
        return ALLOW('casl_implied_ebr', trackingIds);
      }
      return DENY('no_marketing_permission');
    }
    case 'US':
      if (settings.usEmailRequiresOptIn) return DENY('no_marketing_permission');
      return ALLOW('can_spam_opt_out', trackingIds);
    case 'ROW':
      return DENY('no_marketing_permission');
  }
}

function decideSms(input: DecisionInput, now: number, trackingIds: string[]): Decision {
  if (!input.phone) return DENY('no_contact');
  const state = input.phone.state;
  const explicit = standing(state.explicit, state.withdrawn, state.denied);
  if (!explicit)
    return state.withdrawn ? DENY('withdrawn', [state.withdrawn.recordId]) : DENY('no_sms_consent');
  const defer = nextAllowedTime(now, recipientZones(input.phone.number, input.jurisdiction.region));
  const recordIds = [...trackingIds, explicit.recordId];
  return defer === undefined
    ? ALLOW('consent', recordIds)
    : { defer, reason: 'sms_quiet_hours', basis: 'consent', recordIds };
}

/**
 * A decision made when a trigger fired, checked again when it is sent (rule W: a withdrawal takes effect
 * immediately, across every flow). A withdrawal or refusal recorded since — or recorded late with an
 * earlier event time — stops the send; an SMS waits for the recipient's daytime. Nothing can widen the
 * original decision.
 */
export function recheckAtSend(
  decision: Decision,
  channel: Channel,
  state: EmailState | SmsState,
  now: number,
  quietHours: { phone: string; region?: string } | undefined,
): Decision {
  if ('allowed' in decision && !decision.allowed) return decision;
  if (state.withdrawn && !(state.explicit && state.explicit.at > state.withdrawn.at))
    return DENY('withdrawn', [state.withdrawn.recordId]);
  if (decision.basis === 'consent' && !standing(state.explicit, state.withdrawn, state.denied)) {
    const ended = state.denied ?? state.withdrawn;
    return DENY(channel === 'sms' ? 'no_sms_consent' : 'no_marketing_permission', [
      ...(ended ? [ended.recordId] : []),
    ]);
  }
  if (channel === 'sms' && quietHours) {
    const defer = nextAllowedTime(now, recipientZones(quietHours.phone, quietHours.region));
    if (defer !== undefined)
      return { defer, reason: 'sms_quiet_hours', basis: decision.basis, recordIds: decision.recordIds };
  }
  return ALLOW(decision.basis, decision.recordIds);
}
