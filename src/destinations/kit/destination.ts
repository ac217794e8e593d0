import type { Config } from '../../config/config-schema.ts';
import type { ConsentSignals } from '../../consent/consent-signals.ts';
import type { LegalBasis } from '../../consent/consent-state.ts';
import type { SubscriptionChange } from '../../consent/subscription-change.ts';
import type { LineItem } from '../../event-log/canonical-event.ts';
import type { TriggerBody } from '../../journeys/firing.ts';
import type { DeliveryKind } from '../../store/schema.ts';
import type { ErrorClassifier, PartnerRequest } from './partner-request.ts';

export type { DeliveryKind };
/** What the outbox carries to destinations. */
export const DELIVERY_KINDS = [
  'abandonment',
  'conversion',
  'erasure',
  'subscription',
] as const satisfies readonly DeliveryKind[];

/**
 * An abandonment trigger as it leaves: consent checked again at send time, so a withdrawal that arrived
 * after the trigger fired stops it. Only the channels present here may be addressed.
 */
export interface AbandonmentSend {
  trigger: TriggerBody;
  email?: { address: string; basis: LegalBasis; recordIds: string[] };
  phone?: { number: string; basis: LegalBasis; recordIds: string[] };
  /** Channels the trigger does not use now, and why (`withdrawn`, `sms_quiet_hours`…). */
  withheld: { email?: string; sms?: string };
  /**
   * A test send (`reclaim klaviyo test-event`), not a shopper's: destinations mark it so the store's
   * flows can leave it out.
   */
  test?: true;
}

/** The commerce events sent to ad and analytics platforms. */
export type ConversionName = 'view_content' | 'add_to_cart' | 'initiate_checkout' | 'purchase';

/** One commerce event for the conversion destinations, as captured (contacts in clear, hashed per partner). */
export interface Conversion {
  /** Reclaim's event id. */
  id: string;
  name: ConversionName;
  /**
   * Deduplication id shared with the browser pixel: the Shopify pixel event id (the store's Meta pixel
   * passes the same id as `eventID`), or the order id for purchases.
   */
  eventId: string;
  /** Event time (ms). */
  at: number;
  pageUrl?: string;
  userAgent?: string;
  ip?: string;
  fbc?: string;
  fbp?: string;
  gaClientId?: string;
  email?: string;
  phone?: string;
  customerId?: string;
  /** ISO 3166-1 alpha-2, from the shopper's location. */
  country?: string;
  items: LineItem[];
  value?: string;
  currency?: string;
  orderId?: string;
  /** Consent Mode v2 and Meta data processing options, from the shopper's consent state. */
  signals: ConsentSignals;
}

/** A request to delete a shopper at the partner (one identifier per request, as Klaviyo requires). */
export interface ErasureRequest {
  email?: string;
  phone?: string;
}

export interface ActionContext<S> {
  settings: S;
  request: PartnerRequest;
  /** The delivery clock (event time in replay). */
  now: number;
}

/** What was sent, kept on the delivery row: idempotency keys, channels, partner ids. No personal data. */
export type SendReceipt = Record<string, unknown>;

/** A partner's published limit for one endpoint (fixed windows of one second and one minute). */
export interface RateLimit {
  perSecond: number;
  perMinute: number;
}

/** One kind of thing a destination sends: a payload becomes a request, made with the injected `request`. */
export interface Action<S, P> {
  rateLimit: RateLimit;
  perform(ctx: ActionContext<S>, payload: P): Promise<SendReceipt>;
  /** Several payloads in one request. */
  batch?: {
    /** Most payloads per request. */
    max: number;
    /** Batch only when at least this many wait (Klaviyo's bulk endpoint is for backlogs). */
    minBacklog(settings: S): number;
    /** Whether a payload may travel in a batch at all. */
    accepts?(payload: P): boolean;
    /** The batch endpoint's own limits, when it has its own. */
    rateLimit?: RateLimit;
    /** One receipt per payload, in order. */
    perform(ctx: ActionContext<S>, payloads: P[]): Promise<SendReceipt[]>;
  };
}

/**
 * Whether a partner may receive a conversion: `no_consent` when the shopper's consent in their regime does
 * not allow it, `missing_identifiers` when it lacks what the partner needs to attribute it.
 */
export type ConversionPermit = { ok: true } | { ok: false; reason: 'no_consent' | 'missing_identifiers' };

export interface ConversionAction<S> extends Action<S, Conversion> {
  /** Checked when the event is processed, before anything queues. */
  permits(conversion: Conversion): ConversionPermit;
  /** What the partner calls a purchase, as reports name it. */
  purchaseEvent: string;
}

/**
 * A destination: its settings (read from config; undefined turns it off), its actions, and how to read
 * its partner's errors. Retries, timeouts, rate limiting and user agent live in delivery, not here.
 */
export interface DestinationDefinition<S = unknown> {
  name: string;
  title: string;
  settings(config: Config): S | undefined;
  /** Most requests in flight at once. */
  concurrency: number;
  /** Multiplier applied to every published limit (a share of a quota other apps use too). */
  rateShare?(settings: S): number;
  /**
   * Headers every request to the partner carries (authentication, API revision, content type), from the
   * settings; delivery adds them to each request, and a request's own headers win.
   */
  headers?(settings: S): Record<string, string>;
  classify?: ErrorClassifier;
  actions: {
    abandonment?: Action<S, AbandonmentSend>;
    conversion?: ConversionAction<S>;
    erasure?: Action<S, ErasureRequest>;
    /** Marketing subscriptions carried from the consent ledger. */
    subscription?: Action<S, SubscriptionChange>;
  };
}
