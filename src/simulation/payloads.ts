import { readFileSync } from 'node:fs';
import { signShopifyBody } from '../ingest/shopify/webhook-hmac.ts';
import type { CartLine, Session } from './shopper-behaviour.ts';
import type { Product, Shopper } from './shopper.ts';
import type { StoreProfile } from './store-profiles.ts';

const CONTRACTS = new URL('../../contracts/shopify/', import.meta.url);

/** A sample payload: only copied and spread here, every value is taken as it is. */
interface Sample {
  [key: string]: Sample;
}

/** The published samples the payloads are built from: real shapes, re-dated and re-identified. */
function load(path: string): Sample {
  return JSON.parse(readFileSync(new URL(path, CONTRACTS), 'utf8')) as Sample;
}

/** A part of a sample, which must be there. */
function part(sample: Sample, ...path: (string | number)[]): Sample {
  let node = sample;
  for (const key of path) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined || next === null) throw new Error(`sample payload has no ${path.join('.')}`);
    node = next;
  }
  return node;
}
const PIXEL = {
  page_viewed: load('pixel-events/page_viewed.json'),
  product_viewed: load('pixel-events/product_viewed.json'),
  product_added_to_cart: load('pixel-events/product_added_to_cart.json'),
  checkout_started: load('pixel-events/checkout_started.json'),
  checkout_contact_info_submitted: load('pixel-events/checkout_contact_info_submitted.json'),
  checkout_completed: load('pixel-events/checkout_completed.json'),
};
const WEBHOOK = {
  cart: load('webhooks/carts_update.json'),
  checkout: load('webhooks/checkouts_update.json'),
  order: load('webhooks/orders_create.json'),
  customer: load('webhooks/customers_create.json'),
  emailConsent: load('webhooks/customers_email_marketing_consent_update.json'),
  smsConsent: load('webhooks/customers_marketing_consent_update.json'),
};

/**
 * One line of the replay input (CONTRACT.md "Event time and replay"), serialised: a month of a store is
 * millions of lines, so the parts that repeat are serialised once and assembled.
 */
export type ReplayLine = string;

const json = JSON.stringify;
/** Serialised product variants, per product and currency. */
const variants = new Map<Product, string>();

const iso = (ms: number) => new Date(ms).toISOString();
const money = (amount: number, currencyCode: string) => ({
  amount: Math.round(amount * 100) / 100,
  currencyCode,
});
const total = (lines: readonly CartLine[]) =>
  Math.round(lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0) * 100) / 100;

/** Everything a shopper's payloads need that does not change from one event to the next. */
export interface PayloadContext {
  profile: StoreProfile;
  shopper: Shopper;
  /** Secret the webhooks are signed with (`SHOPIFY_WEBHOOK_SECRET`). */
  webhookSecret: string;
  /** A counter for webhook and event ids, unique within the shopper. */
  next(): number;
  /** Serialised page contexts of this shopper, by session and URL. */
  contexts: Map<string, string>;
}

function location(shop: string, path: string, search = '') {
  const origin = `https://${shop}`;
  return {
    hash: '',
    host: shop,
    hostname: shop,
    href: `${origin}${path}${search}`,
    origin,
    pathname: path,
    port: '',
    protocol: 'https:',
    search,
  };
}

/** The pixel context of a page, serialised: the browser's part once per kind of browser, then the URL. */
function pixelContext(ctx: PayloadContext, session: Session, path: string, search = ''): string {
  const key = `${ctx.profile.name}|${session.device.kind}`;
  let parts = contextParts.get(key);
  if (!parts) {
    parts = json(contextObject(ctx, session, LOCATION)).split(json(LOCATION));
    contextParts.set(key, parts);
  }
  return parts.join(json(location(ctx.profile.shop, path, search)));
}

const LOCATION = '\u0000location\u0000';
const contextParts = new Map<string, string[]>();

function contextObject(ctx: PayloadContext, session: Session, loc: unknown) {
  const template = part(PIXEL.page_viewed, 'context');
  return {
    document: {
      ...part(template, 'document'),
      location: loc,
      referrer: `https://${ctx.profile.shop}/`,
      title: ctx.profile.title,
    },
    navigator: {
      ...part(template, 'navigator'),
      language: ctx.profile.locale,
      languages: [ctx.profile.locale, ctx.profile.locale.slice(0, 2)],
      userAgent: session.device.userAgent,
    },
    window: {
      ...part(template, 'window'),
      location: loc,
      innerWidth: session.device.screen.width,
      outerWidth: session.device.screen.width,
      screen: session.device.screen,
    },
  };
}

function variant(product: Product, currency: string) {
  const template = part(PIXEL.product_viewed, 'data', 'productVariant');
  return {
    ...template,
    id: product.variantId,
    image: {
      src: `https://cdn.shopify.com/s/files/1/0612/3456/7890/files/${product.handle}.jpg?v=1716400000`,
    },
    price: money(product.price, currency),
    product: {
      ...part(template, 'product'),
      id: product.productId,
      title: product.title,
      untranslatedTitle: product.title,
      url: `/products/${product.handle}`,
    },
    sku: product.sku,
    title: product.variantTitle,
    untranslatedTitle: product.variantTitle,
  };
}

function checkoutLines(lines: readonly CartLine[], currency: string) {
  const template = part(PIXEL.checkout_started, 'data', 'checkout', 'lineItems', 0);
  return lines.map((l) => ({
    ...template,
    id: l.product.variantId,
    finalLinePrice: money(l.product.price * l.quantity, currency),
    quantity: l.quantity,
    title: l.product.title,
    variant: variant(l.product, currency),
  }));
}

export interface PixelEventSpec {
  name:
    | 'page_viewed'
    | 'product_viewed'
    | 'product_added_to_cart'
    | 'checkout_started'
    | 'checkout_contact_info_submitted'
    | 'checkout_completed';
  at: number;
  path: string;
  search?: string;
  product?: Product;
  quantity?: number;
  checkout?: {
    token: string;
    lines: readonly CartLine[];
    email?: string;
    phone?: string;
    emailBox?: boolean;
    smsBox?: boolean;
    orderId?: string;
  };
}

function variantJson(product: Product, currency: string): string {
  let found = variants.get(product);
  if (!found) variants.set(product, (found = json(variant(product, currency))));
  return found;
}

/** One standard pixel event as the Web Pixels API delivers it (the sample's keys, in its order). */
function pixelEvent(ctx: PayloadContext, session: Session, spec: PixelEventSpec): string {
  const currency = ctx.profile.currency;
  const contextKey = `${session.index}|${spec.path}|${spec.search ?? ''}`;
  let context = ctx.contexts.get(contextKey);
  if (!context) ctx.contexts.set(contextKey, (context = pixelContext(ctx, session, spec.path, spec.search)));
  const head = `{"id":${json(`sh-${ctx.shopper.id}-${ctx.next()}`)},"name":"${spec.name}","timestamp":"${iso(spec.at)}","clientId":${json(session.clientId)},"seq":1,"type":"standard","context":${context},"data":`;
  switch (spec.name) {
    case 'page_viewed':
      return `${head}{}}`;
    case 'product_viewed':
      return `${head}{"productVariant":${variantJson(spec.product!, currency)}}}`;
    case 'product_added_to_cart':
      return `${head}{"cartLine":{"cost":{"totalAmount":${json(money(spec.product!.price * spec.quantity!, currency))}},"merchandise":${variantJson(spec.product!, currency)},"quantity":${spec.quantity}}}}`;
    default: {
      const c = spec.checkout!;
      const base = part(PIXEL[spec.name], 'data', 'checkout');
      const amount = money(total(c.lines), currency);
      const { shopper } = ctx;
      const address = {
        ...part(PIXEL.checkout_completed, 'data', 'checkout', 'shippingAddress'),
        firstName: shopper.firstName,
        lastName: shopper.lastName,
        countryCode: shopper.country,
        provinceCode: shopper.region ? shopper.region.split('-')[1] : null,
        phone: c.phone ?? null,
      };
      const data = {
        checkout: {
          ...base,
          token: c.token,
          email: c.email ?? null,
          phone: c.phone ?? null,
          smsMarketingPhone: c.smsBox ? (c.phone ?? null) : null,
          buyerAcceptsEmailMarketing: c.emailBox ?? false,
          buyerAcceptsSmsMarketing: c.smsBox ?? false,
          currencyCode: currency,
          lineItems: checkoutLines(c.lines, currency),
          subtotalPrice: amount,
          totalPrice: amount,
          totalTax: money(0, currency),
          discountsAmount: money(0, currency),
          localization: { ...base.localization, country: { isoCode: shopper.country } },
          shippingAddress: c.email ? address : null,
          ...(spec.name === 'checkout_completed'
            ? {
                billingAddress: address,
                order: {
                  customer: { id: shopper.customerId, isFirstOrder: !shopper.pastOrderAt },
                  id: c.orderId,
                },
              }
            : {}),
        },
      };
      return `${head}${json(data)}}`;
    }
  }
}

/** Cookies and browser state the Reclaim pixel sends along. */
export interface PixelEnvelope {
  cartToken?: string;
  /** Klaviyo's `__kla_id` as it is in this browser, if its script runs here. */
  klaviyoCookie?: { identified: boolean };
  /** The tracking decision Shopify's Customer Privacy API reports. */
  trackingAllowed: boolean;
}

/** One request from the Reclaim pixel: the events of one page, with the browser's state. */
export function pixelLine(
  ctx: PayloadContext,
  session: Session,
  specs: PixelEventSpec[],
  envelope: PixelEnvelope,
  arrival: number,
): ReplayLine {
  const { shopper } = ctx;
  const allowed = envelope.trackingAllowed;
  const cookies: Record<string, string> = {};
  if (envelope.cartToken) cookies.cart = envelope.cartToken;
  if (envelope.klaviyoCookie) {
    const content = {
      cid: Buffer.from(session.clientId).toString('base64').slice(0, 24),
      ...(envelope.klaviyoCookie.identified ? { $exchange_id: shopper.kx } : {}),
    };
    cookies.__kla_id = Buffer.from(JSON.stringify(content)).toString('base64');
  }
  if (allowed) {
    cookies._ga = `GA1.1.${1_000_000_000 + shopper.index}.${Math.floor(session.start / 1000)}`;
    cookies._fbp = `fb.1.${session.start}.${1_000_000_000 + shopper.index}`;
  }
  const headers = {
    'cf-ipcountry': shopper.country,
    ...(shopper.region ? { 'cf-region-code': shopper.region } : {}),
    'user-agent': session.device.userAgent,
    ...(session.device.gpc ? { 'sec-gpc': '1' } : {}),
    'x-forwarded-for': `198.51.100.${shopper.index % 250}`,
  };
  const privacy = {
    analyticsProcessingAllowed: allowed,
    marketingAllowed: allowed,
    preferencesProcessingAllowed: allowed,
    saleOfDataAllowed: allowed && !session.device.gpc,
  };
  const init = {
    data: {
      customer: session.loggedIn
        ? {
            id: shopper.customerId,
            email: shopper.email,
            phone: shopper.phone ?? null,
            firstName: shopper.firstName,
            lastName: shopper.lastName,
          }
        : null,
      cart: envelope.cartToken ? { id: envelope.cartToken } : null,
      shop: { myshopifyDomain: ctx.profile.shop, name: ctx.profile.title },
    },
  };
  const events = specs.map((spec) => pixelEvent(ctx, session, spec)).join(',');
  return `{"at":"${iso(arrival)}","kind":"pixel","headers":${json(headers)},"body":{"events":[${events}],"customerPrivacy":${json(privacy)},"init":${json(init)},"cookies":${json(cookies)}}}`;
}

/** A Shopify webhook line, signed over the exact body bytes it carries. */
function webhookLine(ctx: PayloadContext, topic: string, body: unknown, at: number): ReplayLine {
  const raw = json(body);
  const headers = {
    'X-Shopify-Topic': topic,
    'X-Shopify-Shop-Domain': ctx.profile.shop,
    'X-Shopify-Webhook-Id': `wh-${ctx.shopper.id}-${ctx.next()}`,
    'X-Shopify-Triggered-At': iso(at),
    'X-Shopify-Hmac-Sha256': signShopifyBody(raw, ctx.webhookSecret),
  };
  return `{"at":"${iso(at)}","kind":"shopify","headers":${json(headers)},"body":${raw}}`;
}

function webhookLines(lines: readonly CartLine[]) {
  const template = part(WEBHOOK.checkout, 'line_items', 0);
  return lines.map((l) => ({
    ...template,
    product_id: Number(l.product.productId),
    variant_id: Number(l.product.variantId),
    title: l.product.title,
    presentment_title: l.product.title,
    variant_title: l.product.variantTitle,
    presentment_variant_title: l.product.variantTitle,
    sku: l.product.sku,
    quantity: l.quantity,
    price: l.product.price.toFixed(2),
    variant_price: l.product.price.toFixed(2),
    line_price: (l.product.price * l.quantity).toFixed(2),
    vendor: 'Northwind',
    tax_lines: [],
  }));
}

function address(shopper: Shopper) {
  return {
    ...part(WEBHOOK.checkout, 'shipping_address'),
    first_name: shopper.firstName,
    last_name: shopper.lastName,
    country_code: shopper.country,
    province_code: shopper.region ? shopper.region.split('-')[1] : null,
    phone: null,
  };
}

function customerObject(ctx: PayloadContext, at: number) {
  const { shopper } = ctx;
  return {
    ...WEBHOOK.customer,
    id: Number(shopper.customerId),
    email: shopper.email,
    phone: shopper.phone ?? null,
    first_name: shopper.firstName,
    last_name: shopper.lastName,
    created_at: iso(at),
    updated_at: iso(at),
    default_address: {
      ...part(WEBHOOK.customer, 'default_address'),
      country_code: shopper.country,
      province_code: shopper.region?.split('-')[1] ?? null,
    },
    addresses: [],
  };
}

export function cartWebhook(
  ctx: PayloadContext,
  cartToken: string,
  lines: readonly CartLine[],
  at: number,
  arrival: number,
) {
  return webhookLine(
    ctx,
    'carts/update',
    {
      ...WEBHOOK.cart,
      id: cartToken,
      token: cartToken,
      line_items: webhookLines(lines),
      created_at: iso(at),
      updated_at: iso(at),
    },
    arrival,
  );
}

export interface CheckoutState {
  token: string;
  cartToken: string;
  lines: readonly CartLine[];
  email?: string;
  phone?: string;
  emailBox?: boolean;
  smsBox?: boolean;
  loggedIn: boolean;
  completedAt?: number;
}

export function checkoutWebhook(
  ctx: PayloadContext,
  topic: 'checkouts/create' | 'checkouts/update',
  c: CheckoutState,
  at: number,
  arrival: number,
) {
  const { shopper, profile } = ctx;
  const amount = total(c.lines).toFixed(2);
  return webhookLine(
    ctx,
    topic,
    {
      ...WEBHOOK.checkout,
      token: c.token,
      cart_token: c.cartToken,
      email: c.email ?? null,
      phone: c.phone ?? null,
      buyer_accepts_marketing: c.emailBox ?? false,
      buyer_accepts_sms_marketing: c.smsBox ?? false,
      sms_marketing_phone: c.smsBox ? (c.phone ?? null) : null,
      created_at: iso(at),
      updated_at: iso(at),
      completed_at: c.completedAt === undefined ? null : iso(c.completedAt),
      currency: profile.currency,
      presentment_currency: profile.currency,
      customer_locale: profile.locale,
      line_items: webhookLines(c.lines),
      total_price: amount,
      subtotal_price: amount,
      total_line_items_price: amount,
      total_tax: '0.00',
      abandoned_checkout_url: `https://${profile.shop}/checkouts/${c.token}/recover?key=${c.token.slice(0, 16)}`,
      billing_address: c.email ? address(shopper) : null,
      shipping_address: c.email ? address(shopper) : null,
      customer: c.loggedIn ? customerObject(ctx, at) : null,
    },
    arrival,
  );
}

/** Money fields of an order: the goods' total, no discount, shipping, tax or fees, in the store's currency. */
const TOTALS = new Set([
  'current_subtotal_price',
  'current_total_price',
  'subtotal_price',
  'total_line_items_price',
  'total_outstanding',
  'total_price',
]);

function orderAmounts(sample: Sample, amount: string, currency: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sample)) {
    const base = key.replace(/_set$/, '');
    const figure = TOTALS.has(base) ? amount : '0.00';
    if (key.endsWith('_set') && value !== null && typeof value === 'object' && 'shop_money' in value) {
      const money = { amount: figure, currency_code: currency };
      out[key] = { shop_money: money, presentment_money: money };
    } else if (TOTALS.has(key) || /^(current_)?total_(discounts|tax|tip_received)$/.test(key))
      out[key] = figure;
  }
  return out;
}

export function orderWebhook(
  ctx: PayloadContext,
  order: {
    id: string;
    checkoutToken?: string;
    cartToken?: string;
    lines: readonly CartLine[];
    phone?: string;
  },
  at: number,
  arrival: number,
) {
  const { shopper, profile } = ctx;
  const amount = total(order.lines).toFixed(2);
  return webhookLine(
    ctx,
    'orders/create',
    {
      ...WEBHOOK.order,
      cancel_reason: null,
      cancelled_at: null,
      closed_at: null,
      id: Number(order.id),
      admin_graphql_api_id: `gid://shopify/Order/${order.id}`,
      email: shopper.email,
      contact_email: shopper.email,
      phone: order.phone ?? null,
      checkout_token: order.checkoutToken ?? null,
      cart_token: order.cartToken ?? null,
      created_at: iso(at),
      processed_at: iso(at),
      updated_at: iso(at),
      ...orderAmounts(WEBHOOK.order, amount, profile.currency),
      currency: profile.currency,
      presentment_currency: profile.currency,
      line_items: webhookLines(order.lines),
      billing_address: address(shopper),
      shipping_address: address(shopper),
      customer: customerObject(ctx, at),
      buyer_accepts_marketing: false,
      fulfillments: [],
      refunds: [],
      shipping_lines: [],
    },
    arrival,
  );
}

export function customerWebhook(ctx: PayloadContext, at: number) {
  return webhookLine(ctx, 'customers/create', customerObject(ctx, at), at + 2000);
}

export function emailConsentWebhook(ctx: PayloadContext, state: 'subscribed' | 'unsubscribed', at: number) {
  return webhookLine(
    ctx,
    'customers/email_marketing_consent/update',
    {
      customer_id: Number(ctx.shopper.customerId),
      email_address: ctx.shopper.email,
      email_marketing_consent: { state, opt_in_level: 'single_opt_in', consent_updated_at: iso(at) },
    },
    at + 2000,
  );
}

export function smsConsentWebhook(ctx: PayloadContext, at: number) {
  return webhookLine(
    ctx,
    'customers/marketing_consent/update',
    {
      id: Number(ctx.shopper.customerId),
      phone: ctx.shopper.phone,
      sms_marketing_consent: {
        state: 'subscribed',
        opt_in_level: 'single_opt_in',
        consent_updated_at: iso(at),
        consent_collected_from: 'SHOPIFY',
      },
    },
    at + 2000,
  );
}

/** A consent decision posted by the store's pop-up or unsubscribe page. */
export function consentLine(
  ctx: PayloadContext,
  decision: { state: 'granted' | 'withdrawn'; source: string; clientId?: string },
  at: number,
): ReplayLine {
  const { shopper } = ctx;
  return json({
    at: iso(at + 500),
    kind: 'consent',
    headers: {
      'cf-ipcountry': shopper.country,
      ...(shopper.region ? { 'cf-region-code': shopper.region } : {}),
    },
    body: {
      subject: { email: shopper.email, ...(decision.clientId ? { clientId: decision.clientId } : {}) },
      permission: 'email',
      state: decision.state,
      source: decision.source,
      timestamp: iso(at),
      ...(decision.state === 'granted'
        ? {
            wording: 'Get 10% off your first order: sign up for our emails. Unsubscribe at any time.',
            initialState: 'unchecked',
            formId: 'popup-welcome',
          }
        : { wording: 'Unsubscribe from all marketing emails' }),
      country: shopper.country,
      ...(shopper.region ? { region: shopper.region } : {}),
    },
  });
}
