import type { Kysely } from 'kysely';
import type { Decision } from '../consent/policy.ts';
import { addAmounts } from '../ingest/money.ts';
import type { NativeReason, TriggerBody } from '../journeys/firing.ts';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { chunks } from '../journeys/journey-repository.ts';
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

export interface GapReport {
  from: string;
  to: string;
  /** Orders this long after a send are credited to it (ms). */
  attributionWindowMs: number;
  total: GapTally;
  byStage: Record<JourneyStage, GapTally>;
  /** Per UTC day of the abandonment (when its trigger fired). */
  days: (GapTally & { day: string })[];
  /** Abandonments the store's rules held back (one per cart or checkout, a browse cap, a recent purchase). */
  suppressed: Record<string, number>;
  /**
   * Storefront behaviour from visitors who had not allowed tracking where the law asks first: counted
   * without identifiers, so no journey could be formed from it (RULES.md, enforcement at ingest).
   */
  untracked: { events: number; byKind: Record<string, number> };
}

export interface GapReportOptions {
  from: number;
  to: number;
  attributionWindow: number;
}

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function emptyTally(): GapTally {
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
function outcomeOf(
  trigger: TriggerBody,
  deliveries: readonly { status: string; outcome_json: string | null }[],
): 'sent' | NotSentReason {
  if (deliveries.some((d) => d.status === 'delivered')) return 'sent';
  if (deliveries.some((d) => d.status === 'pending')) return 'pending';
  if (deliveries.some((d) => d.status === 'dead' || d.status === 'dropped')) return 'delivery_failed';
  const skipped = deliveries.find((d) => d.status === 'skipped');
  if (skipped) return allowsAChannel(trigger) ? withheldReason(skipped.outcome_json) : refusalOf(trigger);
  return allowsAChannel(trigger) ? 'no_destination' : refusalOf(trigger);
}

function credit(revenue: AttributedRevenue, value: string | null, currency: string | null): void {
  revenue.orders++;
  if (value === null) return;
  const key = currency ?? 'unknown';
  const before = Object.hasOwn(revenue.byCurrency, key) ? revenue.byCurrency[key]! : '0';
  revenue.byCurrency[key] = addAmounts(before, value);
}

/** Follows `merged_into` to today's profile for every id given. */
async function rootsOf(db: Kysely<Database>, ids: Iterable<string>): Promise<Map<string, string>> {
  const parent = new Map<string, string | null>();
  let wanted = [...new Set(ids)];
  while (wanted.length > 0) {
    const next: string[] = [];
    for (const part of chunks(wanted)) {
      const rows = await db
        .selectFrom('profiles')
        .select(['id', 'merged_into'])
        .where('id', 'in', part)
        .execute();
      for (const row of rows) {
        parent.set(row.id, row.merged_into);
        if (row.merged_into && !parent.has(row.merged_into)) next.push(row.merged_into);
      }
    }
    for (const id of wanted) if (!parent.has(id)) parent.set(id, null);
    wanted = [...new Set(next)];
  }
  const roots = new Map<string, string>();
  for (const id of parent.keys()) {
    let root = id;
    for (let hops = 0; parent.get(root) && hops < 64; hops++) root = parent.get(root)!;
    roots.set(id, root);
  }
  return roots;
}

/**
 * The gap report, from what Reclaim observed between `from` and `to`: every abandonment it detected, whether
 * Klaviyo's own tracking likely saw it and why not, whether Reclaim sent it and why not, what neither
 * reached, the revenue of orders placed within the attribution window after a send, and the behaviour it
 * could only count because the visitor had not allowed tracking.
 */
export async function gapReport(db: Kysely<Database>, options: GapReportOptions): Promise<GapReport> {
  const { from, to, attributionWindow } = options;
  const triggers = (
    await db
      .selectFrom('triggers')
      .select('body_json')
      .where('fired_at', '>=', from)
      .where('fired_at', '<', to)
      .orderBy('fired_at')
      .execute()
  ).map((r) => JSON.parse(r.body_json) as TriggerBody);

  const deliveries = new Map<string, { status: string; outcome_json: string | null }[]>();
  for (const part of chunks(triggers.map((t) => t.id))) {
    const rows = await db
      .selectFrom('deliveries')
      .select(['subject_id', 'status', 'outcome_json'])
      .where('kind', '=', 'abandonment')
      .where('subject_id', 'in', part)
      .execute();
    for (const row of rows) deliveries.set(row.subject_id, [...(deliveries.get(row.subject_id) ?? []), row]);
  }

  const total = emptyTally();
  const byStage = Object.fromEntries(STAGES.map((s) => [s, emptyTally()])) as Record<JourneyStage, GapTally>;
  const days = new Map<string, GapTally>();
  for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) days.set(dayOf(day), emptyTally());
  const rowsOf = (trigger: TriggerBody) => [total, byStage[trigger.stage], days.get(dayOf(trigger.firedAt))!];
  const sent: TriggerBody[] = [];
  for (const trigger of triggers) {
    const rows = rowsOf(trigger);
    const miss = missOf(trigger);
    const outcome = outcomeOf(trigger, deliveries.get(trigger.id) ?? []);
    for (const row of rows) {
      row.abandoned++;
      if (trigger.native.klaviyoLikelySaw) row.klaviyoLikelySaw++;
      else if (miss) row.klaviyoMissed[miss]++;
      if (outcome === 'sent') {
        row.reclaimSent++;
        if (!trigger.native.klaviyoLikelySaw) row.recovered++;
      } else {
        row.notSent[outcome]++;
        if (!trigger.native.klaviyoLikelySaw && outcome !== 'pending') row.lost++;
      }
    }
    if (outcome === 'sent') sent.push(trigger);
  }

  const purchases = await db
    .selectFrom('purchases')
    .selectAll()
    .where('at', '>', from)
    .where('at', '<=', to + attributionWindow)
    .orderBy('at')
    .execute();
  const roots = await rootsOf(db, [...sent.map((t) => t.profileId), ...purchases.map((p) => p.profile_id)]);
  const sendsByProfile = new Map<string, TriggerBody[]>();
  for (const trigger of sent) {
    const root = roots.get(trigger.profileId)!;
    sendsByProfile.set(root, [...(sendsByProfile.get(root) ?? []), trigger]);
  }
  // One order can be recorded twice (the checkout completing and the order webhook): count it once.
  const orders = new Map<string, (typeof purchases)[number]>();
  for (const p of purchases) {
    const key = p.checkout_token ? `checkout:${p.checkout_token}` : p.order_key;
    const seen = orders.get(key);
    if (!seen || (seen.value === null && p.value !== null)) orders.set(key, p);
  }
  for (const order of orders.values()) {
    const sends = sendsByProfile.get(roots.get(order.profile_id)!) ?? [];
    const credited = sends.findLast((t) => t.firedAt < order.at && order.at - t.firedAt <= attributionWindow);
    if (!credited) continue;
    for (const row of rowsOf(credited)) {
      credit(row.revenue, order.value, order.currency);
      if (!credited.native.klaviyoLikelySaw) credit(row.recoveredRevenue, order.value, order.currency);
    }
  }

  const suppressed: Record<string, number> = {};
  const closed = await db
    .selectFrom('journeys')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'suppressed')
    .where('last_activity_at', '>=', from)
    .where('last_activity_at', '<', to)
    .groupBy('outcome')
    .execute();
  for (const row of closed) suppressed[row.outcome ?? 'unknown'] = Number(row.n);

  const untracked = { events: 0, byKind: {} as Record<string, number> };
  const counts = await db
    .selectFrom('anonymous_counts')
    .select(['kind', (eb) => eb.fn.sum<number>('count').as('n')])
    .where('day', '>=', dayOf(from))
    .where('day', '<=', dayOf(to - 1))
    .groupBy('kind')
    .execute();
  for (const row of counts) {
    untracked.byKind[row.kind] = Number(row.n);
    untracked.events += Number(row.n);
  }

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    attributionWindowMs: attributionWindow,
    total,
    byStage,
    days: [...days].map(([day, tally]) => ({ day, ...tally })),
    suppressed,
    untracked,
  };
}
