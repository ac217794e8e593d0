import {
  LIMITS,
  type CanonicalEvent,
  type Commerce,
  type EventKind,
  type LineItem,
  type TrackingCategories,
} from '../../event-log/canonical-event.ts';
import { eventIdFor } from '../../event-log/event-log.ts';
import { asBoolean, asDict, nonEmpty, text, type Dict } from '../fields.ts';
import {
  normalizeCartToken,
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeRegion,
  normalizeShopifyId,
} from '../../event-log/identifier-normalizers.ts';
import { readKlaviyoCookie } from '../klaviyo-cookie.ts';
import { fbcFromClickId, readLandingParams } from '../landing-params.ts';
import { divideAmount, sumLines, toAmount } from '../../event-log/money.ts';
import type { RequestSignals } from '../request-signals.ts';
import type { CustomerPrivacy, PixelBody, PixelEvent } from './pixel-schema.ts';

/**
 * Shopify's standard pixel events, by name, and what each one means downstream; any other name is a
 * custom event (`track`). A Map, so a custom event named `constructor` or `toString` is just a name.
 */
export const PIXEL_EVENT_KINDS: ReadonlyMap<string, EventKind> = new Map<string, EventKind>([
  ['page_viewed', 'page_view'],
  ['product_viewed', 'product_view'],
  ['collection_viewed', 'collection_view'],
  ['search_submitted', 'search'],
  ['product_added_to_cart', 'cart_add'],
  ['product_removed_from_cart', 'cart_remove'],
  ['cart_viewed', 'cart_view'],
  ['checkout_started', 'checkout_started'],
  ['checkout_contact_info_submitted', 'checkout_contact'],
  ['checkout_address_info_submitted', 'checkout_update'],
  ['checkout_shipping_info_submitted', 'checkout_update'],
  ['payment_info_submitted', 'checkout_update'],
  ['checkout_completed', 'order_completed'],
  // Sent by Reclaim's pixel when `customerPrivacy.subscribe('visitorConsentCollected')` fires.
  ['visitor_consent_collected', 'consent'],
]);

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
  const kind = PIXEL_EVENT_KINDS.get(event.name) ?? 'track';
  const data = asDict(event.data);
  const context = asDict(event.context);
  const navigator = asDict(context.navigator);
  const location = asDict(asDict(context.document).location);
  const windowLocation = asDict(asDict(context.window).location);
  const pageUrl = text(location.href) ?? text(windowLocation.href);
  const origin = text(location.origin) ?? text(windowLocation.origin);
  const landing = readLandingParams(pageUrl);
  const cookies = body.cookies ?? undefined;
  const klaviyo = cookies
    ? (readKlaviyoCookie(cookies.__kla_id) ?? { cookiePresent: false, identified: false })
    : undefined;
  const initData = initDataOf(body.init);
  const customer = asDict(initData.customer);
  const checkout = asDict(data.checkout);
  const shipping = asDict(checkout.shippingAddress);
  const billing = asDict(checkout.billingAddress);
  const shippingCountry = normalizeCountry(shipping.countryCode);
  const billingCountry = normalizeCountry(billing.countryCode);
  const countryHint = shippingCountry ?? billingCountry ?? signals.country;
  const order = asDict(checkout.order);
  const eventTime = Date.parse(event.timestamp);
  const email = normalizeEmail(checkout.email);
  const phone = normalizePhone(checkout.phone, countryHint);
  const typing = kind === 'checkout_contact' || kind === 'checkout_update';
  const privacy = event.customerPrivacy ?? body.customerPrivacy ?? undefined;
  const idempotencyKey = `pixel:${event.id}`;

  return {
    id: eventIdFor(idempotencyKey, eventTime),
    kind,
    source: 'pixel',
    name: event.name,
    idempotencyKey,
    eventTime,
    receivedAt: signals.receivedAt,
    ids: {
      clientId: normalizeOpaqueId(event.clientId),
      browserId: normalizeOpaqueId(body.browserId),
      customerId: normalizeShopifyId(asDict(order.customer).id) ?? normalizeShopifyId(customer.id),
      email: email ?? normalizeEmail(customer.email),
      phone: phone ?? normalizePhone(customer.phone, countryHint),
      cartToken:
        normalizeCartToken(asDict(data.cart).id) ??
        normalizeCartToken(cookies?.cart) ??
        normalizeCartToken(asDict(initData.cart).id),
      checkoutToken: normalizeOpaqueId(checkout.token),
      kx: normalizeOpaqueId(landing.kx ?? klaviyo?.exchangeId),
      orderId: normalizeShopifyId(order.id),
    },
    typed:
      typing && (email || phone)
        ? [...(email ? (['email'] as const) : []), ...(phone ? (['phone'] as const) : [])]
        : undefined,
    context: {
      ip: signals.ip,
      userAgent: text(navigator.userAgent, 1024) ?? signals.userAgent,
      locale: text(navigator.language, 64),
      pageUrl,
      referrer: text(asDict(context.document).referrer),
      utm: landing.utm,
      fbclid: landing.fbclid,
      gclid: landing.gclid,
      fbc: text(cookies?._fbc) ?? (landing.fbclid ? fbcFromClickId(landing.fbclid, eventTime) : undefined),
      fbp: text(cookies?._fbp),
      gaClientId: gaClientId(cookies?._ga),
      klaviyo: klaviyo && { cookiePresent: klaviyo.cookiePresent, identified: klaviyo.identified },
      gpc: signals.gpc || undefined,
      tracking: privacy ? toCategories(privacy) : undefined,
      geo: nonEmpty({
        country: signals.country,
        region: signals.region,
        shippingCountry,
        shippingRegion: normalizeRegion(shipping.provinceCode, shippingCountry),
        billingCountry,
        billingRegion: normalizeRegion(billing.provinceCode, billingCountry),
      }),
      shop: text(asDict(initData.shop).myshopifyDomain, 255),
    },
    commerce: commerceOf(data, origin),
    consent:
      kind === 'consent' && privacy
        ? {
            permission: 'tracking',
            state: privacy.analyticsProcessingAllowed && privacy.marketingAllowed ? 'granted' : 'denied',
            source: 'shopify_banner',
            wordingVersion: envelope.bannerWordingVersion,
            categories: toCategories(privacy),
            captureUrl: pageUrl,
          }
        : undefined,
    properties: kind === 'search' ? nonEmpty({ query: text(asDict(data.searchResult).query) }) : undefined,
  };
}

/** `_ga` is `GA1.1.<random>.<timestamp>`; GA4's client id is its last two parts. */
function gaClientId(cookie: string | undefined): string | undefined {
  const match = cookie ? /^GA\d\.\d+\.(\d{1,32}\.\d{1,32})$/.exec(cookie) : null;
  return match?.[1];
}

function commerceOf(data: Dict, origin: string | undefined): Commerce | undefined {
  if (data.productVariant) {
    const variant = asDict(data.productVariant);
    const line = variantLine(variant, 1, origin);
    return line ? withTotals([line], asDict(variant.price).currencyCode) : undefined;
  }
  if (data.cartLine) {
    const cartLine = asDict(data.cartLine);
    const merchandise = asDict(cartLine.merchandise);
    const line = variantLine(merchandise, quantityOf(cartLine.quantity), origin);
    return line ? withTotals([line], asDict(merchandise.price).currencyCode) : undefined;
  }
  if (data.cart) {
    const cart = asDict(data.cart);
    const lines: LineItem[] = [];
    for (const raw of Array.isArray(cart.lines) ? cart.lines.slice(0, 500) : []) {
      const cartLine = asDict(raw);
      const line = variantLine(asDict(cartLine.merchandise), quantityOf(cartLine.quantity), origin);
      if (line) lines.push(line);
    }
    const total = asDict(asDict(cart.cost).totalAmount);
    return withTotals(lines, total.currencyCode, toAmount(total.amount));
  }
  if (data.checkout) {
    const checkout = asDict(data.checkout);
    const lines: LineItem[] = [];
    for (const raw of Array.isArray(checkout.lineItems) ? checkout.lineItems.slice(0, 500) : []) {
      const item = asDict(raw);
      const quantity = quantityOf(item.quantity);
      const line = variantLine(asDict(item.variant), quantity, origin, text(item.title, LIMITS.title));
      if (!line) continue;
      const linePrice = toAmount(asDict(item.finalLinePrice).amount);
      if (!line.price && linePrice) line.price = divideAmount(linePrice, quantity);
      lines.push(line);
    }
    const total = asDict(checkout.totalPrice);
    return {
      ...withTotals(lines, total.currencyCode ?? checkout.currencyCode, toAmount(total.amount)),
      buyerAcceptsEmail: asBoolean(checkout.buyerAcceptsEmailMarketing),
      buyerAcceptsSms: asBoolean(checkout.buyerAcceptsSmsMarketing),
    };
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
  const url = text(product.url);
  const absolute = url && origin && url.startsWith('/') ? `${origin}${url}` : url;
  return {
    productId,
    variantId,
    sku: text(variant.sku, LIMITS.sku),
    title: text(product.title, LIMITS.title) ?? title,
    variantTitle: text(variant.title, LIMITS.title),
    url: absolute && absolute.length <= LIMITS.text ? absolute : undefined,
    imageUrl: text(asDict(variant.image).src),
    price: toAmount(asDict(variant.price).amount),
    quantity,
  };
}

function withTotals(lines: LineItem[], currency: unknown, value?: string): Commerce {
  return {
    lines,
    value: value ?? sumLines(lines),
    currency: typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : undefined,
  };
}

/**
 * The pixel's `init.data` (`customer`, `cart`, `shop`). CONTRACT.md lets `init` be that object itself or
 * the whole `init` the pixel received (`{ data: { … } }`); both mean the same.
 */
function initDataOf(init: PixelBody['init']): Record<string, unknown> {
  const whole = asDict(init);
  return Object.hasOwn(whole, 'data') ? asDict(whole.data) : whole;
}
