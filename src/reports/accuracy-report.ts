import type { Kysely } from 'kysely';
import { purchaseEventId, purchaseSubjectId } from '../delivery/conversion-stage.ts';
import { conversionStates, type ConversionState } from '../delivery/delivery-admin.ts';
import { DestinationStates } from '../delivery/destination-states.ts';
import { processorPosition } from '../pipeline/event-processor.ts';
import { orderEvents } from '../event-log/event-log.ts';
import type { Database } from '../store/schema.ts';

/**
 * Why an order Reclaim saw did not reach a conversion destination. Stable codes: the dashboard words them,
 * scripts may switch on them.
 * - `not_configured`: the destination is off in this config.
 * - `no_browser_event`: only Shopify's order webhook (or an import) reported it; the pixel never sent the
 *   checkout, so there is no browser data (user agent, click ids, `_ga` cookie) to send.
 * - `awaiting_processing`: stored, not yet processed.
 * - `no_consent`: the shopper's consent, in their regime, does not allow this partner.
 * - `missing_identifiers`: the partner needs what the event lacks (GA4: the `_ga` cookie; Meta: user agent
 *   and page).
 * - `not_connected_then`: processed while the destination was not configured.
 * - `pending`: queued, not tried yet. `retrying`: failed, tried again later. `destination_paused`: waiting
 *   for an operator to fix the destination's credentials and resume it.
 * - `dead_lettered`: given up on, with the partner's last error. `dropped`: given up on by an operator.
 */
export const ACCURACY_REASONS = [
  'not_configured',
  'no_browser_event',
  'awaiting_processing',
  'no_consent',
  'missing_identifiers',
  'not_connected_then',
  'pending',
  'retrying',
  'destination_paused',
  'dead_lettered',
  'dropped',
] as const;
export type AccuracyReason = (typeof ACCURACY_REASONS)[number];

/** A destination that receives purchases. */
export interface ConversionDestination {
  name: string;
  title: string;
  /** The partner's name for the event (`Purchase`, `purchase`). */
  event: string;
  enabled: boolean;
}

export interface AccuracyQuery {
  from: number;
  to: number;
  destinations: readonly ConversionDestination[];
  /** Only missing orders of this destination / for this reason are listed (counts cover all). */
  destination?: string;
  reason?: AccuracyReason;
  offset: number;
  limit: number;
}

/** One order seen, deduplicated across the webhook, an import and the browser. */
interface SeenOrder {
  orderId: string;
  at: number;
  /** The browser's purchase event, if one was stored: its log position and the id it goes out under. */
  browser?: { seq: number; eventId: string };
}

/**
 * Shopify orders Reclaim saw in `[from, to)` (event time) against the purchases each conversion destination
 * was sent, with the reason for each one missing: Elevar's channel accuracy report.
 */
export async function accuracyReport(db: Kysely<Database>, q: AccuracyQuery) {
  const orders = new Map<string, SeenOrder>();
  let fromShopify = 0;
  let fromBrowser = 0;
  const shopifySeen = new Set<string>();
  for (const { seq, event } of await orderEvents(db, q.from, q.to)) {
    const browser = event.source === 'pixel' || event.source === 'segment';
    const orderId = browser ? purchaseEventId(event) : event.ids.orderId;
    if (!orderId) continue;
    const order = orders.get(orderId) ?? { orderId, at: event.eventTime };
    order.at = Math.min(order.at, event.eventTime);
    if (browser && !order.browser) {
      order.browser = { seq, eventId: purchaseEventId(event) };
      fromBrowser++;
    }
    if (!browser && !shopifySeen.has(orderId)) {
      shopifySeen.add(orderId);
      fromShopify++;
    }
    orders.set(orderId, order);
  }
  const seen = [...orders.values()].sort((a, b) => a.at - b.at || a.orderId.localeCompare(b.orderId));
  const enabled = q.destinations.filter((d) => d.enabled).map((d) => d.name);
  const states = await conversionStates(
    db,
    enabled,
    seen.flatMap((o) => (o.browser ? [purchaseSubjectId(o.browser.eventId)] : [])),
  );
  const position = await processorPosition(db);
  const missing: {
    orderId: string;
    at: string;
    destination: string;
    reason: AccuracyReason;
    error?: unknown;
  }[] = [];
  const destinations = [];
  for (const d of q.destinations) {
    const paused = d.enabled && (await DestinationStates.isPaused(db, d.name));
    const reasons: Partial<Record<AccuracyReason, number>> = {};
    let sent = 0;
    for (const order of seen) {
      const state = order.browser && states.get(`${d.name}:${purchaseSubjectId(order.browser.eventId)}`);
      if (state && state.status === 'delivered') {
        sent++;
        continue;
      }
      const reason = reasonFor(d, order, state, position, paused);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      if (!d.enabled) continue;
      if ((q.destination && q.destination !== d.name) || (q.reason && q.reason !== reason)) continue;
      missing.push({
        orderId: order.orderId,
        at: new Date(order.at).toISOString(),
        destination: d.name,
        reason,
        ...(reason === 'dead_lettered' || reason === 'retrying' ? { error: state?.lastError } : {}),
      });
    }
    destinations.push({
      destination: d.name,
      title: d.title,
      event: d.event,
      enabled: d.enabled,
      paused,
      sent,
      missing: seen.length - sent,
      /** Percentage of orders sent, one decimal; null when there were no orders or it is off. */
      accuracy: d.enabled && seen.length > 0 ? Math.round((sent / seen.length) * 1000) / 10 : null,
      reasons,
    });
  }
  missing.sort((a, b) => a.at.localeCompare(b.at) || a.orderId.localeCompare(b.orderId));
  const page = missing.slice(q.offset, q.offset + q.limit);
  return {
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    orders: {
      seen: seen.length,
      fromShopify,
      fromBrowser,
      fromBoth: seen.filter((o) => o.browser && shopifySeen.has(o.orderId)).length,
    },
    destinations,
    missing: {
      total: missing.length,
      offset: q.offset,
      orders: page,
      nextOffset: q.offset + page.length < missing.length ? q.offset + page.length : null,
    },
  };
}

function reasonFor(
  d: ConversionDestination,
  order: SeenOrder,
  state: ConversionState | undefined,
  position: number,
  paused: boolean,
): AccuracyReason {
  if (!d.enabled) return 'not_configured';
  if (!order.browser) return 'no_browser_event';
  if (!state) return order.browser.seq > position ? 'awaiting_processing' : 'not_connected_then';
  switch (state.status) {
    case 'skipped': {
      const given = (state.outcome as { reason?: unknown } | null)?.reason;
      return given === 'missing_identifiers' ? 'missing_identifiers' : 'no_consent';
    }
    case 'dead':
      return 'dead_lettered';
    case 'dropped':
      return 'dropped';
    default:
      return paused ? 'destination_paused' : state.attempts > 0 ? 'retrying' : 'pending';
  }
}
