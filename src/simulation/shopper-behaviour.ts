import type { Random } from './random.ts';
import type { Device, Product, Shopper } from './shopper.ts';
import type { StoreProfile } from './store-profiles.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** One visit: a browser context, and what it knew of the shopper then. */
export interface Session {
  index: number;
  device: Device;
  /** Shopify's client id in this session (a fresh one per session in in-app browsers). */
  clientId: string;
  start: number;
  /** Logged in to the store (the pixel's `init.data.customer`). */
  loggedIn: boolean;
  /** Arrived from a Klaviyo email: the landing URL carries `_kx`. */
  fromEmail: boolean;
  /** The banner decision in force (where a banner asks). */
  trackingAccepted: boolean;
}

export interface CartLine {
  product: Product;
  quantity: number;
}

/** What the shopper did, in time order. */
export type Step =
  | { type: 'page'; at: number; session: number; product?: Product }
  | {
      type: 'cart_add';
      at: number;
      session: number;
      product: Product;
      quantity: number;
      cartToken: string;
      lines: CartLine[];
    }
  | {
      type: 'checkout_start';
      at: number;
      session: number;
      checkoutToken: string;
      cartToken: string;
      lines: CartLine[];
    }
  | {
      type: 'contact';
      at: number;
      session: number;
      checkoutToken: string;
      cartToken: string;
      lines: CartLine[];
      phoneTyped: boolean;
      emailBox: boolean;
      smsBox: boolean;
    }
  | {
      type: 'purchase';
      at: number;
      session: number;
      checkoutToken: string;
      cartToken: string;
      orderId: string;
      lines: CartLine[];
      phoneTyped: boolean;
    }
  /** Signed up in the store's pop-up (Klaviyo's form): an email opt-in naming this browser. */
  | { type: 'popup'; at: number; session: number }
  /** Clicked "unsubscribe" in an email. */
  | { type: 'unsubscribe'; at: number };

export interface ShopperBehaviour {
  sessions: Session[];
  steps: Step[];
}

/** Windows the simulator keeps missions apart by (the abandonment windows, plus a margin). */
export interface Spacing {
  browse: number;
  cart: number;
  checkout: number;
}

interface DeviceState {
  clientId: string;
  cartToken?: string;
  cartLines: CartLine[];
  checkoutToken?: string;
  loggedIn: boolean;
}

const token = (rng: Random) => rng.hex(32);

/**
 * A shopper's month: shopping missions (browse, maybe add to cart, maybe check out and buy), some
 * continued later — soon on the same browser, or after hours or days on another — with logins, pop-up
 * sign-ups, arrivals from Klaviyo emails and unsubscribes along the way. Missions are spaced so that one
 * ends (bought, or abandoned past its window) before the next begins.
 */
export function shopperBehaviour(
  shopper: Shopper,
  rng: Random,
  profile: StoreProfile,
  catalog: readonly Product[],
  period: { start: number; end: number },
  spacing: Spacing,
): ShopperBehaviour {
  const sessions: Session[] = [];
  const steps: Step[] = [];
  const states = shopper.devices.map((d): DeviceState => ({
    clientId: d.clientId,
    cartLines: [],
    loggedIn: false,
  }));
  const days = (period.end - period.start) / DAY;
  const heaviness = Math.min(4, rng.exponential(1));
  const missions = Math.min(
    12,
    Math.max(1, rng.poisson(profile.missionsPer30Days * (days / 30) * heaviness)),
  );
  const starts = Array.from({ length: missions }, () =>
    Math.round(period.start + rng.next() * (period.end - period.start - 2 * HOUR)),
  ).sort((a, b) => a - b);
  let subscribed = shopper.initialEmail === 'subscribed';
  let poppedUp = shopper.initialEmail !== 'none';
  let free = period.start;

  const chooseDevice = (avoid?: Device): Device => {
    const others = shopper.devices.filter((d) => d !== avoid);
    const pool = others.length ? others : shopper.devices;
    const wantMobile = rng.chance(profile.mobileShare);
    const fromPool = pool.filter((d) => (wantMobile ? d.kind !== 'desktop' : d.kind === 'desktop'));
    if (fromPool.length === 0) return rng.pick(pool);
    const inApp = fromPool.find((d) => d.kind === 'in_app');
    if (inApp && rng.chance(profile.inAppShare * 1.5)) return inApp;
    return rng.pick(fromPool);
  };

  const openSession = (device: Device, at: number): Session => {
    const state = states[device.index]!;
    if (device.kind === 'in_app') {
      // In-app browsers lose their cookies between sessions: a new client, cart and login each time.
      state.clientId = `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`;
      state.cartToken = undefined;
      state.cartLines = [];
      state.checkoutToken = undefined;
      state.loggedIn = false;
    }
    if (
      !state.loggedIn &&
      shopper.hasAccount &&
      device.kind !== 'in_app' &&
      rng.chance(profile.identify.login)
    )
      state.loggedIn = true;
    const session: Session = {
      index: sessions.length,
      device,
      clientId: state.clientId,
      start: at,
      loggedIn: state.loggedIn,
      fromEmail: subscribed && rng.chance(profile.identify.emailClick),
      trackingAccepted:
        device.kind === 'in_app' ? rng.chance(profile.trackingAcceptRate) : device.trackingAccepted,
    };
    sessions.push(session);
    return session;
  };

  /** Browses, maybe adds to cart, checks out, buys; returns the deepest stage and when it ended. */
  const play = (
    session: Session,
    at: number,
    want: { cart: boolean; checkout: boolean; contact: boolean; buy: boolean; resume: boolean },
  ): { at: number; stage: 'browse' | 'cart' | 'checkout'; bought: boolean } => {
    const state = states[session.device.index]!;
    const s = session.index;
    let t = at;
    let stage: 'browse' | 'cart' | 'checkout' = 'browse';
    const resumeCart = want.resume && state.cartLines.length > 0;
    if (resumeCart) {
      // Back to the cart kept in this browser: one page, then (maybe) on to checkout.
      steps.push({ type: 'page', at: t, session: s });
    } else {
      const views = rng.int(1, 5);
      steps.push({ type: 'page', at: t, session: s });
      for (let v = 0; v < views; v++) {
        t += rng.int(20, 120) * 1000;
        steps.push({ type: 'page', at: t, session: s, product: rng.pick(catalog) });
      }
    }
    if (!poppedUp && rng.chance(profile.identify.popup)) {
      poppedUp = true;
      subscribed = true;
      t += rng.int(10, 60) * 1000;
      steps.push({ type: 'popup', at: t, session: s });
    }
    if (want.cart && !resumeCart) {
      const adds = rng.int(1, 2);
      state.cartToken ??= token(rng);
      for (let a = 0; a < adds; a++) {
        t += rng.int(20, 90) * 1000;
        const product = rng.pick(catalog);
        const quantity = rng.int(1, 2);
        const line = state.cartLines.find((l) => l.product === product);
        if (line) line.quantity += quantity;
        else state.cartLines.push({ product, quantity });
        steps.push({
          type: 'cart_add',
          at: t,
          session: s,
          product,
          quantity,
          cartToken: state.cartToken,
          lines: state.cartLines.map((l) => ({ ...l })),
        });
      }
      stage = 'cart';
    }
    if ((stage === 'cart' || resumeCart) && want.checkout && state.cartToken) {
      t += rng.int(30, 120) * 1000;
      state.checkoutToken ??= token(rng);
      const lines = state.cartLines.map((l) => ({ ...l }));
      steps.push({
        type: 'checkout_start',
        at: t,
        session: s,
        checkoutToken: state.checkoutToken,
        cartToken: state.cartToken,
        lines,
      });
      stage = 'checkout';
      const phoneTyped = shopper.phone !== undefined && rng.chance(profile.checkout.phoneTyped);
      if (want.contact) {
        t += rng.int(30, 150) * 1000;
        const emailBox = !subscribed && rng.chance(profile.checkout.emailBox);
        if (emailBox) subscribed = true;
        steps.push({
          type: 'contact',
          at: t,
          session: s,
          checkoutToken: state.checkoutToken,
          cartToken: state.cartToken,
          lines,
          phoneTyped,
          emailBox,
          smsBox: phoneTyped && rng.chance(profile.checkout.smsBox),
        });
        if (want.buy) {
          t += rng.int(60, 300) * 1000;
          steps.push({
            type: 'purchase',
            at: t,
            session: s,
            checkoutToken: state.checkoutToken,
            cartToken: state.cartToken,
            orderId: String(6_000_000_000_000 + shopper.index * 100 + steps.length),
            lines,
            phoneTyped,
          });
          state.cartToken = undefined;
          state.cartLines = [];
          state.checkoutToken = undefined;
          // Browsing on after buying is not a new mission.
          return { at: t, stage, bought: true };
        }
      }
    }
    return { at: t, stage, bought: false };
  };

  for (const planned of starts) {
    const begin = Math.max(planned, free);
    if (begin > period.end - HOUR) break;
    const device = chooseDevice();
    const session = openSession(device, begin);
    const cart = rng.chance(profile.funnel.cart);
    const checkout = cart && rng.chance(profile.funnel.checkout);
    const contact = checkout && rng.chance(profile.funnel.contact);
    const buy = contact && rng.chance(profile.funnel.buy);
    let last = play(session, begin, { cart, checkout, contact, buy, resume: false });
    if (!last.bought && rng.chance(profile.returnRate)) {
      const window = spacing[last.stage];
      const soon = rng.chance(0.35);
      // Back soon on the same browser (the same episode), or after the window, often on another one.
      const gap = soon
        ? rng.between(5 * MIN, Math.min(window - 5 * MIN, 40 * MIN))
        : window + rng.between(10 * MIN, 3 * DAY);
      const at = Math.round(last.at + gap);
      if (at < period.end - HOUR) {
        const again = soon || rng.chance(0.5) || shopper.devices.length === 1 ? device : chooseDevice(device);
        const next = again === device && soon ? session : openSession(again, at);
        const resume = again === device;
        const hadCart = last.stage !== 'browse';
        const buyNow = rng.chance(resume && hadCart ? 0.45 : 0.2);
        last = play(next, at, {
          cart: resume && hadCart ? false : rng.chance(profile.funnel.cart * 1.5),
          checkout: rng.chance(buyNow ? 1 : profile.funnel.checkout),
          contact: rng.chance(buyNow ? 1 : profile.funnel.contact),
          buy: buyNow,
          resume,
        });
      }
    }
    free = last.at + spacing[last.stage] + 10 * MIN;
  }
  if (shopper.initialEmail === 'subscribed' || poppedUp) {
    if (rng.chance(profile.unsubscribeRate))
      steps.push({
        type: 'unsubscribe',
        at: Math.round(period.start + rng.next() * (period.end - period.start)),
      });
  }
  steps.sort((a, b) => a.at - b.at);
  return { sessions, steps };
}
