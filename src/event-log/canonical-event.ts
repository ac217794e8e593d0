import { z } from 'zod';

/**
 * What a shopper (or the store) did, whatever the source said. Every ingest path produces these and
 * everything downstream — identity, consent, journeys — reads only these.
 */
export const EVENT_KINDS = [
  'page_view',
  'product_view',
  'collection_view',
  'search',
  'cart_add',
  'cart_remove',
  'cart_view',
  /** A cart's contents as Shopify's `carts/*` webhooks state them. */
  'cart_update',
  'checkout_started',
  /** The shopper typed their contact details into checkout. */
  'checkout_contact',
  /** Address, shipping or payment step, or a `checkouts/*` webhook. */
  'checkout_update',
  'checkout_deleted',
  'order_completed',
  'order_paid',
  'order_cancelled',
  'customer_update',
  'identify',
  'alias',
  'consent',
  /** Any other named event: stored for the profile timeline, not used by journeys. */
  'track',
  /** Shopify `customers/redact`: erase one shopper. */
  'erase_customer',
  /** Shopify `shop/redact`: erase the whole shop's data. */
  'erase_shop',
  /** Shopify `customers/data_request`: export one shopper's data. */
  'data_request',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Where an event came from; `admin` marks requests made through the admin API (erasure, export),
 * `shopify_import` the store's history read by `reclaim shopify import` (it never opens a journey).
 */
export const EVENT_SOURCES = ['segment', 'pixel', 'shopify', 'consent', 'admin', 'shopify_import'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Longest values the canonical model holds; mappers drop anything longer (see `fields.ts`). */
export const LIMITS = { id: 512, text: 2048, title: 1024, sku: 512, name: 256 } as const;

const text = z.string().min(1).max(LIMITS.text);
const id = z.string().min(1).max(LIMITS.id);

/**
 * The identifiers an event carries, normalised: emails trimmed and lower-cased, phones in E.164,
 * Shopify ids as exact decimal strings (never JavaScript numbers), tokens without `gid://` prefixes.
 */
export const identifiersSchema = z.strictObject({
  /** Shopify's pixel `clientId`, browser-scoped. */
  clientId: id.optional(),
  /** Reclaim's own first-party browser id, kept by the pixel in a first-party cookie. */
  browserId: id.optional(),
  /** Segment `anonymousId`. */
  anonymousId: id.optional(),
  /** Shopify customer id, or Segment `userId`. */
  customerId: id.optional(),
  email: z.string().min(3).max(254).optional(),
  /** E.164, e.g. `+14155550123`. */
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/)
    .optional(),
  cartToken: id.optional(),
  checkoutToken: id.optional(),
  /** Klaviyo exchange id (`_kx`) from a Klaviyo email click or Klaviyo's cookie. */
  kx: id.optional(),
  orderId: id.optional(),
});
export type Identifiers = z.infer<typeof identifiersSchema>;

/** Decimal amount as text (`"421.88"`), so sums never drift the way binary floats do. */
export const amountSchema = z.string().regex(/^-?\d+(\.\d+)?$/);

export const lineItemSchema = z.strictObject({
  productId: id.optional(),
  variantId: id.optional(),
  sku: z.string().max(LIMITS.sku).optional(),
  title: z.string().max(LIMITS.title).optional(),
  variantTitle: z.string().max(LIMITS.title).optional(),
  url: text.optional(),
  imageUrl: text.optional(),
  /** Unit price. */
  price: amountSchema.optional(),
  quantity: z.number().int().min(0).max(1_000_000),
});
export type LineItem = z.infer<typeof lineItemSchema>;

export const commerceSchema = z.strictObject({
  lines: z.array(lineItemSchema).max(500),
  value: amountSchema.optional(),
  /** ISO 4217. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  /** Shopify cart permalink or cart URL that restores this cart. */
  cartUrl: text.optional(),
  /** Shopify's `abandoned_checkout_url`. */
  checkoutUrl: text.optional(),
  /** `buyer_accepts_marketing` / `buyerAcceptsEmailMarketing` as given at this checkout. */
  buyerAcceptsEmail: z.boolean().optional(),
  /** `buyer_accepts_sms_marketing` / `buyerAcceptsSmsMarketing`. */
  buyerAcceptsSms: z.boolean().optional(),
  /** When a checkout was completed (a paid checkout is not abandoned). */
  completedAt: z.number().optional(),
});
export type Commerce = z.infer<typeof commerceSchema>;

/** Shopify's four Customer Privacy booleans, as the pixel reported them. */
export const trackingCategoriesSchema = z.strictObject({
  analytics: z.boolean(),
  marketing: z.boolean(),
  preferences: z.boolean(),
  saleOfData: z.boolean(),
});
export type TrackingCategories = z.infer<typeof trackingCategoriesSchema>;

const countryCode = z.string().regex(/^[A-Z]{2}$/);

/** Where and how the event happened. Personal data here (IP, user agent) never reaches logs. */
export const contextSchema = z.strictObject({
  ip: z.string().max(64).optional(),
  userAgent: z.string().max(1024).optional(),
  locale: z.string().max(64).optional(),
  pageUrl: text.optional(),
  referrer: text.optional(),
  utm: z
    .strictObject({
      source: text.optional(),
      medium: text.optional(),
      campaign: text.optional(),
      term: text.optional(),
      content: text.optional(),
    })
    .optional(),
  fbclid: text.optional(),
  gclid: text.optional(),
  /** Meta click cookie `_fbc`, or one built from `fbclid`. */
  fbc: text.optional(),
  fbp: text.optional(),
  /** Google Analytics client id from the `_ga` cookie (`1234.5678`). */
  gaClientId: text.optional(),
  /** What Klaviyo's own browser cookie said: present at all, and whether it identified the shopper. */
  klaviyo: z.strictObject({ cookiePresent: z.boolean(), identified: z.boolean() }).optional(),
  /** Global Privacy Control signal (`Sec-GPC: 1`). */
  gpc: z.boolean().optional(),
  /** Tracking consent carried with the event (the pixel's `customerPrivacy`). */
  tracking: trackingCategoriesSchema.optional(),
  /** Jurisdiction signals: trusted geo headers and Shopify addresses. */
  geo: z
    .strictObject({
      country: countryCode.optional(),
      /** ISO 3166-2 subdivision, e.g. `US-CA`. */
      region: z
        .string()
        .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/)
        .optional(),
      shippingCountry: countryCode.optional(),
      shippingRegion: z
        .string()
        .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/)
        .optional(),
      billingCountry: countryCode.optional(),
      billingRegion: z
        .string()
        .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/)
        .optional(),
      customerCountry: countryCode.optional(),
      customerRegion: z
        .string()
        .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/)
        .optional(),
    })
    .optional(),
  /** The Shopify shop (myshopify domain) the event belongs to. */
  shop: z.string().max(255).optional(),
});
export type EventContext = z.infer<typeof contextSchema>;

export const CONSENT_PERMISSIONS = ['tracking', 'email', 'sms'] as const;
export type ConsentPermission = (typeof CONSENT_PERMISSIONS)[number];
export const CONSENT_STATES = ['granted', 'denied', 'withdrawn'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/** One consent decision, with the proof RULES.md §2 asks for. */
export const consentDecisionSchema = z.strictObject({
  permission: z.enum(CONSENT_PERMISSIONS),
  state: z.enum(CONSENT_STATES),
  /** Where it was given: `banner`, `checkout`, `popup`, `account`, `sms_keyword`, `support`, `shopify`… */
  source: z.string().min(1).max(128),
  /** Exact text shown, or the id of a stored wording version. */
  wording: z.string().max(10_000).optional(),
  wordingVersion: z.string().max(256).optional(),
  /** For tracking: the four Customer Privacy categories. */
  categories: trackingCategoriesSchema.optional(),
  /**
   * Whether the box was ticked before the shopper acted (TCPA and PECR records: what they were shown). A
   * grant from a pre-ticked box is refused at the edge (Planet49), so a stored grant is `unchecked` or unknown.
   */
  initialState: z.enum(['unchecked', 'checked']).optional(),
  /** A soft opt-in precondition: an opt-out was offered at collection (and not used). */
  optOutOffered: z.boolean().optional(),
  /** Wording of the opt-out offered at collection, for a soft opt-in. */
  optOutWording: z.string().max(10_000).optional(),
  /** Double opt-in confirmed (`CONFIRMED_OPT_IN`). */
  confirmed: z.boolean().optional(),
  /** Shopify's `opt_in_level`, verbatim. */
  optInLevel: z.string().max(64).optional(),
  /** Page, form or extension where it was captured. */
  captureUrl: text.optional(),
  formId: z.string().max(256).optional(),
  /** For SMS: the keyword reply or message text (STOP, "please stop texting me"). */
  message: z.string().max(2000).optional(),
});
export type ConsentDecision = z.infer<typeof consentDecisionSchema>;

export const canonicalEventSchema = z.strictObject({
  /** Stable id derived from the idempotency key, so replays produce the same ids. */
  id: z.string(),
  kind: z.enum(EVENT_KINDS),
  source: z.enum(EVENT_SOURCES),
  /** The source's own name for it: Segment event, pixel event name, webhook topic. */
  name: z.string().max(LIMITS.name),
  /** Dedupe key: the same key is stored once (`segment:<messageId>`, `pixel:<id>`, `shopify:<webhookId>`…). */
  idempotencyKey: z.string().max(600),
  /** When the shopper did it (epoch ms), from the payload. */
  eventTime: z.number(),
  /** When Reclaim received it (epoch ms). */
  receivedAt: z.number(),
  ids: identifiersSchema,
  /** Identifiers the shopper typed themselves in this event (checkout contact fields, forms). */
  typed: z.array(z.enum(['email', 'phone'])).optional(),
  /** Alias: the identifier this event's ids are declared to be the same shopper as (Segment `previousId`). */
  previousId: id.optional(),
  context: contextSchema,
  commerce: commerceSchema.optional(),
  consent: consentDecisionSchema.optional(),
  /** Extra properties for the timeline (Segment `properties`/`traits`), size- and depth-limited. */
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type CanonicalEvent = z.infer<typeof canonicalEventSchema>;
