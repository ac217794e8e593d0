import { bannerAsks, emailAllowed, smsAllowed, type EmailHistory, type SimRegime } from './sim-law.ts';

export type EpisodeStage = 'browse' | 'cart' | 'checkout';

/**
 * Why an episode is not something Reclaim should reach: the store's own rules (caps and quiet period
 * after a purchase) exclude it; otherwise one of the causes of the gap.
 */
export type EpisodeLabel =
  | 'reachable'
  | 'policy_recent_purchase'
  | 'policy_browse_cap'
  | 'policy_cart_cap'
  | 'policy_checkout_cap'
  /** Reclaim's own pixel was blocked in that browser: a first-party server saw nothing of it. */
  | 'script_blocked'
  | 'no_tracking_consent'
  /** The store never learnt an email or phone for this person before the episode was due. */
  | 'no_contact'
  /** A contact was known, but nothing observed tied this browser or checkout to it. */
  | 'not_linkable'
  | 'no_messaging_permission';

/** An abandonment as it happened: a stage reached, then quiet past its window, no purchase. */
export interface Episode {
  id: string;
  stage: EpisodeStage;
  startAt: number;
  /** Last activity plus the stage's window. */
  dueAt: number;
  label: EpisodeLabel;
  /** The channels a send may use at `dueAt` (allowed by law and tied to the episode). */
  channels: ('email' | 'sms')[];
  /** Klaviyo's own tracking reached it (its native flow would start). */
  native: boolean;
  /**
   * The label had Reclaim been installed only when the period began (it saw nothing before), without
   * and with the store's customer base imported first. `label` is for an install already running before.
   */
  labelOnDayOne: EpisodeLabel;
  labelWithImport: EpisodeLabel;
  /** Device kind of the browser it happened in. */
  device: string;
  cartTokens: string[];
  checkoutTokens: string[];
}

/** One identifier-bearing observation a first-party server could make. */
export interface Observation {
  at: number;
  keys: string[];
}

/** An activity step, with what a first-party server could see of it. */
export interface ActivityFact {
  at: number;
  stage: EpisodeStage;
  /** Identifier keys of this step as Reclaim would store them (empty when it saw nothing). */
  keys: string[];
  /** Reclaim's pixel saw the step with the identifiers of the browser (not blocked, tracking allowed). */
  pixelSeen: boolean;
  pixelBlocked: boolean;
  trackingAllowedByLaw: boolean;
  klaviyoIdentified: boolean;
  emailTyped: boolean;
  cartToken?: string;
  checkoutToken?: string;
  device: string;
}

export interface ShopperFacts {
  regime: SimRegime;
  activities: ActivityFact[];
  purchases: number[];
  observations: Observation[];
  email: EmailHistory;
  sms: { at: number; state: 'subscribed' | 'unsubscribed' }[];
  /**
   * The consent history and purchases Reclaim has on record, when that is less than what happened (an
   * install that began with the period): a channel needs both the law, judged on what happened, and a
   * basis on record. Default: everything that happened is on record.
   */
  recorded?: { email: EmailHistory; sms: { at: number; state: 'subscribed' | 'unsubscribed' }[] };
  windows: Record<EpisodeStage, number>;
  /** How long an observation keeps identifiers linked (`identity.lookback`). */
  lookback: number;
  /** The store's rules: one browse trigger a day, none within a day after a purchase. */
  browseCap: number;
  quietAfterPurchase: number;
}

const DEPTH: Record<EpisodeStage, number> = { browse: 0, cart: 1, checkout: 2 };

/** Union-find over identifier keys, for "is this browser tied to a contact yet?". */
class Links {
  readonly #parent = new Map<string, string>();
  find(key: string): string {
    let root = key;
    while (this.#parent.has(root) && this.#parent.get(root) !== root) root = this.#parent.get(root)!;
    let node = key;
    while (node !== root) {
      const next = this.#parent.get(node) ?? root;
      this.#parent.set(node, root);
      node = next;
    }
    if (!this.#parent.has(root)) this.#parent.set(root, root);
    return root;
  }
  union(keys: readonly string[]): void {
    if (keys.length < 2) {
      if (keys[0]) this.find(keys[0]);
      return;
    }
    const root = this.find(keys[0]!);
    for (const key of keys.slice(1)) {
      const other = this.find(key);
      if (other !== root) this.#parent.set(other, root);
    }
  }
  connected(a: string, b: string): boolean {
    return this.#parent.has(a) && this.#parent.has(b) && this.find(a) === this.find(b);
  }
}

interface Draft {
  activities: ActivityFact[];
  stage: EpisodeStage;
  last: number;
}

/**
 * A shopper's episodes and what each one was, from everything they did: activity grouped into
 * journeys by the stage windows (a purchase ends one without an abandonment), then each abandonment
 * judged at its due time — by the store's rules, by what a first-party server could have observed up
 * to then, and by the law.
 */
export function groundTruth(
  shopperId: string,
  facts: ShopperFacts,
): Omit<Episode, 'labelOnDayOne' | 'labelWithImport'>[] {
  const drafts: Draft[] = [];
  let open: Draft | undefined;
  const events = [
    ...facts.activities.map((a) => ({ at: a.at, activity: a })),
    ...facts.purchases.map((at) => ({ at, activity: undefined })),
  ].sort((a, b) => a.at - b.at);
  for (const { at, activity } of events) {
    if (open && at >= open.last + facts.windows[open.stage]) {
      drafts.push(open);
      open = undefined;
    }
    if (!activity) {
      open = undefined; // bought: no abandonment
      continue;
    }
    open ??= { activities: [], stage: activity.stage, last: at };
    open.activities.push(activity);
    open.last = at;
    if (DEPTH[activity.stage] > DEPTH[open.stage]) open.stage = activity.stage;
  }
  if (open) drafts.push(open);

  const observations = [...facts.observations].sort((a, b) => a.at - b.at);
  const episodes: Omit<Episode, 'labelOnDayOne' | 'labelWithImport'>[] = [];
  const recorded = facts.recorded ?? facts;
  const fired: {
    stage: EpisodeStage;
    dueAt: number;
    keys: string[];
    cartTokens: string[];
    checkoutTokens: string[];
  }[] = [];
  const ordered = drafts
    .map((d) => ({ draft: d, dueAt: d.last + facts.windows[d.stage] }))
    .sort((a, b) => a.dueAt - b.dueAt);
  ordered.forEach(({ draft, dueAt }, n) => {
    // Links observed within the lookback before the due time: older ones no longer connect.
    const links = new Links();
    for (const o of observations) if (o.at <= dueAt && dueAt - o.at <= facts.lookback) links.union(o.keys);
    const acts = draft.activities;
    const last = acts.at(-1)!;
    const keys = [...new Set(acts.flatMap((a) => a.keys))];
    const cartTokens = [...new Set(acts.flatMap((a) => (a.cartToken ? [a.cartToken] : [])))];
    const checkoutTokens = [...new Set(acts.flatMap((a) => (a.checkoutToken ? [a.checkoutToken] : [])))];
    const seen = keys.length > 0;
    const linkedTo = (contact: string) => keys.some((k) => links.connected(k, contact));
    const channels: ('email' | 'sms')[] = [];
    if (
      linkedTo('email') &&
      emailAllowed(facts.regime, facts.email, dueAt) &&
      emailAllowed(facts.regime, recorded.email, dueAt)
    )
      channels.push('email');
    if (linkedTo('phone') && smsAllowed(facts.sms, dueAt) && smsAllowed(recorded.sms, dueAt))
      channels.push('sms');
    const native =
      draft.stage === 'checkout' ? acts.some((a) => a.emailTyped) : acts.some((a) => a.klaviyoIdentified);
    const purchasedRecently = facts.purchases.some((p) => p < dueAt && dueAt - p <= facts.quietAfterPurchase);
    const sameProfile = (other: { keys: string[] }) =>
      other.keys.some((k) => keys.some((own) => links.connected(k, own)));
    let label: EpisodeLabel;
    if (purchasedRecently) label = 'policy_recent_purchase';
    else if (
      seen &&
      draft.stage === 'browse' &&
      fired.some((f) => f.stage === 'browse' && dueAt - f.dueAt < facts.browseCap && sameProfile(f))
    )
      label = 'policy_browse_cap';
    else if (
      draft.stage === 'cart' &&
      fired.some((f) => f.stage === 'cart' && f.cartTokens.some((t) => cartTokens.includes(t)))
    )
      label = 'policy_cart_cap';
    else if (
      draft.stage === 'checkout' &&
      fired.some((f) => f.stage === 'checkout' && f.checkoutTokens.some((t) => checkoutTokens.includes(t)))
    )
      label = 'policy_checkout_cap';
    else if (
      draft.stage !== 'checkout' &&
      !acts.some((a) => a.pixelSeen) &&
      acts.some((a) => a.pixelBlocked) &&
      cartTokens.length === 0
    )
      label = 'script_blocked';
    else if (draft.stage !== 'checkout' && !last.trackingAllowedByLaw) label = 'no_tracking_consent';
    else if (!linkedTo('email') && !linkedTo('phone'))
      label = facts.observations.some(
        (o) => o.at <= dueAt && (o.keys.includes('email') || o.keys.includes('phone')),
      )
        ? 'not_linkable'
        : 'no_contact';
    else if (channels.length === 0) label = 'no_messaging_permission';
    else label = 'reachable';
    // Reclaim fires a trigger (sent or not) for every abandonment it saw that no rule suppressed.
    if (seen && !label.startsWith('policy_'))
      fired.push({ stage: draft.stage, dueAt, keys, cartTokens, checkoutTokens });
    episodes.push({
      id: `${shopperId}:e${n}`,
      stage: draft.stage,
      startAt: acts[0]!.at,
      dueAt,
      label,
      channels: label === 'reachable' ? channels : [],
      native,
      device: last.device,
      cartTokens,
      checkoutTokens,
    });
  });
  return episodes;
}

/**
 * Whether identifying a browser was lawful, with its basis on record. With the pixel blocked the server
 * knows neither where the shopper is nor what they chose, so the strictest rules apply (RULES.md rule J)
 * and no consent is on record. Otherwise: where a banner asks, the shopper accepted; in the US, no GPC.
 */
export function trackingLawful(
  regime: SimRegime,
  session: { accepted: boolean; gpc: boolean; pixelBlocked: boolean },
): boolean {
  if (session.pixelBlocked) return false;
  if (bannerAsks(regime)) return session.accepted;
  if (regime === 'US') return !session.gpc;
  return true;
}
