import {
  customerBase,
  type CustomerBaseEntry,
  type ImportedKnowledge,
  type PriorHistory,
} from './customer-base.ts';
import {
  groundTruth,
  trackingLawful,
  type ActivityFact,
  type Episode,
  type Observation,
} from './ground-truth.ts';
import {
  cartWebhook,
  checkoutWebhook,
  consentLine,
  customerWebhook,
  emailConsentWebhook,
  orderWebhook,
  pixelLine,
  smsConsentWebhook,
  type PayloadContext,
  type PixelEventSpec,
  type ReplayLine,
} from './payloads.ts';
import { Random } from './random.ts';
import { bannerAsks, type EmailHistory, type SimRegime } from './sim-law.ts';
import { shopperBehaviour, type Session, type Spacing } from './shopper-behaviour.ts';
import { createShopper, type Device, type Product } from './shopper.ts';
import type { StoreProfile } from './store-profiles.ts';
import type { CartLine } from './shopper-behaviour.ts';

const DAY = 86_400_000;
const SAFARI_COOKIE_DAYS = 7;

/** What the scorer needs to know about one shopper. */
export interface ShopperTruth {
  id: string;
  email: string;
  phone?: string;
  regime: SimRegime;
  /** Every client id, cart and checkout token of theirs: who a Reclaim journey belongs to. */
  clientIds: string[];
  cartTokens: string[];
  checkoutTokens: string[];
  purchases: number[];
  email_history: EmailHistory['marks'];
  sms_history: { at: number; state: 'subscribed' | 'unsubscribed' }[];
  episodes: Episode[];
}

export interface SimulationSettings {
  seed: string;
  profile: StoreProfile;
  catalog: readonly Product[];
  period: { start: number; end: number };
  /** Abandonment windows Reclaim is configured with. */
  windows: Spacing;
  /** Reclaim's identity lookback. */
  lookback: number;
  browseCap: number;
  quietAfterPurchase: number;
  webhookSecret: string;
  /** Days of orders the customer base holds (the import's `--days`). */
  importDays: number;
}

/**
 * An event Klaviyo's own tracking records for the store: its onsite script (`Viewed Product`, `Added to
 * Cart`) in a browser whose cookie it identified, its Shopify integration (`Started Checkout` with an
 * email in the checkout, `Placed Order` for every order). The demo feeds these to the Klaviyo stand-in,
 * where they start the store's native flows.
 */
export interface NativeKlaviyoLine {
  at: string;
  metric: 'Viewed Product' | 'Added to Cart' | 'Started Checkout' | 'Placed Order';
  email: string;
  phone_number?: string;
  uniqueId: string;
  value?: number;
  currency?: string;
  properties: Record<string, unknown>;
}

interface KlaviyoState {
  identified: boolean;
  lastSeen: number;
  session: number;
}

/**
 * One shopper: who they are, what they did, the requests a store would send Reclaim about it (pixel,
 * webhooks, consent decisions), and the ground truth of their abandonments.
 */
export function simulateShopper(
  index: number,
  settings: SimulationSettings,
): {
  lines: ReplayLine[];
  events: number;
  truth: ShopperTruth;
  base: CustomerBaseEntry;
  klaviyo: NativeKlaviyoLine[];
} {
  const rng = new Random(`${settings.seed}:${settings.profile.name}:${index}`);
  const { profile, period } = settings;
  const shopper = createShopper(index, rng, profile, period.start);
  const { sessions, steps } = shopperBehaviour(
    shopper,
    rng,
    profile,
    settings.catalog,
    period,
    settings.windows,
  );
  let counter = 0;
  const ctx: PayloadContext = {
    profile,
    shopper,
    webhookSecret: settings.webhookSecret,
    next: () => ++counter,
    contexts: new Map(),
  };
  const lines: ReplayLine[] = [];
  /** Events beyond one per line: a pixel request can carry several. */
  let batched = 0;
  const observations: Observation[] = [];
  const activities: ActivityFact[] = [];
  const purchases: number[] = [];
  const email: EmailHistory = { marks: [], purchases };
  const sms: { at: number; state: 'subscribed' | 'unsubscribed' }[] = [];
  const regime = shopper.regime;
  const phoneKeys = shopper.phone ? ['phone'] : [];
  const customerKeys = ['customer', 'email', ...phoneKeys];
  const arrive = (at: number, webhook = false) => at + (webhook ? 1500 : 400) + (counter % 7) * 150;
  const klaviyoLines: NativeKlaviyoLine[] = [];
  const nativeEvent = (
    metric: NativeKlaviyoLine['metric'],
    at: number,
    properties: Record<string, unknown>,
    lines?: readonly CartLine[],
    phone?: string,
  ) =>
    klaviyoLines.push({
      at: new Date(at).toISOString(),
      metric,
      email: shopper.email,
      ...(phone !== undefined && { phone_number: phone }),
      // Klaviyo's Shopify integration records one Started Checkout per checkout.
      uniqueId:
        metric === 'Started Checkout'
          ? `checkout:${String(properties.CheckoutToken)}`
          : `${shopper.id}:k${klaviyoLines.length}`,
      ...(lines && {
        value: Math.round(lines.reduce((n, l) => n + l.product.price * l.quantity, 0) * 100) / 100,
        currency: profile.currency,
      }),
      properties,
    });

  // Before the period: an account, a past order, the consent Shopify holds.
  const prior: PriorHistory = {};
  if (shopper.pastOrderAt !== undefined) {
    const at = shopper.pastOrderAt;
    const product = settings.catalog[index % settings.catalog.length]!;
    prior.pastOrder = { id: String(5_000_000_000_000 + index), at, amount: product.price };
    lines.push(
      orderWebhook(
        ctx,
        {
          id: String(5_000_000_000_000 + index),
          lines: [{ product, quantity: 1 }],
        },
        at,
        arrive(at, true),
      ),
    );
    observations.push({ at, keys: [`order:past`, ...customerKeys] });
    purchases.push(at);
    nativeEvent('Placed Order', at, { OrderId: String(5_000_000_000_000 + index) }, [
      { product, quantity: 1 },
    ]);
  }
  if (shopper.hasAccount) {
    const at = (shopper.pastOrderAt ?? period.start - 30 * DAY) - 3_600_000;
    prior.accountAt = at;
    lines.push(customerWebhook(ctx, at));
    observations.push({ at, keys: customerKeys });
  }
  if (shopper.initialEmail !== 'none') {
    const at = period.start - rng.int(1, 300) * DAY;
    prior.email = { at, state: shopper.initialEmail };
    lines.push(emailConsentWebhook(ctx, shopper.initialEmail, at));
    observations.push({ at, keys: ['customer', 'email'] });
    email.marks.push({ at, state: shopper.initialEmail });
  }
  if (shopper.initialSms) {
    const at = period.start - rng.int(1, 300) * DAY;
    prior.sms = { at };
    lines.push(smsConsentWebhook(ctx, at));
    observations.push({ at, keys: ['customer', 'phone'] });
    sms.push({ at, state: 'subscribed' });
  }

  const klaviyo = new Map<Device, KlaviyoState>();
  const carts = new Map<Device, string>();
  const cartSession = new Map<Device, number>();
  const firstStep = new Set<number>();
  for (const step of steps) {
    if (step.type === 'unsubscribe') {
      lines.push(consentLine(ctx, { state: 'withdrawn', source: 'unsubscribe_link' }, step.at));
      observations.push({ at: step.at, keys: ['email'] });
      email.marks.push({ at: step.at, state: 'unsubscribed' });
      continue;
    }
    const session = sessions[step.session]!;
    const device = session.device;
    const first = !firstStep.has(session.index);
    firstStep.add(session.index);
    const asked = bannerAsks(regime);
    const trackingOk = !asked || session.trackingAccepted;
    const lawful = trackingLawful(regime, {
      accepted: session.trackingAccepted,
      gpc: device.gpc,
      pixelBlocked: device.pixelBlocked,
    });
    const script = !device.klaviyoBlocked && trackingOk;
    const k = klaviyoState(klaviyo, device, session, step.at);
    if (script) {
      if (device.kind === 'mobile_safari' && step.at - k.lastSeen > SAFARI_COOKIE_DAYS * DAY)
        k.identified = false;
      if ((first && (session.loggedIn || session.fromEmail)) || step.type === 'popup') k.identified = true;
      k.lastSeen = step.at;
    }
    // An in-app browser starts every session without the cart cookie of the last one.
    if (device.kind === 'in_app' && cartSession.get(device) !== session.index) carts.delete(device);
    cartSession.set(device, session.index);
    if (step.type === 'cart_add') carts.set(device, step.cartToken);
    if (step.type === 'purchase') carts.delete(device);
    const cartToken = step.type === 'purchase' ? step.cartToken : carts.get(device);
    const kxSeen = trackingOk && ((first && session.fromEmail) || (script && k.identified));
    const deviceKeys = trackingOk
      ? [`c:${session.clientId}`, ...(cartToken ? [`cart:${cartToken}`] : []), ...(kxSeen ? ['kx'] : [])]
      : [];
    const loginKeys = session.loggedIn ? customerKeys : [];
    const pixel = !device.pixelBlocked;
    const emit = (specs: PixelEventSpec[], at: number) => {
      if (!pixel) return;
      batched += specs.length - 1;
      lines.push(
        pixelLine(
          ctx,
          session,
          specs,
          {
            cartToken,
            klaviyoCookie: script ? { identified: k.identified } : undefined,
            trackingAllowed: trackingOk,
          },
          arrive(at),
        ),
      );
    };
    const search =
      first && session.fromEmail
        ? `?_kx=${encodeURIComponent(shopper.kx)}&utm_source=klaviyo&utm_medium=email`
        : '';
    const fact = (stage: ActivityFact['stage'], keys: string[], extra: Partial<ActivityFact> = {}) =>
      activities.push({
        at: step.at,
        stage,
        keys: [...new Set(keys)],
        pixelSeen: pixel && trackingOk,
        pixelBlocked: device.pixelBlocked,
        trackingAllowedByLaw: lawful,
        klaviyoIdentified: script && k.identified,
        emailTyped: false,
        device: device.kind,
        ...extra,
      });
    switch (step.type) {
      case 'page': {
        const specs: PixelEventSpec[] = step.product
          ? [
              { name: 'page_viewed', at: step.at, path: `/products/${step.product.handle}`, search },
              {
                name: 'product_viewed',
                at: step.at,
                path: `/products/${step.product.handle}`,
                search,
                product: step.product,
              },
            ]
          : [{ name: 'page_viewed', at: step.at, path: cartToken ? '/cart' : '/', search }];
        emit(specs, step.at);
        if (step.product && script && k.identified)
          nativeEvent('Viewed Product', step.at, {
            ProductID: step.product.productId,
            ProductName: step.product.title,
          });
        const keys = pixel && trackingOk ? [...deviceKeys, ...loginKeys] : [];
        if (keys.length) observations.push({ at: step.at, keys });
        fact('browse', keys);
        break;
      }
      case 'cart_add': {
        emit(
          [
            {
              name: 'product_added_to_cart',
              at: step.at,
              path: `/products/${step.product.handle}`,
              product: step.product,
              quantity: step.quantity,
            },
          ],
          step.at,
        );
        lines.push(cartWebhook(ctx, step.cartToken, step.lines, step.at, arrive(step.at, true)));
        if (script && k.identified)
          nativeEvent('Added to Cart', step.at, { AddedItemProductID: step.product.productId }, step.lines);
        const pixelKeys = pixel && trackingOk ? [...deviceKeys, ...loginKeys] : [];
        if (pixelKeys.length) observations.push({ at: step.at, keys: pixelKeys });
        observations.push({ at: step.at, keys: [`cart:${step.cartToken}`] });
        fact('cart', [...pixelKeys, `cart:${step.cartToken}`], { cartToken: step.cartToken });
        break;
      }
      case 'checkout_start':
      case 'contact':
      case 'purchase': {
        const typed = step.type !== 'checkout_start';
        const phoneTyped = typed && step.phoneTyped && shopper.phone !== undefined;
        const emailBox = step.type === 'contact' && step.emailBox;
        const smsBox = step.type === 'contact' && step.smsBox;
        const checkout = {
          token: step.checkoutToken,
          lines: step.lines,
          ...(typed ? { email: shopper.email } : session.loggedIn ? { email: shopper.email } : {}),
          ...(phoneTyped ? { phone: shopper.phone } : {}),
          emailBox,
          smsBox,
          ...(step.type === 'purchase' ? { orderId: step.orderId } : {}),
        };
        const name =
          step.type === 'checkout_start'
            ? 'checkout_started'
            : step.type === 'contact'
              ? 'checkout_contact_info_submitted'
              : 'checkout_completed';
        emit([{ name, at: step.at, path: `/checkouts/cn/${step.checkoutToken}`, checkout }], step.at);
        const typedKeys = typed
          ? ['email', ...(phoneTyped ? ['phone'] : [])]
          : session.loggedIn
            ? ['email']
            : [];
        const pixelKeys = pixel
          ? [`chk:${step.checkoutToken}`, ...typedKeys, ...loginKeys, ...deviceKeys]
          : [];
        if (step.type === 'purchase') pixelKeys.push(...(pixel ? ['customer', `order:${step.orderId}`] : []));
        const state = {
          token: step.checkoutToken,
          cartToken: step.cartToken,
          lines: step.lines,
          ...(typed || session.loggedIn ? { email: shopper.email } : {}),
          ...(phoneTyped ? { phone: shopper.phone } : {}),
          emailBox,
          smsBox,
          loggedIn: session.loggedIn,
        };
        const webhookKeys = [
          `chk:${step.checkoutToken}`,
          `cart:${step.cartToken}`,
          ...(state.email ? ['email'] : []),
          ...(phoneTyped ? ['phone'] : []),
          ...loginKeys,
        ];
        if (step.type === 'purchase') {
          nativeEvent(
            'Placed Order',
            step.at,
            { OrderId: step.orderId },
            step.lines,
            phoneTyped ? shopper.phone : undefined,
          );
          lines.push(
            checkoutWebhook(
              ctx,
              'checkouts/update',
              { ...state, completedAt: step.at },
              step.at,
              arrive(step.at, true),
            ),
          );
          lines.push(
            orderWebhook(
              ctx,
              {
                id: step.orderId,
                checkoutToken: step.checkoutToken,
                cartToken: step.cartToken,
                lines: step.lines,
                phone: phoneTyped ? shopper.phone : undefined,
              },
              step.at,
              arrive(step.at, true) + 500,
            ),
          );
          observations.push({
            at: step.at,
            keys: [...webhookKeys, `order:${step.orderId}`, ...customerKeys],
          });
          if (pixelKeys.length) observations.push({ at: step.at, keys: pixelKeys });
          purchases.push(step.at);
          break;
        }
        lines.push(
          checkoutWebhook(
            ctx,
            step.type === 'checkout_start' ? 'checkouts/create' : 'checkouts/update',
            state,
            step.at,
            arrive(step.at, true),
          ),
        );
        observations.push({ at: step.at, keys: webhookKeys });
        if (pixelKeys.length) observations.push({ at: step.at, keys: pixelKeys });
        if (state.email || (script && k.identified))
          nativeEvent('Started Checkout', step.at, { CheckoutToken: step.checkoutToken }, step.lines);
        if (emailBox) email.marks.push({ at: step.at, state: 'subscribed' });
        if (smsBox && phoneTyped) sms.push({ at: step.at, state: 'subscribed' });
        fact('checkout', [...new Set([...webhookKeys, ...pixelKeys])], {
          emailTyped: step.type === 'contact' || session.loggedIn,
          cartToken: step.cartToken,
          checkoutToken: step.checkoutToken,
        });
        break;
      }
      case 'popup': {
        lines.push(
          consentLine(
            ctx,
            { state: 'granted', source: 'popup', ...(pixel ? { clientId: session.clientId } : {}) },
            step.at,
          ),
        );
        observations.push({ at: step.at, keys: ['email', ...(pixel ? [`c:${session.clientId}`] : [])] });
        email.marks.push({ at: step.at, state: 'subscribed' });
        break;
      }
    }
  }
  const facts = {
    regime,
    activities,
    purchases: purchases.filter((p) => p >= period.start),
    observations,
    email,
    sms,
    windows: settings.windows,
    lookback: settings.lookback,
    browseCap: settings.browseCap,
    quietAfterPurchase: settings.quietAfterPurchase,
  };
  const base = customerBase(
    shopper,
    prior,
    profile,
    new Random(`${settings.seed}:${profile.name}:${index}:customer-base`),
    period.start,
    settings.importDays,
  );
  // Installed when the period began, Reclaim saw nothing before it: only what the import brings.
  const during = <T extends { at: number }>(list: readonly T[]) => list.filter((x) => x.at >= period.start);
  const inPeriodPurchases = purchases.filter((p) => p >= period.start);
  const onDayOne = (known: ImportedKnowledge) =>
    groundTruth(shopper.id, {
      ...facts,
      observations: [...known.observations, ...during(observations)],
      recorded: {
        email: {
          marks: [...known.emailMarks, ...during(email.marks)],
          purchases: [...known.purchases, ...inPeriodPurchases],
        },
        sms: [...known.smsMarks, ...during(sms)],
      },
    });
  const plainDayOne = onDayOne({ observations: [], emailMarks: [], smsMarks: [], purchases: [] });
  const importedDayOne = onDayOne(base.known);
  const episodes: Episode[] = groundTruth(shopper.id, facts).map((e, i) => ({
    ...e,
    labelOnDayOne: plainDayOne[i]!.label,
    labelWithImport: importedDayOne[i]!.label,
  }));
  return {
    lines,
    events: lines.length + batched,
    klaviyo: klaviyoLines,
    truth: {
      id: shopper.id,
      email: shopper.email,
      ...(shopper.phone ? { phone: shopper.phone } : {}),
      regime,
      clientIds: [...new Set(sessions.map((s) => s.clientId))],
      cartTokens: [...new Set(steps.flatMap((s) => ('cartToken' in s ? [s.cartToken] : [])))],
      checkoutTokens: [...new Set(steps.flatMap((s) => ('checkoutToken' in s ? [s.checkoutToken] : [])))],
      purchases,
      email_history: email.marks,
      sms_history: sms,
      episodes,
    },
    base,
  };
}

function klaviyoState(
  states: Map<Device, KlaviyoState>,
  device: Device,
  session: Session,
  at: number,
): KlaviyoState {
  let state = states.get(device);
  // An in-app browser forgets Klaviyo's cookie with the rest at the end of a session.
  if (!state || (device.kind === 'in_app' && state.session !== session.index)) {
    state = { identified: false, lastSeen: at, session: session.index };
    states.set(device, state);
  }
  return state;
}
