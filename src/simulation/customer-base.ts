import type { Observation } from './ground-truth.ts';
import type { Random } from './random.ts';
import type { EmailHistory } from './sim-law.ts';
import type { Shopper } from './shopper.ts';
import type { StoreProfile } from './store-profiles.ts';

const DAY = 86_400_000;

/** What a shopper did with the store before the period, as the simulation decided it. */
export interface PriorHistory {
  /** When the store account was opened (account holders). */
  accountAt?: number;
  pastOrder?: { id: string; at: number; amount: number };
  email?: { at: number; state: 'subscribed' | 'unsubscribed' };
  sms?: { at: number };
}

/** What a day-one import tells Reclaim of one shopper, in the ground truth's terms. */
export interface ImportedKnowledge {
  observations: Observation[];
  emailMarks: EmailHistory['marks'];
  smsMarks: { at: number; state: 'subscribed' | 'unsubscribed' }[];
  purchases: number[];
}

/** One shopper's lines of the bulk exports, and what importing them tells Reclaim. */
export interface CustomerBaseEntry {
  /** The customers export line, when Shopify holds a customer record for the shopper. */
  customer?: Record<string, unknown>;
  /** Orders export lines: past orders inside the import's window. */
  orders: Record<string, unknown>[];
  known: ImportedKnowledge;
}

/** Shopify's timestamps: seconds, UTC (`2026-09-14T08:03:11Z`). */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * A shopper as Shopify's bulk export would give them when the period begins: a customer record for
 * every past buyer, account holder, subscriber or unsubscriber, and anyone who began a double opt-in,
 * with email and SMS marketing consent as Shopify stores it (state, opt-in level, `consentUpdatedAt`);
 * and their orders of the last `importDays` days. Line shapes are those of the import's bulk queries
 * (`bulkQuery` in `src/shopify/shopify-import-mapper.ts`). The opt-in level and unconfirmed double
 * opt-ins come from `rng`, a stream of their own, so the rest of the simulation is unchanged by them.
 *
 * `known` restates what the import's mapping makes of these lines: the customer joins customer id,
 * email and phone at its `updatedAt`; a subscribed or unsubscribed state is a consent record at its
 * time; `PENDING` and `NOT_SUBSCRIBED` record nothing; an order is a purchase at its time.
 */
export function customerBase(
  shopper: Shopper,
  history: PriorHistory,
  profile: StoreProfile,
  rng: Random,
  periodStart: number,
  importDays: number,
): CustomerBaseEntry {
  const known: ImportedKnowledge = { observations: [], emailMarks: [], smsMarks: [], purchases: [] };
  const confirmed = rng.chance(profile.confirmedOptInShare);
  const pendingAt =
    !history.email && rng.chance(profile.pendingShare) ? periodStart - rng.int(1, 120) * DAY : undefined;
  const times = [
    history.accountAt,
    history.pastOrder?.at,
    history.email?.at,
    history.sms?.at,
    pendingAt,
  ].filter((t): t is number => t !== undefined);
  if (times.length === 0) return { orders: [], known };
  const createdAt = Math.min(...times);
  const updatedAt = Math.max(...times);
  const customerId = `gid://shopify/Customer/${shopper.customerId}`;
  const contactKeys = ['customer', 'email', ...(shopper.phone ? ['phone'] : [])];
  known.observations.push({ at: updatedAt, keys: contactKeys });
  const level = confirmed ? 'CONFIRMED_OPT_IN' : 'SINGLE_OPT_IN';
  let emailMarketingConsent: Record<string, unknown>;
  if (history.email) {
    emailMarketingConsent = {
      marketingState: history.email.state === 'subscribed' ? 'SUBSCRIBED' : 'UNSUBSCRIBED',
      marketingOptInLevel: level,
      consentUpdatedAt: iso(history.email.at),
    };
    const at = Math.floor(history.email.at / 1000) * 1000;
    known.emailMarks.push({ at, state: history.email.state });
    known.observations.push({ at, keys: ['customer', 'email'] });
  } else if (pendingAt !== undefined) {
    emailMarketingConsent = {
      marketingState: 'PENDING',
      marketingOptInLevel: 'CONFIRMED_OPT_IN',
      consentUpdatedAt: iso(pendingAt),
    };
  } else {
    emailMarketingConsent = {
      marketingState: 'NOT_SUBSCRIBED',
      marketingOptInLevel: 'SINGLE_OPT_IN',
      consentUpdatedAt: null,
    };
  }
  let smsMarketingConsent: Record<string, unknown> | null = null;
  if (shopper.phone) {
    smsMarketingConsent = history.sms
      ? {
          marketingState: 'SUBSCRIBED',
          marketingOptInLevel: 'SINGLE_OPT_IN',
          consentUpdatedAt: iso(history.sms.at),
          consentCollectedFrom: 'SHOPIFY',
        }
      : {
          marketingState: 'NOT_SUBSCRIBED',
          marketingOptInLevel: 'SINGLE_OPT_IN',
          consentUpdatedAt: null,
          consentCollectedFrom: null,
        };
    if (history.sms) {
      const at = Math.floor(history.sms.at / 1000) * 1000;
      known.smsMarks.push({ at, state: 'subscribed' });
      known.observations.push({ at, keys: ['customer', 'phone'] });
    }
  }
  const customer = {
    id: customerId,
    email: shopper.email,
    phone: shopper.phone ?? null,
    createdAt: iso(createdAt),
    updatedAt: iso(updatedAt),
    emailMarketingConsent,
    smsMarketingConsent,
    defaultAddress: {
      countryCodeV2: shopper.country,
      provinceCode: shopper.region?.split('-')[1] ?? null,
    },
  };
  const orders: Record<string, unknown>[] = [];
  const order = history.pastOrder;
  if (order && order.at >= periodStart - importDays * DAY) {
    orders.push({
      id: `gid://shopify/Order/${order.id}`,
      email: shopper.email,
      phone: null,
      createdAt: iso(order.at),
      processedAt: iso(order.at),
      cancelledAt: null,
      totalPriceSet: { shopMoney: { amount: order.amount.toFixed(2), currencyCode: profile.currency } },
      customer: { id: customerId },
    });
    const at = Math.floor(order.at / 1000) * 1000;
    known.observations.push({ at, keys: ['order:past', 'customer', 'email'] });
    known.purchases.push(at);
  }
  return { customer, orders, known };
}
