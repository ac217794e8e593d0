import type {
  CanonicalEvent,
  Commerce,
  EventContext,
  EventKind,
  LineItem,
  TrackingCategories,
} from '../canonical-event.ts';
import { eventIdFor } from '../event-log.ts';
import { asBoolean, asDict, asString, definedEntries, setIf, type Dict } from '../fields.ts';
import {
  normalizeCartToken,
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeRegion,
  normalizeShopifyId,
} from '../identifier-normalizers.ts';
import { readKlaviyoCookie } from '../klaviyo-cookie.ts';
import { fbcFromClickId, readLandingParams } from '../landing-params.ts';
import { divideAmount, sumLines, toAmount } from '../money.ts';
import type { RequestSignals } from '../request-signals.ts';
import type { CustomerPrivacy, PixelBody, PixelEvent } from './pixel-schema.ts';

/** Shopify's standard pixel events, by name, and what each one means downstream. */
export const PIXEL_EVENT_KINDS: Record<string, EventKind> = {
  page_viewed: 'page_view',
  product_viewed: 'product_view',
  collection_viewed: 'collection_view',
  search_submitted: 'search',
  product_added_to_cart: 'cart_add',
  product_removed_from_cart: 'cart_remove',
  cart_viewed: 'cart_view',
  checkout_started: 'checkout_started',
  checkout_contact_info_submitted: 'checkout_contact',
  checkout_address_info_submitted: 'checkout_update',
  checkout_shipping_info_submitted: 'checkout_update',
  payment_info_submitted: 'checkout_update',
  checkout_completed: 'order_completed',
  /** Sent by Reclaim's pixel when `customerPrivacy.subscribe('visitorConsentCollected')` fires. */
  visitor_consent_collected: 'consent',
};

/** Shopify Customer Privacy booleans in Reclaim's category names. */
export function toCategories(privacy: CustomerPrivacy): TrackingCategories {
  return {
    analytics: privacy.analyticsProcessingAllowed,
    marketing: privacy.marketingAllowed,
    preferences: privacy.preferencesProcessingAllowed,
    saleOfData: privacy.saleOfDataAllowed,
  };
}

/** The request-wide parts of a pixel body, read once and shared by its events. */
export interface PixelEnvelope {
  signals: RequestSignals;
  body: PixelBody;
  /** The wording version recorded for decisions made in the store's Shopify cookie banner. */
  bannerWordingVersion: string;
}

/** Turns one validated pixel event into the canonical event. */
export function mapPixelEvent(event: PixelEvent, envelope: PixelEnvelope): CanonicalEvent {
  const { signals, body } = envelope;
  const kind = PIXEL_EVENT_KINDS[event.name] ?? 'track';
  const data = asDict(event.data);
  const context = asDict(event.context);
  const location = asDict(asDict(context.document).location);
  const windowLocation = asDict(asDict(context.window).location);
  const pageUrl = asString(location.href) ?? asString(windowLocation.href);
  const origin = asString(location.origin) ?? asString(windowLocation.origin);
  const landing = readLandingParams(pageUrl);
  const cookies = body.cookies ?? undefined;
  const klaviyo = cookies
    ? (readKlaviyoCookie(cookies.__kla_id) ?? { cookiePresent: false, identified: false })
    : undefined;
  const initData = asDict(body.init?.data);
  const customer = asDict(initData.customer);
  const checkout = asDict(data.checkout);
  const shipping = asDict(checkout.shippingAddress);
  const billing = asDict(checkout.billingAddress);
  const shippingCountry = normalizeCountry(shipping.countryCode);
  const billingCountry = normalizeCountry(billing.countryCode);
  const countryHint = shippingCountry ?? billingCountry ?? signals.country;
  const order = asDict(checkout.order);
  const eventTime = Date.parse(event.timestamp);

  const ids: CanonicalEvent['ids'] = {};
  setIf(ids, 'clientId', normalizeOpaqueId(event.clientId));
  setIf(ids, 'browserId', normalizeOpaqueId(body.browserId));
  setIf(ids, 'customerId', normalizeShopifyId(asDict(order.customer).id) ?? normalizeShopifyId(customer.id));
  setIf(ids, 'email', normalizeEmail(checkout.email) ?? normalizeEmail(customer.email));
  setIf(
    ids,
    'phone',
    normalizePhone(checkout.phone, countryHint) ?? normalizePhone(customer.phone, countryHint),
  );
  setIf(
    ids,
    'cartToken',
    normalizeCartToken(asDict(data.cart).id) ??
      normalizeCartToken(cookies?.cart) ??
      normalizeCartToken(asDict(initData.cart).id),
  );
  setIf(ids, 'checkoutToken', normalizeOpaqueId(checkout.token));
  setIf(ids, 'kx', landing.kx ?? klaviyo?.exchangeId);
  setIf(ids, 'orderId', normalizeShopifyId(order.id));

  const eventContext: EventContext = {};
  setIf(eventContext, 'ip', signals.ip);
  setIf(eventContext, 'userAgent', asString(asDict(context.navigator).userAgent) ?? signals.userAgent);
  setIf(eventContext, 'locale', asString(asDict(context.navigator).language));
  setIf(eventContext, 'pageUrl', pageUrl);
  setIf(eventContext, 'referrer', asString(asDict(context.document).referrer));
  setIf(eventContext, 'utm', landing.utm);
  setIf(eventContext, 'fbclid', landing.fbclid);
  setIf(eventContext, 'gclid', landing.gclid);
  setIf(
    eventContext,
    'fbc',
    cookies?._fbc ?? (landing.fbclid ? fbcFromClickId(landing.fbclid, eventTime) : undefined),
  );
  setIf(eventContext, 'fbp', cookies?._fbp);
  setIf(eventContext, 'gaClientId', gaClientId(cookies?._ga));
  setIf(
    eventContext,
    'klaviyo',
    klaviyo && { cookiePresent: klaviyo.cookiePresent, identified: klaviyo.identified },
  );
  if (signals.gpc) eventContext.gpc = true;
  const privacy = event.customerPrivacy ?? body.customerPrivacy ?? undefined;
  if (privacy) eventContext.tracking = toCategories(privacy);
  const geo = definedEntries({
    country: signals.country,
    region: signals.region,
    shippingCountry,
    shippingRegion: normalizeRegion(shipping.provinceCode, shippingCountry),
    billingCountry,
    billingRegion: normalizeRegion(billing.provinceCode, billingCountry),
  });
  if (Object.keys(geo).length) eventContext.geo = geo;
  setIf(eventContext, 'shop', asString(asDict(initData.shop).myshopifyDomain));

  const typed: ('email' | 'phone')[] = [];
  if (kind === 'checkout_contact' || kind === 'checkout_update') {
    if (normalizeEmail(checkout.email)) typed.push('email');
    if (normalizePhone(checkout.phone, countryHint)) typed.push('phone');
  }
  const commerce = commerceOf(data, origin);
  const idempotencyKey = `pixel:${event.id}`;
  return {
    id: eventIdFor(idempotencyKey),
    kind,
    source: 'pixel',
    name: event.name,
    idempotencyKey,
    eventTime,
    receivedAt: signals.receivedAt,
    ids,
    ...(typed.length ? { typed } : {}),
    context: eventContext,
    ...(commerce ? { commerce } : {}),
    ...(kind === 'consent' && privacy
      ? {
          consent: {
            permission: 'tracking' as const,
            state:
              privacy.analyticsProcessingAllowed && privacy.marketingAllowed
                ? ('granted' as const)
                : ('denied' as const),
            source: 'shopify_banner',
            wordingVersion: envelope.bannerWordingVersion,
            categories: toCategories(privacy),
            ...(pageUrl ? { captureUrl: pageUrl } : {}),
          },
        }
      : {}),
    ...(kind === 'search'
      ? { properties: definedEntries({ query: asString(asDict(data.searchResult).query) }) }
      : {}),
  };
}

/** `_ga` is `GA1.1.<random>.<timestamp>`; GA4's client id is its last two parts. */
function gaClientId(cookie: string | undefined): string | undefined {
  const match = cookie ? /^GA\d\.\d+\.(\d+\.\d+)$/.exec(cookie) : null;
  return match?.[1];
}

function commerceOf(data: Dict, origin: string | undefined): Commerce | undefined {
  if (data.productVariant) {
    const line = variantLine(asDict(data.productVariant), 1, origin);
    return line ? withTotals([line], asDict(asDict(data.productVariant).price).currencyCode) : undefined;
  }
  if (data.cartLine) {
    const cartLine = asDict(data.cartLine);
    const line = variantLine(asDict(cartLine.merchandise), quantityOf(cartLine.quantity), origin);
    return line ? withTotals([line], asDict(asDict(cartLine.merchandise).price).currencyCode) : undefined;
  }
  if (data.cart) {
    const cart = asDict(data.cart);
    const lines = (Array.isArray(cart.lines) ? cart.lines : [])
      .map((l) => asDict(l))
      .map((l) => variantLine(asDict(l.merchandise), quantityOf(l.quantity), origin))
      .filter((l): l is LineItem => l !== undefined);
    const total = asDict(asDict(cart.cost).totalAmount);
    return withTotals(lines, total.currencyCode, toAmount(total.amount));
  }
  if (data.checkout) {
    const checkout = asDict(data.checkout);
    const lines = (Array.isArray(checkout.lineItems) ? checkout.lineItems : [])
      .map((l) => asDict(l))
      .map((l) => {
        const quantity = quantityOf(l.quantity);
        const line = variantLine(asDict(l.variant), quantity, origin, asString(l.title));
        const linePrice = toAmount(asDict(l.finalLinePrice).amount);
        return line && !line.price && linePrice
          ? { ...line, price: divideAmount(linePrice, quantity) }
          : line;
      })
      .filter((l): l is LineItem => l !== undefined);
    const total = asDict(checkout.totalPrice);
    const commerce = withTotals(lines, total.currencyCode ?? checkout.currencyCode, toAmount(total.amount));
    const accepts = definedEntries({
      buyerAcceptsEmail: asBoolean(checkout.buyerAcceptsEmailMarketing),
      buyerAcceptsSms: asBoolean(checkout.buyerAcceptsSmsMarketing),
    });
    return { ...commerce, ...accepts };
  }
  return undefined;
}

function quantityOf(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? Math.min(value, 1_000_000) : 1;
}

function variantLine(
  variant: Dict,
  quantity: number,
  origin: string | undefined,
  title?: string,
): LineItem | undefined {
  const product = asDict(variant.product);
  const variantId = normalizeShopifyId(variant.id);
  const productId = normalizeShopifyId(product.id);
  if (!variantId && !productId) return undefined;
  const url = asString(product.url);
  return {
    quantity,
    ...definedEntries({
      productId,
      variantId,
      sku: asString(variant.sku),
      title: asString(product.title) ?? title,
      variantTitle: asString(variant.title),
      url: url && origin && url.startsWith('/') ? `${origin}${url}` : url,
      imageUrl: asString(asDict(variant.image).src),
      price: toAmount(asDict(variant.price).amount),
    }),
  };
}

function withTotals(lines: LineItem[], currency: unknown, value?: string): Commerce {
  const code = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  const total = value ?? sumLines(lines);
  return { lines, ...(total !== undefined ? { value: total } : {}), ...(code ? { currency: code } : {}) };
}
