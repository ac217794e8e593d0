import type { CanonicalEvent, EventKind } from '../event-log/canonical-event.ts';
import type { AnonymousCount } from '../event-log/event-log.ts';
import type { TrackingGate } from '../event-log/tracking-gate.ts';
import { resolveJurisdiction, trackingNeedsOptIn } from './jurisdiction.ts';

/** Behaviour on the storefront: identifying it needs tracking consent where the law asks for it. */
const BEHAVIOUR: ReadonlySet<EventKind> = new Set([
  'page_view',
  'product_view',
  'collection_view',
  'search',
  'cart_add',
  'cart_remove',
  'cart_view',
  'track',
]);
/** Checkout steps: what the shopper typed there is first-party and follows the messaging rules. */
const CHECKOUT: ReadonlySet<EventKind> = new Set([
  'checkout_started',
  'checkout_contact',
  'checkout_update',
  'order_completed',
]);

/**
 * Enforcement at ingest (RULES.md T-EU/T-UK/T-CA-QC and the ROW default): in an opt-in jurisdiction —
 * and wherever the location is unknown — storefront behaviour from a visitor without tracking consent is
 * not stored with identifiers: it only increments an anonymous counter, so the gap report can still say
 * how much was lost to consent. Checkout data is kept, without the device identifiers that would link it
 * to the browsing. Webhooks (server-side transaction data) and consent decisions pass unchanged.
 */
export const consentTrackingGate: TrackingGate = {
  admit(events) {
    const admitted: CanonicalEvent[] = [];
    const counts: AnonymousCount[] = [];
    for (const event of events) {
      if (event.source !== 'pixel' && event.source !== 'segment') {
        admitted.push(event);
        continue;
      }
      if (trackingAllowed(event)) {
        admitted.push(event);
        continue;
      }
      if (BEHAVIOUR.has(event.kind)) {
        counts.push({
          day: new Date(event.eventTime).toISOString().slice(0, 10),
          kind: event.kind,
          reason: 'no_tracking_consent',
        });
      } else if (CHECKOUT.has(event.kind)) {
        admitted.push(withoutDeviceData(event));
      } else {
        admitted.push(event);
      }
    }
    return { events: admitted, counts };
  },
};

/** Shopify's flags (analytics and marketing) AND the jurisdiction's rule: neither can widen the other. */
export function trackingAllowed(event: CanonicalEvent): boolean {
  const tracking = event.context.tracking;
  if (tracking && !(tracking.analytics && tracking.marketing)) return false;
  if (!trackingNeedsOptIn(resolveJurisdiction([event.context.geo]).regime)) return true;
  return tracking !== undefined && tracking.analytics && tracking.marketing;
}

function withoutDeviceData(event: CanonicalEvent): CanonicalEvent {
  const { clientId: _c, browserId: _b, anonymousId: _a, kx: _k, cartToken: _t, ...ids } = event.ids;
  const {
    ip: _ip,
    userAgent: _ua,
    fbc: _fbc,
    fbp: _fbp,
    gaClientId: _ga,
    klaviyo: _kl,
    utm: _u,
    fbclid: _f,
    gclid: _g,
    pageUrl: _p,
    referrer: _r,
    ...context
  } = event.context;
  return { ...event, ids, context };
}
