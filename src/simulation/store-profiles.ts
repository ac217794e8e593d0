/**
 * Store profiles for the simulator: who shops, on what, and how. Every figure is a default that
 * `docs/simulation.md` explains with its source (or says it is an assumption), and that a caller can
 * override.
 */
export interface StoreProfile {
  name: string;
  title: string;
  /** The shop's myshopify domain. */
  shop: string;
  currency: string;
  locale: string;
  /** How the store's checkout asks about marketing email (`consent.checkoutMarketingBox`). */
  checkoutMarketingBox: 'opt_in' | 'opt_out';
  /** Where shoppers are: ISO country, or `US-CA`-style subdivision, with weights. */
  regions: Record<string, number>;
  /** Number of products and their price range. */
  catalog: { products: number; minPrice: number; maxPrice: number; names: readonly string[] };
  /** Shopping missions per shopper in 30 days (mean; heavy-tailed). */
  missionsPer30Days: number;
  /** Browser contexts per shopper: 1, 2 or 3. */
  devices: { one: number; two: number; three: number };
  /** Share of sessions on a phone. */
  mobileShare: number;
  /** Share of phone sessions in a social app's in-app browser (from ads). */
  inAppShare: number;
  /** Share of phone browsers that are Safari (the rest Chrome). */
  safariShare: number;
  /** Share of browser contexts whose content blocker stops Klaviyo's onsite script. */
  klaviyoBlocked: { desktop: number; mobile: number; inApp: number };
  /** Share of browser contexts that also block Reclaim's first-party pixel. */
  pixelBlocked: number;
  /** Share of visitors who accept tracking where the law asks first (EU, UK, Quebec, rest of world). */
  trackingAcceptRate: number;
  /** Share of US desktop browsers sending Global Privacy Control. */
  gpcRate: number;
  /** Shoppers who bought before the simulated period. */
  pastBuyerRate: number;
  /** Shoppers with a store account: of past buyers, of the others. */
  accountRate: { pastBuyer: number; other: number };
  /** Email marketing subscribers before the period, and those who had unsubscribed. */
  subscriberRate: number;
  unsubscribedRate: number;
  /**
   * How Shopify holds the email consent of subscribers before the period: the share confirmed by a
   * double opt-in (`CONFIRMED_OPT_IN`, the rest `SINGLE_OPT_IN`), and of the never-subscribed, the share
   * who started a double opt-in and never confirmed it (`PENDING`: no consent).
   */
  confirmedOptInShare: number;
  pendingShare: number;
  /** Shoppers with a phone number, and of those, SMS subscribers. */
  phoneRate: number;
  smsSubscriberRate: number;
  /** How far a mission gets: add to cart; of those, start checkout; of those, type contact; of those, buy. */
  funnel: { cart: number; checkout: number; contact: number; buy: number };
  /** Missions that come back after leaving (a later session, often on another device). */
  returnRate: number;
  /** Per session: log in (account holders), sign up in the pop-up (non-subscribers), arrive from a Klaviyo email (subscribers). */
  identify: { login: number; popup: number; emailClick: number };
  /** At checkout: type a phone too; tick the email box; tick the SMS box. */
  checkout: { phoneTyped: number; emailBox: number; smsBox: number };
  /** Subscribers who unsubscribe during the period. */
  unsubscribeRate: number;
}

const FASHION = [
  'Linen Shirt',
  'Wool Coat',
  'Denim Jacket',
  'Silk Scarf',
  'Chelsea Boots',
  'Knit Sweater',
  'Pleated Skirt',
  'Leather Belt',
  'Cotton Tee',
  'Trench Coat',
  'Wide-Leg Trousers',
  'Canvas Tote',
] as const;

const BEAUTY = [
  'Hydrating Serum',
  'Vitamin C Cream',
  'Clay Mask',
  'Lip Tint',
  'SPF 50 Fluid',
  'Night Repair Oil',
  'Micellar Water',
  'Brow Gel',
  'Retinol Drops',
  'Body Butter',
] as const;

/** The store profiles by name; look one up by a name from outside with `storeProfile`. */
export const STORE_PROFILES: Readonly<Record<string, StoreProfile>> = {
  'eu-fashion': {
    name: 'eu-fashion',
    title: 'An EU fashion store (EUR, opt-in consent)',
    shop: 'atelier-nord.myshopify.com',
    currency: 'EUR',
    locale: 'de-DE',
    checkoutMarketingBox: 'opt_in',
    regions: {
      DE: 30,
      FR: 14,
      NL: 8,
      IT: 8,
      ES: 8,
      AT: 5,
      BE: 4,
      GB: 10,
      CH: 5,
      'US-NY': 3,
      'US-CA': 2,
      CA: 1,
      AU: 2,
    },
    catalog: { products: 60, minPrice: 25, maxPrice: 320, names: FASHION },
    missionsPer30Days: 2.2,
    devices: { one: 0.45, two: 0.4, three: 0.15 },
    mobileShare: 0.68,
    inAppShare: 0.3,
    safariShare: 0.5,
    klaviyoBlocked: { desktop: 0.27, mobile: 0.1, inApp: 0.02 },
    pixelBlocked: 0.03,
    trackingAcceptRate: 0.75,
    gpcRate: 0.08,
    pastBuyerRate: 0.3,
    accountRate: { pastBuyer: 0.6, other: 0.05 },
    subscriberRate: 0.4,
    unsubscribedRate: 0.05,
    confirmedOptInShare: 0.6,
    pendingShare: 0.04,
    phoneRate: 0.35,
    smsSubscriberRate: 0.15,
    funnel: { cart: 0.3, checkout: 0.45, contact: 0.75, buy: 0.45 },
    returnRate: 0.3,
    identify: { login: 0.5, popup: 0.06, emailClick: 0.5 },
    checkout: { phoneTyped: 0.5, emailBox: 0.3, smsBox: 0.1 },
    unsubscribeRate: 0.03,
  },
  'us-beauty': {
    name: 'us-beauty',
    title: 'A US beauty store (USD, CAN-SPAM email, TCPA SMS)',
    shop: 'glow-theory.myshopify.com',
    currency: 'USD',
    locale: 'en-US',
    checkoutMarketingBox: 'opt_in',
    regions: {
      'US-CA': 15,
      'US-NY': 9,
      'US-TX': 10,
      'US-FL': 8,
      'US-IL': 5,
      'US-WA': 4,
      'US-GA': 4,
      'US-OH': 4,
      'US-NJ': 3,
      'US-CO': 3,
      'US-MA': 3,
      'US-AZ': 3,
      'CA-ON': 5,
      'CA-BC': 2,
      'CA-QC': 2,
      GB: 2,
      AU: 2,
    },
    catalog: { products: 40, minPrice: 12, maxPrice: 95, names: BEAUTY },
    missionsPer30Days: 2.6,
    devices: { one: 0.4, two: 0.42, three: 0.18 },
    mobileShare: 0.72,
    inAppShare: 0.35,
    safariShare: 0.6,
    klaviyoBlocked: { desktop: 0.28, mobile: 0.1, inApp: 0.02 },
    pixelBlocked: 0.03,
    trackingAcceptRate: 0.65,
    gpcRate: 0.08,
    pastBuyerRate: 0.35,
    accountRate: { pastBuyer: 0.55, other: 0.05 },
    subscriberRate: 0.4,
    unsubscribedRate: 0.05,
    confirmedOptInShare: 0.1,
    pendingShare: 0.01,
    phoneRate: 0.6,
    smsSubscriberRate: 0.3,
    funnel: { cart: 0.32, checkout: 0.5, contact: 0.8, buy: 0.5 },
    returnRate: 0.3,
    identify: { login: 0.4, popup: 0.06, emailClick: 0.3 },
    checkout: { phoneTyped: 0.65, emailBox: 0.35, smsBox: 0.15 },
    unsubscribeRate: 0.03,
  },
};

/** The profile called `name`, or undefined: `constructor` and other Object.prototype names are no profile. */
export function storeProfile(name: string): StoreProfile | undefined {
  return Object.hasOwn(STORE_PROFILES, name) ? STORE_PROFILES[name] : undefined;
}
