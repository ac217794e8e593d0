import type { Kysely } from 'kysely';
import type { Decision } from '../consent/policy.ts';
import { abandonmentDeliveries, type AbandonmentDelivery } from '../delivery/abandonment-deliveries.ts';
import type { NativeReason, TriggerBody } from '../journeys/firing.ts';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { triggersFiredBetween } from '../journeys/trigger-repository.ts';
import type { Database } from '../store/schema.ts';

/** Why Klaviyo's own tracking likely missed an abandonment (from `TriggerBody.native`). */
export type KlaviyoMissReason =
  /** Its script never ran in the journey's browser: blocked, or tracking refused. */
  | 'script_blocked'
  /** Its cookie there was anonymous, though the shopper had been identified in that browser before. */
  | 'cookie_expired'
  /** Its cookie there was anonymous; Reclaim knew the shopper from another browser or device. */
  | 'other_device'
  /** A checkout without an email typed into it (Klaviyo's Shopify integration needs one). */
  | 'no_email_in_checkout'
  /** Nobody knew who the visitor was: no contact is linked to them at all. */
  | 'anonymous_visitor';

/** Why Reclaim did not send an abandonment (yet). */
export type NotSentReason =
  /** Tracking was refused (or GPC sent) where browse and cart abandonment need it. */
  | 'no_tracking_consent'
  /** No recorded basis to message the shopper on any channel, or they withdrew it. */
  | 'no_messaging_permission'
  /** No email or phone linked to the shopper inside the identity lookback. */
  | 'no_contact'
  /** Queued or retrying (a partner outage, an SMS waiting for daytime). */
  | 'pending'
  /** Dead-lettered or dropped by an operator. */
  | 'delivery_failed'
  /** Allowed, but no destination that delivers abandonments is configured. */
  | 'no_destination';

const MISS_OF: Partial<Record<NativeReason, KlaviyoMissReason>> = {
  klaviyo_script_not_seen: 'script_blocked',
  klaviyo_cookie_anonymous: 'cookie_expired',
  known_from_other_device: 'other_device',
  no_email_typed_in_checkout: 'no_email_in_checkout',
};

/** Revenue of orders placed within the attribution window after a Reclaim send, per currency. */
export interface AttributedRevenue {
  orders: number;
  byCurrency: Record<string, string>;
}

/** One row of the gap report: a stage, a day, or the whole period. */
export interface GapTally {
  /** Abandonments Reclaim detected: journeys that went quiet past their window without a purchase. */
  abandoned: number;
  /** Of those, the ones Klaviyo's own tracking likely saw, so its native flow would start. */
  klaviyoLikelySaw: number;
  /** The rest, by why Klaviyo's own tracking missed them. */
  klaviyoMissed: Record<KlaviyoMissReason, number>;
  /** Delivered by Reclaim to the store's flows. */
  reclaimSent: number;
  /** Sent by Reclaim where Klaviyo's own tracking missed the journey: the gap Reclaim closed. */
  recovered: number;
  /** Abandonments Reclaim did not send, by reason. */
  notSent: Record<NotSentReason, number>;
  /** Reached by neither Klaviyo's own tracking nor Reclaim (sends still pending are not counted). */
  lost: number;
  /** Orders within the attribution window after a Reclaim send. */
  revenue: AttributedRevenue;
  /** The part of `revenue` that followed a send Klaviyo's own tracking would not have made. */
  recoveredRevenue: AttributedRevenue;
}

export function emptyTally(): GapTally {
  return {
    abandoned: 0,
    klaviyoLikelySaw: 0,
    klaviyoMissed: {
      script_blocked: 0,
      cookie_expired: 0,
      other_device: 0,
      no_email_in_checkout: 0,
      anonymous_visitor: 0,
    },
    reclaimSent: 0,
    recovered: 0,
    notSent: {
      no_tracking_consent: 0,
      no_messaging_permission: 0,
      no_contact: 0,
      pending: 0,
      delivery_failed: 0,
      no_destination: 0,
    },
    lost: 0,
    revenue: { orders: 0, byCurrency: {} },
    recoveredRevenue: { orders: 0, byCurrency: {} },
  };
}

/** Why Klaviyo likely missed the journey; an anonymous cookie with no contact known anywhere is an anonymous visitor. */
function missOf(trigger: TriggerBody): KlaviyoMissReason | undefined {
  const reason = MISS_OF[trigger.native.reason];
  const unknown = [trigger.recipient.email, trigger.recipient.phone].every(
    (c) => 'refused' in c && c.refused === 'none_known',
  );
  return (reason === 'cookie_expired' || reason === 'other_device') && unknown ? 'anonymous_visitor' : reason;
}

/** The reason a send did not go, from the per-channel reasons (a decision's, or the send-time recheck's). */
function notSentReason(reasons: readonly string[]): NotSentReason {
  if (reasons.some((r) => r === 'no_tracking_consent' || r === 'gpc_opt_out')) return 'no_tracking_consent';
  if (reasons.length > 0 && reasons.every((r) => r === 'no_contact')) return 'no_contact';
  return 'no_messaging_permission';
}

/** Why a trigger's decisions allow no channel. */
function refusalOf(trigger: TriggerBody): NotSentReason {
  if ([trigger.recipient.email, trigger.recipient.phone].every((c) => 'refused' in c)) return 'no_contact';
  return notSentReason(
    [trigger.decisions.email, trigger.decisions.sms].flatMap((d: Decision) =>
      'allowed' in d && !d.allowed ? [d.reason] : [],
    ),
  );
}

const allowsAChannel = (trigger: TriggerBody) =>
  [trigger.decisions.email, trigger.decisions.sms].some((d) => 'defer' in d || d.allowed);

/** Why a delivery was skipped at send time (`outcome_json.withheld`). */
function withheldReason(outcome: string | null): NotSentReason {
  const withheld = outcome
    ? (JSON.parse(outcome) as { withheld?: Record<string, string> }).withheld
    : undefined;
  return notSentReason(Object.values(withheld ?? {}));
}

/** Reclaim's outcome for a trigger, from its deliveries: sent, or why not. */
function outcomeOf(trigger: TriggerBody, deliveries: readonly AbandonmentDelivery[]): 'sent' | NotSentReason {
  if (deliveries.some((d) => d.status === 'delivered')) return 'sent';
  if (deliveries.some((d) => d.status === 'pending')) return 'pending';
  if (deliveries.some((d) => d.status === 'dead' || d.status === 'dropped')) return 'delivery_failed';
  const skipped = deliveries.find((d) => d.status === 'skipped');
  if (skipped) return allowsAChannel(trigger) ? withheldReason(skipped.outcomeJson) : refusalOf(trigger);
  return allowsAChannel(trigger) ? 'no_destination' : refusalOf(trigger);
}

/** What the report needs of one trigger: when it fired, for whom, and how it ended on both sides. */
export interface TriggerFacts {
  /** Milliseconds. */
  firedAt: number;
  stage: JourneyStage;
  profileId: string;
  klaviyoLikelySaw: boolean;
  /** Why Klaviyo likely missed it, when it did and a reason is known. */
  miss: KlaviyoMissReason | undefined;
  outcome: 'sent' | NotSentReason;
}

/**
 * The facts of every trigger fired in `[from, to)`, in firing order. Triggers fired at the same moment
 * follow their ids, so the send an order is credited to does not depend on how a database orders ties.
 */
export async function triggerFacts(db: Kysely<Database>, from: number, to: number): Promise<TriggerFacts[]> {
  const triggers = await triggersFiredBetween(db, from, to);
  const deliveries = await abandonmentDeliveries(
    db,
    triggers.map((t) => t.id),
  );
  return triggers.map((trigger) => ({
    firedAt: trigger.firedAt,
    stage: trigger.stage,
    profileId: trigger.profileId,
    klaviyoLikelySaw: trigger.native.klaviyoLikelySaw,
    miss: missOf(trigger),
    outcome: outcomeOf(trigger, deliveries.get(trigger.id) ?? []),
  }));
}

/** Counts one abandonment into a row (everything but revenue). */
export function countInto(row: GapTally, facts: TriggerFacts): void {
  row.abandoned++;
  if (facts.klaviyoLikelySaw) row.klaviyoLikelySaw++;
  else if (facts.miss) row.klaviyoMissed[facts.miss]++;
  if (facts.outcome === 'sent') {
    row.reclaimSent++;
    if (!facts.klaviyoLikelySaw) row.recovered++;
  } else {
    row.notSent[facts.outcome]++;
    if (!facts.klaviyoLikelySaw && facts.outcome !== 'pending') row.lost++;
  }
}

/** Adds one row's counts (everything but revenue) to another. */
export function addCounts(into: GapTally, add: GapTally): void {
  into.abandoned += add.abandoned;
  into.klaviyoLikelySaw += add.klaviyoLikelySaw;
  for (const reason of Object.keys(add.klaviyoMissed) as KlaviyoMissReason[])
    into.klaviyoMissed[reason] += add.klaviyoMissed[reason];
  into.reclaimSent += add.reclaimSent;
  into.recovered += add.recovered;
  for (const reason of Object.keys(add.notSent) as NotSentReason[])
    into.notSent[reason] += add.notSent[reason];
  into.lost += add.lost;
}

/** A Reclaim send, as crediting orders needs it. */
export type GapSend = Pick<TriggerFacts, 'firedAt' | 'stage' | 'profileId' | 'klaviyoLikelySaw'>;

/** One UTC day's abandonments, counted per stage, and its sends in firing order. */
export interface GapDay {
  /** UTC day number: milliseconds ÷ 86,400,000, rounded down. */
  day: number;
  byStage: Record<JourneyStage, GapTally>;
  sends: GapSend[];
}

const DAY = 86_400_000;

/** The days of the facts given (in firing order), each counted, in order. */
export function summarizeDays(facts: readonly TriggerFacts[]): GapDay[] {
  const days = new Map<number, GapDay>();
  for (const f of facts) {
    const day = Math.floor(f.firedAt / DAY);
    let summary = days.get(day);
    if (!summary) {
      summary = {
        day,
        byStage: Object.fromEntries(STAGES.map((s) => [s, emptyTally()])) as Record<JourneyStage, GapTally>,
        sends: [],
      };
      days.set(day, summary);
    }
    countInto(summary.byStage[f.stage], f);
    if (f.outcome === 'sent')
      summary.sends.push({
        firedAt: f.firedAt,
        stage: f.stage,
        profileId: f.profileId,
        klaviyoLikelySaw: f.klaviyoLikelySaw,
      });
  }
  return [...days.values()].sort((a, b) => a.day - b.day);
}
