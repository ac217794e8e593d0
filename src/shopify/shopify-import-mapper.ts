import type { CanonicalEvent, ConsentDecision, EventKind } from '../event-log/canonical-event.ts';
import { eventIdFor } from '../event-log/event-log.ts';
import { nonEmpty, text } from '../ingest/fields.ts';
import {
  normalizeCountry,
  normalizeEmail,
  normalizeOpaqueId,
  normalizePhone,
  normalizeRegion,
  normalizeShopifyId,
} from '../event-log/identifier-normalizers.ts';
import { toAmount } from '../event-log/money.ts';
import { parseTime } from '../ingest/validation.ts';
import type { ImportExport } from '../store/schema.ts';

export type { ImportExport };

/** The exports an import reads, in order: customers first, so orders and checkouts find them. */
export const IMPORT_EXPORTS = ['customers', 'orders', 'checkouts'] as const satisfies readonly ImportExport[];

/** The ledger source of every consent state an import records. */
export const IMPORT_CONSENT_SOURCE = 'shopify_import';

const MONEY = 'totalPriceSet { shopMoney { amount currencyCode } }';

/**
 * The bulk query of each export (https://shopify.dev/docs/api/usage/bulk-operations/queries). Orders and
 * abandoned checkouts from `since` on; customers all, whatever their age, since consent does not expire
 * with an order history.
 */
export function bulkQuery(name: ImportExport, since: number): string {
  const from = new Date(since).toISOString();
  if (name === 'customers')
    return `{ customers { edges { node { id email phone createdAt updatedAt emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt } smsMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt consentCollectedFrom } defaultAddress { countryCodeV2 provinceCode } } } } }`;
  if (name === 'orders')
    return `{ orders(query: "created_at:>='${from}'") { edges { node { id email phone createdAt processedAt cancelledAt ${MONEY} customer { id } } } } }`;
  return `{ abandonedCheckouts(query: "created_at:>='${from}'") { edges { node { id abandonedCheckoutUrl createdAt updatedAt completedAt ${MONEY} customer { id email phone } } } } }`;
}

type Json = Record<string, unknown>;

const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const field = (o: Json | undefined, key: string): unknown =>
  o && Object.hasOwn(o, key) ? o[key] : undefined;

interface MapContext {
  shop: string;
  receivedAt: number;
}

function event(
  ctx: MapContext,
  kind: EventKind,
  name: ImportExport,
  key: string,
  eventTime: number,
  ids: CanonicalEvent['ids'],
): CanonicalEvent {
  const idempotencyKey = `shopify_import:${ctx.shop}:${key}`;
  return {
    id: eventIdFor(idempotencyKey, eventTime),
    kind,
    source: 'shopify_import',
    name: `shopify_import/${name}`,
    idempotencyKey,
    eventTime,
    receivedAt: ctx.receivedAt,
    ids: nonEmpty(ids) ?? {},
    context: { shop: ctx.shop },
  };
}

/**
 * Shopify's marketing states as ledger states: `SUBSCRIBED` grants, `UNSUBSCRIBED` and `REDACTED`
 * withdraw, `NOT_SUBSCRIBED` refuses; `PENDING` (double opt-in not confirmed yet) and `INVALID` record
 * nothing.
 */
function ledgerState(state: unknown): ConsentDecision['state'] | undefined {
  if (state === 'SUBSCRIBED') return 'granted';
  if (state === 'UNSUBSCRIBED' || state === 'REDACTED') return 'withdrawn';
  if (state === 'NOT_SUBSCRIBED') return 'denied';
  return undefined;
}

/**
 * One channel's consent as a ledger record at its original time (`consentUpdatedAt`). A grant or
 * withdrawal without a time is dated to the customer's creation — the earliest it can have been, so any
 * decision Reclaim recorded itself stays newer; a `NOT_SUBSCRIBED` without a time is no decision at all.
 */
function consentEvent(
  ctx: MapContext,
  permission: 'email' | 'sms',
  customerId: string,
  subject: CanonicalEvent['ids'],
  consent: Json | undefined,
  createdAt: number | undefined,
): CanonicalEvent | undefined {
  const state = ledgerState(field(consent, 'marketingState'));
  if (!state || (permission === 'email' ? !subject.email : !subject.phone)) return undefined;
  const stated = parseTime(field(consent, 'consentUpdatedAt'));
  const at = stated ?? (state === 'denied' ? undefined : createdAt);
  if (at === undefined) return undefined;
  const level = str(field(consent, 'marketingOptInLevel'))?.toLowerCase();
  const e = event(
    ctx,
    'consent',
    'customers',
    `${permission}_consent:${customerId}:${state}:${at}`,
    at,
    subject,
  );
  e.consent = {
    permission,
    state,
    source: IMPORT_CONSENT_SOURCE,
    wordingVersion: `shopify:${permission}:${level ?? 'unknown'}`,
    ...(level ? { optInLevel: level, confirmed: level === 'confirmed_opt_in' } : {}),
  };
  return e;
}

/** A customer line: the customer (identifiers joined in the identity graph) and their consent states. */
export function mapCustomerLine(ctx: MapContext, line: Json): CanonicalEvent[] {
  const customerId = normalizeShopifyId(field(line, 'id'));
  if (!customerId) return [];
  const address = obj(field(line, 'defaultAddress'));
  const country = normalizeCountry(field(address, 'countryCodeV2'));
  const email = normalizeEmail(field(line, 'email'));
  const phone = normalizePhone(field(line, 'phone'), country);
  const createdAt = parseTime(field(line, 'createdAt'));
  const updatedAt = parseTime(field(line, 'updatedAt')) ?? createdAt ?? ctx.receivedAt;
  const customer = event(
    ctx,
    'customer_update',
    'customers',
    `customer:${customerId}:${updatedAt}`,
    updatedAt,
    {
      customerId,
      email,
      phone,
    },
  );
  const geo = nonEmpty({
    customerCountry: country,
    customerRegion: normalizeRegion(field(address, 'provinceCode'), country),
  });
  if (geo) customer.context.geo = geo;
  const events = [customer];
  for (const consent of [
    consentEvent(
      ctx,
      'email',
      customerId,
      { customerId, email },
      obj(field(line, 'emailMarketingConsent')),
      createdAt,
    ),
    consentEvent(
      ctx,
      'sms',
      customerId,
      { customerId, phone },
      obj(field(line, 'smsMarketingConsent')),
      createdAt,
    ),
  ]) {
    if (!consent) continue;
    if (geo) consent.context.geo = geo;
    events.push(consent);
  }
  return events;
}

function commerceOf(
  line: Json,
  extra: { checkoutUrl?: string } = {},
): NonNullable<CanonicalEvent['commerce']> {
  const money = obj(field(obj(field(line, 'totalPriceSet')), 'shopMoney'));
  const value = toAmount(field(money, 'amount'));
  const currency = str(field(money, 'currencyCode'));
  return {
    lines: [],
    ...(value !== undefined ? { value } : {}),
    ...(currency && /^[A-Z]{3}$/.test(currency) ? { currency } : {}),
    ...extra,
  };
}

/** An order line: a purchase ("bought since", revenue attribution); a cancelled order is none. */
export function mapOrderLine(ctx: MapContext, line: Json): CanonicalEvent[] {
  const orderId = normalizeShopifyId(field(line, 'id'));
  if (!orderId || field(line, 'cancelledAt')) return [];
  const at = parseTime(field(line, 'processedAt')) ?? parseTime(field(line, 'createdAt'));
  if (at === undefined) return [];
  const e = event(ctx, 'order_completed', 'orders', `order:${orderId}`, at, {
    orderId,
    customerId: normalizeShopifyId(field(obj(field(line, 'customer')), 'id')),
    email: normalizeEmail(field(line, 'email')),
    phone: normalizePhone(field(line, 'phone')),
  });
  e.commerce = commerceOf(line);
  return [e];
}

/** The token in an abandoned checkout's recovery URL (`…/checkouts/ac/{token}/recover?key=…`). */
function checkoutToken(url: string | undefined): string | undefined {
  const match = url ? /\/checkouts\/(?:ac\/|cn\/)?([A-Za-z0-9_-]+)\/recover/.exec(url) : null;
  return normalizeOpaqueId(match?.[1]);
}

/** An abandoned checkout line: ties the checkout to its shopper; never opens a journey. */
export function mapCheckoutLine(ctx: MapContext, line: Json): CanonicalEvent[] {
  const id = normalizeShopifyId(field(line, 'id'));
  if (!id || field(line, 'completedAt')) return [];
  const at = parseTime(field(line, 'updatedAt')) ?? parseTime(field(line, 'createdAt'));
  if (at === undefined) return [];
  const customer = obj(field(line, 'customer'));
  const url = text(str(field(line, 'abandonedCheckoutUrl')));
  const e = event(ctx, 'checkout_update', 'checkouts', `checkout:${id}:${at}`, at, {
    checkoutToken: checkoutToken(url),
    customerId: normalizeShopifyId(field(customer, 'id')),
    email: normalizeEmail(field(customer, 'email')),
    phone: normalizePhone(field(customer, 'phone')),
  });
  e.commerce = commerceOf(line, url ? { checkoutUrl: url } : {});
  return [e];
}

export const LINE_MAPPERS: Record<ImportExport, (ctx: MapContext, line: Json) => CanonicalEvent[]> = {
  customers: mapCustomerLine,
  orders: mapOrderLine,
  checkouts: mapCheckoutLine,
};
