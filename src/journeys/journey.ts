import type {
  CanonicalEvent,
  EventContext,
  EventKind,
  LineItem,
  TrackingCategories,
} from '../event-log/canonical-event.ts';
import { sumLines } from '../event-log/money.ts';
import { orderedId } from '../store/ordered-id.ts';
import type { JourneyStage, JourneyStatus } from '../store/schema.ts';

export type { JourneyStage, JourneyStatus };
export const STAGES = ['browse', 'cart', 'checkout'] as const satisfies readonly JourneyStage[];
const DEPTH: Record<JourneyStage, number> = { browse: 0, cart: 1, checkout: 2 };

/** Inactivity after which a journey at each stage is abandoned (ms). */
export type Windows = Readonly<Record<JourneyStage, number>>;

const STAGE_OF: Partial<Record<EventKind, JourneyStage>> = {
  page_view: 'browse',
  product_view: 'browse',
  collection_view: 'browse',
  search: 'browse',
  cart_add: 'cart',
  cart_remove: 'cart',
  cart_view: 'cart',
  cart_update: 'cart',
  checkout_started: 'checkout',
  checkout_contact: 'checkout',
  checkout_update: 'checkout',
};

/** The stage an event is activity at; undefined for events that are not shopping activity. */
export function stageOf(event: CanonicalEvent): JourneyStage | undefined {
  const stage = STAGE_OF[event.kind];
  if (stage === 'cart' && event.kind !== 'cart_add' && !event.commerce?.lines.length) return undefined;
  return stage;
}

/** Events that are purchases: they close the journeys before them. */
export function isPurchase(event: CanonicalEvent): boolean {
  return (
    event.kind === 'order_completed' ||
    event.kind === 'order_paid' ||
    (event.kind === 'checkout_update' && event.commerce?.completedAt !== undefined)
  );
}

/** What a journey carries beyond its stage and times. */
export interface JourneyState {
  browsed: LineItem[];
  cartItems: LineItem[];
  checkoutItems: LineItem[];
  checkoutValue?: string;
  currency?: string;
  cartTokens: string[];
  checkoutTokens: string[];
  /** Shopify's `abandoned_checkout_url`. */
  checkoutUrl?: string;
  /** The shop's myshopify domain, for the cart permalink. */
  shop?: string;
  locale?: string;
  /** Contacts the shopper typed into this journey's checkout. */
  assertedEmail?: string;
  assertedPhone?: string;
  /** Jurisdiction signals seen on its events (rule J considers them all). */
  geos: NonNullable<EventContext['geo']>[];
  /** The latest Customer Privacy flags, by event time. */
  tracking?: { categories: TrackingCategories; at: number };
  gpc: boolean;
  /** Device identifier keys, for recorded tracking decisions. */
  devices: string[];
  /** Klaviyo's own browser tracking: its cookie seen, and identifying the shopper. */
  klaviyo: { scriptSeen: boolean; identified: boolean };
  events: number;
}

export interface Journey {
  id: string;
  profileId: string;
  status: JourneyStatus;
  stage: JourneyStage;
  startedAt: number;
  lastActivityAt: number;
  /** Receive time of the event that last moved it. */
  updatedReceivedAt: number;
  dueAt: number | null;
  outcome: string | null;
  triggerId: string | null;
  state: JourneyState;
}

const MAX_BROWSED = 5;
const MAX_GEOS = 8;
const MAX_DEVICES = 20;
const MAX_TOKENS = 20;

export function newJourney(profileId: string, event: CanonicalEvent, stage: JourneyStage): Journey {
  return {
    id: orderedId('jr_', event.eventTime, `${profileId}:${event.id}`),
    profileId,
    status: 'open',
    stage,
    startedAt: event.eventTime,
    lastActivityAt: event.eventTime,
    updatedReceivedAt: event.receivedAt,
    dueAt: null,
    outcome: null,
    triggerId: null,
    state: {
      browsed: [],
      cartItems: [],
      checkoutItems: [],
      cartTokens: [],
      checkoutTokens: [],
      geos: [],
      gpc: false,
      devices: [],
      klaviyo: { scriptSeen: false, identified: false },
      events: 0,
    },
  };
}

const lineKey = (line: LineItem) => line.variantId ?? line.productId ?? line.sku ?? line.title ?? '';

/** Moves a journey with one activity event: its stage deepens, its due time moves out, its contents update. */
export function applyActivity(
  journey: Journey,
  event: CanonicalEvent,
  stage: JourneyStage,
  windows: Windows,
): void {
  const s = journey.state;
  s.events++;
  if (DEPTH[stage] > DEPTH[journey.stage]) journey.stage = stage;
  journey.startedAt = Math.min(journey.startedAt, event.eventTime);
  journey.lastActivityAt = Math.max(journey.lastActivityAt, event.eventTime);
  journey.updatedReceivedAt = Math.max(journey.updatedReceivedAt, event.receivedAt);
  const lines = event.commerce?.lines ?? [];
  switch (event.kind) {
    case 'product_view':
      for (const line of lines) {
        s.browsed = [
          ...s.browsed.filter((l) => lineKey(l) !== lineKey(line)),
          { ...line, quantity: 1 },
        ].slice(-MAX_BROWSED);
      }
      break;
    case 'cart_add':
      for (const line of lines) {
        const existing = s.cartItems.find((l) => lineKey(l) === lineKey(line));
        if (existing) existing.quantity += line.quantity;
        else s.cartItems.push({ ...line });
      }
      break;
    case 'cart_remove':
      for (const line of lines) {
        const existing = s.cartItems.find((l) => lineKey(l) === lineKey(line));
        if (existing) existing.quantity = Math.max(0, existing.quantity - line.quantity);
      }
      s.cartItems = s.cartItems.filter((l) => l.quantity > 0);
      break;
    case 'cart_view':
    case 'cart_update':
      if (lines.length) s.cartItems = lines.map((l) => ({ ...l }));
      break;
    default:
      if (stage === 'checkout' && lines.length) {
        s.checkoutItems = lines.map((l) => ({ ...l }));
        s.checkoutValue = event.commerce?.value ?? s.checkoutValue;
      }
  }
  s.currency = event.commerce?.currency ?? s.currency;
  s.checkoutUrl = event.commerce?.checkoutUrl ?? s.checkoutUrl;
  if (event.typed?.includes('email') && event.ids.email) s.assertedEmail = event.ids.email;
  if (event.typed?.includes('phone') && event.ids.phone) s.assertedPhone = event.ids.phone;
  observeContext(journey, event);
  journey.dueAt = journey.lastActivityAt + windows[journey.stage];
}

/** Records what any event of the journey says about where the shopper is and what they allowed. */
export function observeContext(journey: Journey, event: CanonicalEvent): void {
  const s = journey.state;
  if (event.ids.cartToken) s.cartTokens = addUnique(s.cartTokens, event.ids.cartToken, MAX_TOKENS);
  if (event.ids.checkoutToken)
    s.checkoutTokens = addUnique(s.checkoutTokens, event.ids.checkoutToken, MAX_TOKENS);
  const geo = event.context.geo;
  if (geo && !s.geos.some((g) => JSON.stringify(g) === JSON.stringify(geo)) && s.geos.length < MAX_GEOS)
    s.geos.push(geo);
  if (event.context.tracking && (!s.tracking || event.eventTime >= s.tracking.at))
    s.tracking = { categories: event.context.tracking, at: event.eventTime };
  if (event.context.gpc) s.gpc = true;
  for (const type of ['clientId', 'browserId', 'anonymousId'] as const) {
    if (event.ids[type]) s.devices = addUnique(s.devices, `${type}:${event.ids[type]}`, MAX_DEVICES);
  }
  if (event.context.klaviyo) {
    s.klaviyo.scriptSeen ||= event.context.klaviyo.cookiePresent;
    s.klaviyo.identified ||= event.context.klaviyo.identified;
  }
  s.shop ??= event.context.shop;
  s.locale ??= event.context.locale;
}

/**
 * Joins `other` into `target` (two journeys that turned out to be one shopper's): the deepest stage and
 * latest activity win, tokens, signals and contents are combined.
 */
export function absorb(target: Journey, other: Journey, windows: Windows): void {
  const t = target.state;
  const o = other.state;
  const deeper = DEPTH[other.stage] > DEPTH[target.stage];
  if (deeper) target.stage = other.stage;
  target.startedAt = Math.min(target.startedAt, other.startedAt);
  const otherIsLater = other.lastActivityAt > target.lastActivityAt;
  target.lastActivityAt = Math.max(target.lastActivityAt, other.lastActivityAt);
  target.updatedReceivedAt = Math.max(target.updatedReceivedAt, other.updatedReceivedAt);
  for (const line of o.browsed)
    t.browsed = [...t.browsed.filter((l) => lineKey(l) !== lineKey(line)), line].slice(-MAX_BROWSED);
  if (o.cartItems.length && (otherIsLater || !t.cartItems.length)) t.cartItems = o.cartItems;
  if (o.checkoutItems.length && (otherIsLater || !t.checkoutItems.length)) {
    t.checkoutItems = o.checkoutItems;
    t.checkoutValue = o.checkoutValue;
  }
  t.currency ??= o.currency;
  t.checkoutUrl = otherIsLater ? (o.checkoutUrl ?? t.checkoutUrl) : (t.checkoutUrl ?? o.checkoutUrl);
  t.assertedEmail = otherIsLater
    ? (o.assertedEmail ?? t.assertedEmail)
    : (t.assertedEmail ?? o.assertedEmail);
  t.assertedPhone = otherIsLater
    ? (o.assertedPhone ?? t.assertedPhone)
    : (t.assertedPhone ?? o.assertedPhone);
  for (const token of o.cartTokens) t.cartTokens = addUnique(t.cartTokens, token, MAX_TOKENS);
  for (const token of o.checkoutTokens) t.checkoutTokens = addUnique(t.checkoutTokens, token, MAX_TOKENS);
  for (const geo of o.geos)
    if (t.geos.length < MAX_GEOS && !t.geos.some((g) => JSON.stringify(g) === JSON.stringify(geo)))
      t.geos.push(geo);
  if (o.tracking && (!t.tracking || o.tracking.at > t.tracking.at)) t.tracking = o.tracking;
  t.gpc ||= o.gpc;
  for (const device of o.devices) t.devices = addUnique(t.devices, device, MAX_DEVICES);
  t.klaviyo = {
    scriptSeen: t.klaviyo.scriptSeen || o.klaviyo.scriptSeen,
    identified: t.klaviyo.identified || o.klaviyo.identified,
  };
  t.shop ??= o.shop;
  t.locale ??= o.locale;
  t.events += o.events;
  target.dueAt = target.lastActivityAt + windows[target.stage];
  other.status = 'merged';
  other.outcome = `merged:${target.id}`;
  other.dueAt = null;
}

/** What the journey offers the shopper back: the items of its deepest stage, and their value. */
export function itemsOf(journey: Journey): { items: LineItem[]; value?: string; currency?: string } {
  const s = journey.state;
  if (journey.stage === 'checkout' && s.checkoutItems.length)
    return {
      items: s.checkoutItems,
      value: s.checkoutValue ?? sumLines(s.checkoutItems),
      currency: s.currency,
    };
  if (journey.stage !== 'browse' && s.cartItems.length)
    return { items: s.cartItems, value: sumLines(s.cartItems), currency: s.currency };
  const last = s.browsed.at(-1);
  return { items: [...s.browsed].reverse(), value: last?.price, currency: s.currency };
}

/**
 * Where the shopper goes to pick up: Shopify's `abandoned_checkout_url` for a checkout, otherwise a
 * cart permalink (`/cart/<variant>:<quantity>,…`) that rebuilds the cart on the shop's domain.
 */
export function recoveryUrlOf(journey: Journey, items: LineItem[]): string | undefined {
  if (journey.stage === 'checkout' && journey.state.checkoutUrl) return journey.state.checkoutUrl;
  const shop = journey.state.shop;
  const lines = items
    .filter((l) => l.variantId && /^\d+$/.test(l.variantId))
    .map((l) => `${l.variantId}:${Math.max(1, l.quantity)}`);
  if (!shop || lines.length === 0) return journey.state.checkoutUrl;
  return `https://${shop}/cart/${lines.join(',')}`;
}

function addUnique(list: string[], value: string, max: number): string[] {
  return list.includes(value) || list.length >= max ? list : [...list, value];
}
