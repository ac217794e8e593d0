import type {
  CanonicalEvent,
  EventContext,
  EventKind,
  LineItem,
  TrackingCategories,
} from '../canonical-event.ts';
import { eventIdFor } from '../event-log.ts';
import {
  normalizeCartToken,
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
} from '../identifier-normalizers.ts';
import { readLandingParams } from '../landing-params.ts';
import { sumLines, toAmount } from '../money.ts';
import type { RequestSignals } from '../request-signals.ts';
import { parseTime } from '../validation.ts';
import { asDict, asString, definedEntries, setIf, type Dict } from '../fields.ts';
import type { SegmentMessage } from './segment-schema.ts';
import { createHash } from 'node:crypto';

/** Segment's E-commerce v2 spec events that journeys act on, by lower-cased name. */
const ECOMMERCE_KINDS: Record<string, EventKind> = {
  'products searched': 'search',
  'product list viewed': 'collection_view',
  'product list filtered': 'collection_view',
  'product viewed': 'product_view',
  'product added': 'cart_add',
  'product removed': 'cart_remove',
  'cart viewed': 'cart_view',
  'checkout started': 'checkout_started',
  'checkout step viewed': 'checkout_update',
  'checkout step completed': 'checkout_update',
  'payment info entered': 'checkout_update',
  'order completed': 'order_completed',
  'order cancelled': 'order_cancelled',
};

/** Turns one validated Segment message into the canonical event. */
export function mapSegmentMessage(
  message: SegmentMessage,
  signals: RequestSignals,
  batchSentAt?: string | null,
): CanonicalEvent {
  const properties = asDict(message.properties);
  const traits = { ...asDict(asDict(message.context).traits), ...asDict(message.traits) };
  const context = asDict(message.context);
  const kind = kindOf(message);
  const idempotencyKey = message.messageId
    ? `segment:${message.messageId}`
    : `segment:sha256:${createHash('sha256').update(JSON.stringify(message)).digest('hex')}`;
  const country =
    normalizeCountry(asDict(traits.address).country) ?? normalizeCountry(asDict(context.location).country);
  const email = normalizeEmail(traits.email) ?? normalizeEmail(properties.email);
  const phone = normalizePhone(traits.phone, country) ?? normalizePhone(properties.phone, country);
  const page = asDict(context.page);
  const pageUrl = asString(page.url) ?? (message.type === 'page' ? asString(properties.url) : undefined);
  const landing = readLandingParams(pageUrl);
  const commerce = commerceOf(kind, properties);

  const ids: CanonicalEvent['ids'] = {};
  setIf(ids, 'anonymousId', normalizeOpaqueId(message.anonymousId));
  setIf(ids, 'customerId', normalizeOpaqueId(message.userId));
  setIf(ids, 'email', email);
  setIf(ids, 'phone', phone);
  setIf(ids, 'cartToken', normalizeCartToken(properties.cart_id));
  setIf(ids, 'checkoutToken', normalizeOpaqueId(properties.checkout_id));
  setIf(ids, 'orderId', normalizeOpaqueId(properties.order_id));
  setIf(ids, 'kx', landing.kx);

  const eventContext: EventContext = {};
  setIf(eventContext, 'ip', asString(context.ip) ?? signals.ip);
  setIf(eventContext, 'userAgent', asString(context.userAgent) ?? signals.userAgent);
  setIf(eventContext, 'locale', asString(context.locale));
  setIf(eventContext, 'pageUrl', pageUrl);
  setIf(eventContext, 'referrer', asString(page.referrer));
  const campaign = asDict(context.campaign);
  const utm = {
    ...landing.utm,
    ...definedEntries({
      source: asString(campaign.source),
      medium: asString(campaign.medium),
      campaign: asString(campaign.name),
      term: asString(campaign.term),
      content: asString(campaign.content),
    }),
  };
  if (Object.keys(utm).length) eventContext.utm = utm;
  setIf(eventContext, 'fbclid', landing.fbclid);
  setIf(eventContext, 'gclid', landing.gclid);
  if (signals.gpc) eventContext.gpc = true;
  const tracking = trackingFromSegmentConsent(asDict(context.consent));
  if (tracking) eventContext.tracking = tracking;
  const geo = definedEntries({ country: signals.country, region: signals.region, customerCountry: country });
  if (Object.keys(geo).length) eventContext.geo = geo;

  const payload = message.type === 'identify' ? asDict(message.traits) : properties;
  return {
    id: eventIdFor(idempotencyKey),
    kind,
    source: 'segment',
    name: message.type === 'track' ? message.event! : message.type,
    idempotencyKey,
    eventTime: eventTimeOf(message, signals.receivedAt, batchSentAt),
    receivedAt: signals.receivedAt,
    ids,
    ...(message.type === 'alias' ? { previousId: normalizeOpaqueId(message.previousId) } : {}),
    context: eventContext,
    ...(commerce ? { commerce } : {}),
    ...(Object.keys(payload).length ? { properties: payload } : {}),
  };
}

function kindOf(message: SegmentMessage): EventKind {
  switch (message.type) {
    case 'page':
    case 'screen':
      return 'page_view';
    case 'identify':
      return 'identify';
    case 'alias':
      return 'alias';
    case 'group':
      return 'track';
    case 'track':
      return ECOMMERCE_KINDS[message.event!.toLowerCase()] ?? 'track';
  }
}

/**
 * Segment's clock-skew rule: an explicit `timestamp` wins; otherwise `originalTimestamp` corrected by
 * the difference between the client's `sentAt` and our receive time; otherwise the receive time.
 */
function eventTimeOf(message: SegmentMessage, receivedAt: number, batchSentAt?: string | null): number {
  const timestamp = parseTime(message.timestamp);
  if (timestamp !== undefined) return timestamp;
  const original = parseTime(message.originalTimestamp);
  const sentAt = parseTime(message.sentAt ?? batchSentAt);
  if (original !== undefined && sentAt !== undefined) return receivedAt - (sentAt - original);
  return original ?? receivedAt;
}

function commerceOf(kind: EventKind, properties: Dict): CanonicalEvent['commerce'] {
  const products = Array.isArray(properties.products) ? properties.products.map(asDict) : [];
  const single = ['product_view', 'cart_add', 'cart_remove'].includes(kind) ? [properties] : [];
  const lines = [...products, ...single].map(lineOf).filter((l): l is LineItem => l !== undefined);
  const value =
    toAmount(properties.value) ??
    toAmount(properties.revenue) ??
    toAmount(properties.total) ??
    sumLines(lines);
  const currency = typeof properties.currency === 'string' ? properties.currency.toUpperCase() : undefined;
  if (lines.length === 0 && value === undefined) return undefined;
  return {
    lines,
    ...(value !== undefined ? { value } : {}),
    ...(currency && /^[A-Z]{3}$/.test(currency) ? { currency } : {}),
    ...definedEntries({
      cartUrl: asString(properties.cart_url),
      checkoutUrl: asString(properties.checkout_url),
    }),
  };
}

function lineOf(product: Dict): LineItem | undefined {
  const productId = normalizeOpaqueId(product.product_id ?? product.id);
  const sku = asString(product.sku);
  if (!productId && !sku && !asString(product.name)) return undefined;
  const quantity =
    typeof product.quantity === 'number' && Number.isInteger(product.quantity) && product.quantity >= 0
      ? product.quantity
      : 1;
  return {
    quantity: Math.min(quantity, 1_000_000),
    ...definedEntries({
      productId,
      variantId: normalizeOpaqueId(product.variant_id),
      sku,
      title: asString(product.name),
      variantTitle: asString(product.variant),
      url: asString(product.url),
      imageUrl: asString(product.image_url),
      price: toAmount(product.price),
    }),
  };
}

/**
 * Segment Consent Management's `context.consent.categoryPreferences` uses the store's own category
 * names; the common ones map onto Shopify's four categories. Absent categories count as not granted.
 */
function trackingFromSegmentConsent(consent: Dict): TrackingCategories | undefined {
  const prefs = asDict(consent.categoryPreferences);
  const entries = Object.entries(prefs).map(
    ([k, v]) => [k.toLowerCase().replace(/[^a-z]/g, ''), v === true] as const,
  );
  if (entries.length === 0) return undefined;
  const any = (...names: string[]) => entries.some(([k, v]) => v && names.includes(k));
  return {
    analytics: any('analytics', 'performance', 'statistics'),
    marketing: any('advertising', 'marketing', 'targeting'),
    preferences: any('functional', 'preferences', 'personalization'),
    saleOfData: any('saleofdata', 'datasharing', 'sale'),
  };
}
