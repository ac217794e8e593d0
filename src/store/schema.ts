import type { Generated } from 'kysely';

/**
 * The tables Reclaim keeps, as Kysely sees them. Times are epoch milliseconds; JSON columns hold
 * text (`*_json`) so both dialects read them the same way.
 */
export interface Database {
  leases: LeaseTable;
  events: EventTable;
  webhook_deliveries: WebhookDeliveryTable;
  anonymous_counts: AnonymousCountTable;
}

/** The append-only log of canonical events; `processed` flips to 1 once identity and journeys saw it. */
export interface EventTable {
  seq: Serial;
  id: string;
  idempotency_key: string;
  kind: string;
  source: string;
  event_time: number;
  received_at: number;
  /** The `CanonicalEvent` as JSON. */
  body_json: string;
  processed: Generated<number>;
}

/** Shopify webhook deliveries seen, by `X-Shopify-Webhook-Id`, so a redelivery is ignored. */
export interface WebhookDeliveryTable {
  shop: string;
  webhook_id: string;
  topic: string;
  received_at: number;
}

/** Behaviour Reclaim may not store with identifiers, counted per day, kind and reason. */
export interface AnonymousCountTable {
  /** `YYYY-MM-DD` (UTC) of the event. */
  day: string;
  kind: string;
  reason: string;
  count: number;
}

/** Who holds a named piece of exclusive work (e.g. the event processor) and until when. */
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export type Serial = Generated<number>;
