import { hash } from 'node:crypto';
import {
  LIMITS,
  type CanonicalEvent,
  type Commerce,
  type EventKind,
  type LineItem,
  type TrackingCategories,
} from '../../event-log/canonical-event.ts';
import { eventIdFor } from '../../event-log/event-log.ts';
import { asDict, nonEmpty, text, type Dict } from '../fields.ts';
import {
  normalizeCartToken,
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
} from '../../event-log/identifier-normalizers.ts';
import { readLandingParams } from '../landing-params.ts';
import { sumLines, toAmount } from '../../event-log/money.ts';
import type { RequestSignals } from '../request-signals.ts';
import { parseTime } from '../validation.ts';
import type { SegmentMessage } from './segment-schema.ts';

/**
 * Segment's E-commerce v2 spec events that journeys act on, by lower-cased name; any other name is a
 * custom event (`track`), `constructor` and `__proto__` included.
 */
const ECOMMERCE_KINDS: ReadonlyMap<string, EventKind> = new Map<string, EventKind>([
  ['products searched', 'search'],
  ['product list viewed', 'collection_view'],
  ['product list filtered', 'collection_view'],
  ['product viewed', 'product_view'],
  ['product added', 'cart_add'],
  ['product removed', 'cart_remove'],
  ['cart viewed', 'cart_view'],
  ['checkout started', 'checkout_started'],
  ['checkout step viewed', 'checkout_update'],
  ['checkout step completed', 'checkout_update'],
  ['payment info entered', 'checkout_update'],
  ['order completed', 'order_completed'],
  ['order cancelled', 'order_cancelled'],
]);

const SINGLE_PRODUCT_KINDS = new Set<EventKind>(['product_view', 'cart_add', 'cart_remove']);

/** Turns one validated Segment message into the canonical event. */
export function mapSegmentMessage(
  message: SegmentMessage,
  signals: RequestSignals,
  batchSentAt?: string | null,
): CanonicalEvent {
  const properties = asDict(message.properties);
  const context = asDict(message.context);
  const contextTraits = asDict(context.traits);
  const traits = asDict(message.traits);
  const kind = kindOf(message);
  const idempotencyKey = message.messageId
    ? `segment:${message.messageId}`
    : `segment:sha256:${hash('sha256', JSON.stringify(message), 'hex')}`;
  const country =
    normalizeCountry(asDict(traits.address).country ?? asDict(contextTraits.address).country) ??
    normalizeCountry(asDict(context.location).country);
  const page = asDict(context.page);
  const pageUrl = text(page.url) ?? (message.type === 'page' ? text(properties.url) : undefined);
  const landing = readLandingParams(pageUrl);
  const campaign = asDict(context.campaign);
  const timestamp = parseTime(message.timestamp);
  const originalTimestamp = parseTime(message.originalTimestamp);

  return {
    id: eventIdFor(idempotencyKey, timestamp ?? originalTimestamp),
    kind,
    source: 'segment',
    name: message.type === 'track' ? message.event! : message.type,
    idempotencyKey,
    eventTime: eventTimeOf(
      timestamp,
      originalTimestamp,
      parseTime(message.sentAt ?? batchSentAt),
      signals.receivedAt,
    ),
    receivedAt: signals.receivedAt,
    ids: {
      anonymousId: normalizeOpaqueId(message.anonymousId),
      customerId: normalizeOpaqueId(message.userId),
      email: normalizeEmail(traits.email ?? contextTraits.email ?? properties.email),
      phone: normalizePhone(traits.phone ?? contextTraits.phone ?? properties.phone, country),
      cartToken: normalizeCartToken(properties.cart_id),
      checkoutToken: normalizeOpaqueId(properties.checkout_id),
      orderId: normalizeOpaqueId(properties.order_id),
      kx: normalizeOpaqueId(landing.kx),
    },
    previousId: message.type === 'alias' ? normalizeOpaqueId(message.previousId) : undefined,
    context: {
      ip: text(context.ip, 64) ?? signals.ip,
      userAgent: text(context.userAgent, 1024) ?? signals.userAgent,
      locale: text(context.locale, 64),
      pageUrl,
      referrer: text(page.referrer),
      utm: nonEmpty({
        source: text(campaign.source) ?? landing.utm?.source,
        medium: text(campaign.medium) ?? landing.utm?.medium,
        campaign: text(campaign.name) ?? landing.utm?.campaign,
        term: text(campaign.term) ?? landing.utm?.term,
        content: text(campaign.content) ?? landing.utm?.content,
      }),
      fbclid: landing.fbclid,
      gclid: landing.gclid,
      gpc: signals.gpc || undefined,
      tracking: trackingFromSegmentConsent(asDict(context.consent)),
      geo: nonEmpty({ country: signals.country, region: signals.region, customerCountry: country }),
    },
    commerce: commerceOf(kind, properties),
    properties:
      message.type === 'identify'
        ? nonEmpty(traits)
        : kind === 'track' || kind === 'page_view'
          ? nonEmpty(properties)
          : undefined,
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
      return ECOMMERCE_KINDS.get(message.event!.toLowerCase()) ?? 'track';
  }
}

/**
 * Segment's clock-skew rule: an explicit `timestamp` wins; otherwise `originalTimestamp` corrected by
 * the difference between the client's `sentAt` and our receive time; otherwise the receive time.
 */
function eventTimeOf(
  timestamp: number | undefined,
  original: number | undefined,
  sentAt: number | undefined,
  receivedAt: number,
): number {
  if (timestamp !== undefined) return timestamp;
  if (original !== undefined && sentAt !== undefined) return receivedAt - (sentAt - original);
  return original ?? receivedAt;
}

function commerceOf(kind: EventKind, properties: Dict): Commerce | undefined {
  const lines: LineItem[] = [];
  if (Array.isArray(properties.products)) {
    for (const product of properties.products.slice(0, 500)) {
      const line = lineOf(asDict(product));
      if (line) lines.push(line);
    }
  }
  if (SINGLE_PRODUCT_KINDS.has(kind)) {
    const line = lineOf(properties);
    if (line) lines.push(line);
  }
  const value =
    toAmount(properties.value) ??
    toAmount(properties.revenue) ??
    toAmount(properties.total) ??
    sumLines(lines);
  if (lines.length === 0 && value === undefined) return undefined;
  const currency = typeof properties.currency === 'string' ? properties.currency.toUpperCase() : undefined;
  return {
    lines,
    value,
    currency: currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined,
    cartUrl: text(properties.cart_url),
    checkoutUrl: text(properties.checkout_url),
  };
}

function lineOf(product: Dict): LineItem | undefined {
  const productId = normalizeOpaqueId(product.product_id ?? product.id);
  const sku = text(product.sku, LIMITS.sku);
  const title = text(product.name, LIMITS.title);
  if (!productId && !sku && !title) return undefined;
  const quantity = product.quantity;
  return {
    productId,
    variantId: normalizeOpaqueId(product.variant_id),
    sku,
    title,
    variantTitle: text(product.variant, LIMITS.title),
    url: text(product.url),
    imageUrl: text(product.image_url),
    price: toAmount(product.price),
    quantity:
      typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 0
        ? Math.min(quantity, 1_000_000)
        : 1,
  };
}

/**
 * Segment Consent Management's `context.consent.categoryPreferences` uses the store's own category
 * names; the common ones map onto Shopify's four categories. Absent categories count as not granted.
 */
function trackingFromSegmentConsent(consent: Dict): TrackingCategories | undefined {
  const prefs = asDict(consent.categoryPreferences);
  const granted = new Set<string>();
  let any = false;
  for (const [key, value] of Object.entries(prefs)) {
    any = true;
    if (value === true) granted.add(key.toLowerCase().replace(/[^a-z]/g, ''));
  }
  if (!any) return undefined;
  const has = (...names: string[]) => names.some((n) => granted.has(n));
  return {
    analytics: has('analytics', 'performance', 'statistics'),
    marketing: has('advertising', 'marketing', 'targeting'),
    preferences: has('functional', 'preferences', 'personalization'),
    saleOfData: has('saleofdata', 'datasharing', 'sale'),
  };
}
