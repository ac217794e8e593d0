/**
 * A deterministic shop for the Shopify stand-in's bulk exports: customers with their marketing consent,
 * orders and abandoned checkouts, each computed from the seed and its index alone — so an export of a
 * million customers is generated line by line and never held, and the same seed gives the same shop.
 */
export interface ShopDataSpec {
  customers: number;
  orders: number;
  checkouts: number;
  seed: number;
  /** The moment the shop is exported at (epoch ms): every record lies before it. */
  asOf: number;
}

const DAY = 86_400_000;
const COUNTRIES = [
  { code: 'US', province: 'CA' },
  { code: 'DE', province: null },
  { code: 'GB', province: null },
  { code: 'FR', province: null },
  { code: 'CA', province: 'ON' },
] as const;

/** A number in [0, 1) from (seed, stream, index): splitmix32, so any record is computed without the others. */
export function unit(seed: number, stream: number, index: number, salt = 0): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9) ^ Math.imul(index + 1, 0x85ebca6b) ^ salt) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return ((h ^ (h >>> 15)) >>> 0) / 4_294_967_296;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export const CUSTOMER_ID_BASE = 8_100_000_000_000;
export const ORDER_ID_BASE = 5_200_000_000_000;
export const CHECKOUT_ID_BASE = 3_300_000_000_000;

export function customerEmail(spec: ShopDataSpec, index: number): string {
  return `shopper${index}.s${spec.seed}@example.com`;
}

/** A valid German mobile number for about two in five customers. */
export function customerPhone(spec: ShopDataSpec, index: number): string | null {
  return unit(spec.seed, 1, index, 7) < 0.4 ? `+49151${String(index % 100_000_000).padStart(8, '0')}` : null;
}

/** Customer `index` as the Admin API returns it (all fields the stand-in knows). */
export function customerAt(spec: ShopDataSpec, index: number): Record<string, unknown> {
  const r = (salt: number) => unit(spec.seed, 1, index, salt);
  const createdAt = spec.asOf - Math.floor(r(1) * 1_000 * DAY) - DAY;
  const updatedAt = createdAt + Math.floor(r(2) * (spec.asOf - createdAt));
  const consentAt = createdAt + Math.floor(r(3) * (updatedAt - createdAt));
  const emailRoll = r(4);
  const emailState = emailRoll < 0.45 ? 'SUBSCRIBED' : emailRoll < 0.85 ? 'NOT_SUBSCRIBED' : 'UNSUBSCRIBED';
  const phone = customerPhone(spec, index);
  const country = COUNTRIES[Math.floor(r(5) * COUNTRIES.length)]!;
  return {
    id: `gid://shopify/Customer/${CUSTOMER_ID_BASE + index}`,
    email: customerEmail(spec, index),
    phone,
    createdAt: iso(createdAt),
    updatedAt: iso(updatedAt),
    emailMarketingConsent: {
      marketingState: emailState,
      marketingOptInLevel: r(6) < 0.7 ? 'SINGLE_OPT_IN' : 'CONFIRMED_OPT_IN',
      consentUpdatedAt: emailState === 'NOT_SUBSCRIBED' ? null : iso(consentAt),
    },
    smsMarketingConsent: phone
      ? {
          marketingState: r(8) < 0.3 ? 'SUBSCRIBED' : 'NOT_SUBSCRIBED',
          marketingOptInLevel: 'SINGLE_OPT_IN',
          consentUpdatedAt: iso(consentAt),
          consentCollectedFrom: r(9) < 0.5 ? 'SHOPIFY' : 'OTHER',
        }
      : null,
    defaultAddress: { countryCodeV2: country.code, provinceCode: country.province },
  };
}

function money(spec: ShopDataSpec, stream: number, index: number, customer: number) {
  const currency = COUNTRIES[Math.floor(unit(spec.seed, 1, customer, 5) * COUNTRIES.length)]!.code;
  return {
    shopMoney: {
      amount: (10 + Math.floor(unit(spec.seed, stream, index, 3) * 30_000) / 100).toFixed(2),
      currencyCode: currency === 'US' ? 'USD' : currency === 'GB' ? 'GBP' : currency === 'CA' ? 'CAD' : 'EUR',
    },
  };
}

const customerOf = (spec: ShopDataSpec, stream: number, index: number) =>
  spec.customers > 0 ? Math.floor(unit(spec.seed, stream, index, 1) * spec.customers) : -1;

/** When order `index` was placed (epoch ms): spread over the 180 days before `asOf`. */
export function orderTime(spec: ShopDataSpec, index: number): number {
  return spec.asOf - Math.floor(unit(spec.seed, 2, index, 2) * 180 * DAY) - 60_000;
}

/** Order `index`, for the customer the seed gives it. */
export function orderAt(spec: ShopDataSpec, index: number): Record<string, unknown> {
  const customer = customerOf(spec, 2, index);
  const createdAt = orderTime(spec, index);
  const cancelled = unit(spec.seed, 2, index, 4) < 0.03;
  return {
    id: `gid://shopify/Order/${ORDER_ID_BASE + index}`,
    name: `#${1001 + index}`,
    email: customer >= 0 ? customerEmail(spec, customer) : null,
    phone: customer >= 0 ? customerPhone(spec, customer) : null,
    createdAt: iso(createdAt),
    processedAt: iso(createdAt),
    cancelledAt: cancelled ? iso(createdAt + DAY / 2) : null,
    totalPriceSet: money(spec, 2, index, Math.max(0, customer)),
    customer: customer >= 0 ? customerAt(spec, customer) : null,
  };
}

/** When abandoned checkout `index` was started (epoch ms): within the 30 days before `asOf`. */
export function checkoutTime(spec: ShopDataSpec, index: number): number {
  return spec.asOf - Math.floor(unit(spec.seed, 3, index, 2) * 30 * DAY) - 3_600_000;
}

export function checkoutAt(spec: ShopDataSpec, index: number, shop: string): Record<string, unknown> {
  const customer = customerOf(spec, 3, index);
  const createdAt = checkoutTime(spec, index);
  const token = `${(spec.seed >>> 0).toString(16)}${index.toString(16).padStart(12, '0')}ac`;
  return {
    id: `gid://shopify/AbandonedCheckout/${CHECKOUT_ID_BASE + index}`,
    abandonedCheckoutUrl: `https://${shop}/checkouts/ac/${token}/recover?key=k${index}`,
    createdAt: iso(createdAt),
    updatedAt: iso(createdAt + 600_000),
    completedAt: null,
    totalPriceSet: money(spec, 3, index, Math.max(0, customer)),
    customer: customer >= 0 ? customerAt(spec, customer) : null,
  };
}
