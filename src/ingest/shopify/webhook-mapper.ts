import type { z } from 'zod';
import type {
  CanonicalEvent,
  Commerce,
  ConsentDecision,
  EventContext,
  EventKind,
  LineItem,
} from '../../event-log/canonical-event.ts';
import { eventIdFor } from '../../event-log/event-log.ts';
import { LIMITS } from '../../event-log/canonical-event.ts';
import { nonEmpty, text } from '../fields.ts';
import {
  normalizeCartToken,
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeRegion,
  normalizeShopifyId,
} from '../../event-log/identifier-normalizers.ts';
import { sumLines, toAmount } from '../../event-log/money.ts';
import { parseBody, parseTime } from '../validation.ts';
import {
  cartWebhookSchema,
  checkoutWebhookSchema,
  customerRedactSchema,
  customerWebhookSchema,
  dataRequestSchema,
  emailConsentWebhookSchema,
  orderWebhookSchema,
  shopRedactSchema,
  smsConsentWebhookSchema,
} from './webhook-schemas.ts';

/** What the delivery headers say, beyond the body. */
export interface WebhookMeta {
  topic: string;
  shop: string;
  /** `X-Shopify-Webhook-Id`, or a digest of the body when absent. */
  webhookId: string;
  /** `X-Shopify-Triggered-At`, epoch ms. */
  triggeredAt?: number;
  receivedAt: number;
}

type Mapper = (payload: unknown, meta: WebhookMeta) => CanonicalEvent[];

/**
 * Every topic Reclaim consumes, as Shopify names it in `X-Shopify-Topic`. `shopify.app.toml` and
 * `reclaim shopify connect` subscribe to exactly these (a test compares them). A Map: the topic comes from
 * a header, and `constructor` is a topic Reclaim does not use, not `Object`.
 */
const TOPICS: ReadonlyMap<string, Mapper> = new Map<string, Mapper>([
  ['carts/create', mapCart],
  ['carts/update', mapCart],
  ['checkouts/create', mapCheckout],
  ['checkouts/update', mapCheckout],
  ['checkouts/delete', mapCheckoutDeleted],
  ['orders/create', mapOrder('order_completed')],
  ['orders/paid', mapOrder('order_paid')],
  ['orders/cancelled', mapOrder('order_cancelled')],
  ['customers/create', mapCustomer],
  ['customers/update', mapCustomer],
  ['customers_email_marketing_consent/update', mapEmailConsent],
  ['customers_marketing_consent/update', mapSmsConsent],
  ['customers/redact', mapCustomerRedact],
  ['customers/data_request', mapDataRequest],
  ['shop/redact', mapShopRedact],
]);

/** Other spellings of the consent topics, seen in Shopify's docs and accepted as the same topic. */
export const TOPIC_ALIASES: ReadonlyMap<string, string> = new Map([
  ['customers/email_marketing_consent/update', 'customers_email_marketing_consent/update'],
  ['customers/marketing_consent/update', 'customers_marketing_consent/update'],
]);

/** The mandatory privacy-law topics: configured in the app's `shopify.app.toml`, never through the API. */
export const COMPLIANCE_TOPICS: readonly string[] = [
  'customers/data_request',
  'customers/redact',
  'shop/redact',
];

/** Every topic Reclaim consumes (compliance topics included), in `X-Shopify-Topic` spelling. */
export const CONSUMED_TOPICS: readonly string[] = [...TOPICS.keys()];

/** The canonical events one webhook becomes; `undefined` for a topic Reclaim does not use. */
export function mapWebhook(payload: unknown, meta: WebhookMeta): CanonicalEvent[] | undefined {
  const spelled = meta.topic.toLowerCase();
  return TOPICS.get(TOPIC_ALIASES.get(spelled) ?? spelled)?.(payload, meta);
}

function base(
  meta: WebhookMeta,
  kind: EventKind,
  eventTime: number | undefined,
  ids: CanonicalEvent['ids'],
): CanonicalEvent {
  const idempotencyKey = `shopify:${meta.shop}:${meta.webhookId}`;
  return {
    id: eventIdFor(idempotencyKey, eventTime ?? meta.triggeredAt),
    kind,
    source: 'shopify',
    name: meta.topic,
    idempotencyKey,
    eventTime: eventTime ?? meta.triggeredAt ?? meta.receivedAt,
    receivedAt: meta.receivedAt,
    ids,
    context: { shop: meta.shop },
  };
}

function lines(items: z.output<typeof checkoutWebhookSchema>['line_items']): LineItem[] {
  return (items ?? []).slice(0, 500).map((item) => ({
    quantity: Math.min(item.quantity, 1_000_000),
    productId: normalizeShopifyId(item.product_id),
    variantId: normalizeShopifyId(item.variant_id),
    sku: text(item.sku, LIMITS.sku),
    title: text(item.title, LIMITS.title),
    variantTitle: text(item.variant_title, LIMITS.title),
    price: toAmount(item.price),
  }));
}

function commerce(
  items: LineItem[],
  total: unknown,
  currency: unknown,
  extra: Partial<Commerce> = {},
): Commerce {
  const value = toAmount(total) ?? sumLines(items);
  const code = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  return {
    lines: items,
    ...(value !== undefined ? { value } : {}),
    ...(code ? { currency: code } : {}),
    ...extra,
  };
}

type Address = { country_code?: string | null; province_code?: string | null } | null | undefined;

function geoOf(shipping: Address, billing: Address, customerAddress: Address): EventContext['geo'] {
  const shippingCountry = normalizeCountry(shipping?.country_code);
  const billingCountry = normalizeCountry(billing?.country_code);
  const customerCountry = normalizeCountry(customerAddress?.country_code);
  return nonEmpty({
    shippingCountry,
    shippingRegion: normalizeRegion(shipping?.province_code, shippingCountry),
    billingCountry,
    billingRegion: normalizeRegion(billing?.province_code, billingCountry),
    customerCountry,
    customerRegion: normalizeRegion(customerAddress?.province_code, customerCountry),
  });
}

function mapCart(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const cart = parseBody(cartWebhookSchema, payload);
  const event = base(meta, 'cart_update', parseTime(cart.updated_at) ?? parseTime(cart.created_at), {
    cartToken: normalizeCartToken(cart.token ?? cart.id),
  });
  event.commerce = commerce(lines(cart.line_items), undefined, undefined);
  return [event];
}

function mapCheckout(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const checkout = parseBody(checkoutWebhookSchema, payload);
  const geo = geoOf(checkout.shipping_address, checkout.billing_address, checkout.customer?.default_address);
  const hint = geo?.shippingCountry ?? geo?.billingCountry ?? geo?.customerCountry;
  const email = normalizeEmail(checkout.email);
  const phone = normalizePhone(checkout.phone, hint) ?? normalizePhone(checkout.sms_marketing_phone, hint);
  const event = base(
    meta,
    'checkout_update',
    parseTime(checkout.updated_at) ?? parseTime(checkout.created_at),
    {
      checkoutToken: normalizeOpaqueId(checkout.token),
      cartToken: normalizeCartToken(checkout.cart_token),
      email,
      phone,
      customerId: normalizeShopifyId(checkout.customer?.id),
    },
  );
  const typed = [...(email ? (['email'] as const) : []), ...(phone ? (['phone'] as const) : [])];
  if (typed.length) event.typed = typed;
  event.context.geo = geo;
  event.context.locale = text(checkout.customer_locale, 64);
  event.commerce = commerce(
    lines(checkout.line_items),
    checkout.total_price,
    checkout.presentment_currency ?? checkout.currency,
    {
      checkoutUrl: text(checkout.abandoned_checkout_url),
      buyerAcceptsEmail: checkout.buyer_accepts_marketing ?? undefined,
      buyerAcceptsSms: checkout.buyer_accepts_sms_marketing ?? undefined,
      completedAt: parseTime(checkout.completed_at),
    },
  );
  return [event];
}

function mapCheckoutDeleted(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const checkout = parseBody(checkoutWebhookSchema, payload);
  const event = base(meta, 'checkout_deleted', parseTime(checkout.updated_at), {
    checkoutToken: normalizeOpaqueId(checkout.token),
  });
  event.properties = nonEmpty({ checkoutId: normalizeShopifyId(checkout.id) });
  return [event];
}

function mapOrder(kind: EventKind): Mapper {
  return (payload, meta) => {
    const order = parseBody(orderWebhookSchema, payload);
    const geo = geoOf(order.shipping_address, order.billing_address, order.customer?.default_address);
    const hint = geo?.shippingCountry ?? geo?.billingCountry ?? geo?.customerCountry;
    const time = kind === 'order_cancelled' ? parseTime(order.cancelled_at) : undefined;
    const event = base(meta, kind, time ?? parseTime(order.processed_at) ?? parseTime(order.created_at), {
      orderId: normalizeShopifyId(order.id),
      checkoutToken: normalizeOpaqueId(order.checkout_token),
      cartToken: normalizeCartToken(order.cart_token),
      email:
        normalizeEmail(order.email) ??
        normalizeEmail(order.contact_email) ??
        normalizeEmail(order.customer?.email),
      phone: normalizePhone(order.phone, hint) ?? normalizePhone(order.customer?.phone, hint),
      customerId: normalizeShopifyId(order.customer?.id),
    });
    event.context.geo = geo;
    event.commerce = commerce(lines(order.line_items), order.total_price, order.currency, {
      buyerAcceptsEmail: order.buyer_accepts_marketing ?? undefined,
    });
    return [event];
  };
}

function mapCustomer(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const customer = parseBody(customerWebhookSchema, payload);
  const geo = geoOf(undefined, undefined, customer.default_address);
  const event = base(
    meta,
    'customer_update',
    parseTime(customer.updated_at) ?? parseTime(customer.created_at),
    {
      customerId: normalizeShopifyId(customer.id),
      email: normalizeEmail(customer.email),
      phone: normalizePhone(customer.phone, geo?.customerCountry),
    },
  );
  event.context.geo = geo;
  return [event];
}

/**
 * Shopify's consent states as Reclaim's: `subscribed` grants, `unsubscribed`/`redacted` withdraw,
 * anything else (`not_subscribed`, `pending` double opt-in, null) is no permission.
 */
function consentState(state: string | null | undefined): ConsentDecision['state'] {
  const normalized = state?.toLowerCase();
  if (normalized === 'subscribed') return 'granted';
  if (normalized === 'unsubscribed' || normalized === 'redacted') return 'withdrawn';
  return 'denied';
}

function mapEmailConsent(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const body = parseBody(emailConsentWebhookSchema, payload);
  const consent = body.email_marketing_consent;
  const event = base(meta, 'consent', parseTime(consent.consent_updated_at), {
    customerId: normalizeShopifyId(body.customer_id),
    email: normalizeEmail(body.email_address),
  });
  const level = consent.opt_in_level?.toLowerCase();
  event.consent = {
    permission: 'email',
    state: consentState(consent.state),
    source: 'shopify',
    wordingVersion: `shopify:email:${level ?? 'unknown'}`,
    ...(level ? { optInLevel: level, confirmed: level === 'confirmed_opt_in' } : {}),
  };
  return [event];
}

function mapSmsConsent(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const body = parseBody(smsConsentWebhookSchema, payload);
  const consent = body.sms_marketing_consent ?? {};
  const event = base(meta, 'consent', parseTime(consent.consent_updated_at), {
    customerId: normalizeShopifyId(body.id),
    phone: normalizePhone(body.phone),
  });
  const level = consent.opt_in_level?.toLowerCase();
  const from = consent.consent_collected_from?.toLowerCase();
  event.consent = {
    permission: 'sms',
    state: consentState(consent.state),
    source: from ? `shopify:${from}` : 'shopify',
    wordingVersion: `shopify:sms:${level ?? 'unknown'}`,
    ...(level ? { optInLevel: level, confirmed: level === 'confirmed_opt_in' } : {}),
  };
  return [event];
}

function complianceIds(customer: {
  id?: string | number | null;
  email?: string | null;
  phone?: string | null;
}) {
  return {
    customerId: normalizeShopifyId(customer.id),
    email: normalizeEmail(customer.email),
    phone: normalizePhone(customer.phone),
  };
}

function mapCustomerRedact(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const body = parseBody(customerRedactSchema, payload);
  const event = base(meta, 'erase_customer', undefined, complianceIds(body.customer));
  event.properties = {
    ordersToRedact: (body.orders_to_redact ?? []).map((id) => normalizeShopifyId(id)).filter(Boolean),
  };
  return [event];
}

function mapDataRequest(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  const body = parseBody(dataRequestSchema, payload);
  const event = base(meta, 'data_request', undefined, complianceIds(body.customer));
  event.properties = {
    dataRequestId: normalizeShopifyId(body.data_request?.id),
    ordersRequested: (body.orders_requested ?? []).map((id) => normalizeShopifyId(id)).filter(Boolean),
  };
  return [event];
}

function mapShopRedact(payload: unknown, meta: WebhookMeta): CanonicalEvent[] {
  parseBody(shopRedactSchema, payload);
  return [base(meta, 'erase_shop', undefined, {})];
}
