import type { Generated } from 'kysely';

/**
 * The tables Reclaim keeps, as Kysely sees them. Times are epoch milliseconds; JSON columns hold
 * text (`*_json`) so both dialects read them the same way.
 */
export interface Database {
  leases: LeaseTable;
  events: EventTable;
  webhook_deliveries: WebhookDeliveryTable;
  consent_banner_counts: ConsentBannerCountTable;
  shopify_imports: ShopifyImportTable;
  shopify_installations: ShopifyInstallationTable;
  anonymous_counts: AnonymousCountTable;
  profiles: ProfileTable;
  identifiers: IdentifierTable;
  identity_links: IdentityLinkTable;
  identity_decisions: IdentityDecisionTable;
  profile_events: ProfileEventTable;
  cursors: CursorTable;
  erasure_receipts: ErasureReceiptTable;
  data_exports: DataExportTable;
  consent_ledger: ConsentLedgerTable;
  consent_chain: ConsentChainTable;
  consent_subjects: ConsentSubjectTable;
  consent_subject_index: ConsentSubjectIndexTable;
  consent_states: ConsentStateTable;
  journeys: JourneyTable;
  purchases: PurchaseTable;
  triggers: TriggerTable;
  gap_report_days: GapReportDayTable;
  trigger_caps: TriggerCapTable;
  deliveries: DeliveryTable;
  destination_states: DestinationStateTable;
  delivery_attempt_counts: DeliveryAttemptCountTable;
  scans: ScanTable;
  dashboard_sessions: DashboardSessionTable;
}

/** A journey's stage, from shallow to deep. */
export type JourneyStage = 'browse' | 'cart' | 'checkout';
/** Where a journey stands: open until it fires, is bought, suppressed, or merged into another. */
export type JourneyStatus = 'open' | 'fired' | 'purchased' | 'suppressed' | 'merged';

/** A shopper's way through browse → cart → checkout; abandoned when idle past its stage's window. */
export interface JourneyTable {
  id: string;
  profile_id: string;
  /** `open`, `fired`, `purchased`, `suppressed`, `merged`. */
  status: JourneyStatus;
  /** `browse`, `cart`, `checkout`: the deepest stage reached. */
  stage: JourneyStage;
  started_at: number;
  last_activity_at: number;
  /** Receive time of the event that last moved it (a late event makes it due when it arrives). */
  updated_received_at: number;
  /** When it is abandoned unless something happens (event time); null once closed. */
  due_at: number | null;
  /** Why it closed: `triggered`, `purchased`, `cap_cart`, `cap_checkout`, `cap_browse`, `merged`. */
  outcome: string | null;
  trigger_id: string | null;
  /** Items, tokens, contacts typed, jurisdiction and consent signals, Klaviyo cookie state. */
  state_json: string;
}

/** Orders, per profile: a purchase closes the journeys before it. */
export interface PurchaseTable {
  /** `order:<id>` or `checkout:<token>`. */
  order_key: string;
  profile_id: string;
  at: number;
  checkout_token: string | null;
  cart_token: string | null;
  value: string | null;
  currency: string | null;
}

/** A fired abandonment trigger: what was abandoned, who gets it, and the decision per channel. */
export interface TriggerTable {
  id: string;
  journey_id: string;
  profile_id: string;
  stage: JourneyStage;
  due_at: number;
  /** Event time at which the clock passed the due time (or a late event made it due). */
  fired_at: number;
  /** Clock time when the row was written. */
  created_at: number;
  body_json: string;
}

/** The gap report's figures for one UTC day of triggers, recomputed when the day's inputs change. */
export interface GapReportDayTable {
  /** UTC day number: `fired_at` ÷ 86,400,000, rounded down. */
  day: number;
  /** Bumped by the database whenever a trigger of the day or an abandonment delivery of one is written. */
  version: number;
  /** The `version` the cached tally was computed from; null until first computed. */
  computed_version: number | null;
  /** The day's tally per stage and its sends (`src/reports/gap-day-cache.ts`). */
  tally_json: string | null;
}

/** Caps: one cart trigger per cart, one checkout trigger per checkout (`cart:<token>`, `checkout:<token>`). */
export interface TriggerCapTable {
  cap_key: string;
  trigger_id: string;
}

/**
 * The consent ledger: append-only, one row per permission change, each carrying the SHA-256 of the
 * previous one. Never updated in place.
 */
export interface ConsentLedgerTable {
  /** 1, 2, 3… without gaps: a missing position is a deleted record. */
  position: number;
  record_id: string;
  prev_hash: string;
  /** SHA-256 of `prev_hash` and `record_json`. */
  hash: string;
  /** The record (subjects as digests). */
  record_json: string;
}

/** The chain's head, so deleting the newest records is detected too. */
export interface ConsentChainTable {
  id: number;
  position: number;
  hash: string;
}

/** Who a record is about, in clear (email, phone, IP…). Erasable: the record keeps a digest of it. */
export interface ConsentSubjectTable {
  record_id: string;
  subject_json: string;
}

/** Records by subject key (`email:…`, `clientId:…`), to answer "what did this shopper agree to". */
export interface ConsentSubjectIndexTable {
  subject_key: string;
  record_id: string;
}

/** What a consent state is about: marketing by email, by SMS, or tracking in the browser. */
export type StatePermission = 'email' | 'sms' | 'tracking';

/** The current consent state per subject and permission, derived from the ledger. */
export interface ConsentStateTable {
  subject_key: string;
  permission: StatePermission;
  state_json: string;
  updated_at: number;
}

/** A shopper: what the identity links connect. A merged profile points at the one it became. */
export interface ProfileTable {
  id: string;
  created_at: number;
  updated_at: number;
  merged_into: string | null;
  /** Active identifiers per type, for the merge guards (`{"email":2,"clientId":3}`). */
  counts_json: string;
  /** Its Shopify customer id, if any. */
  customer_id: string | null;
}

/** What an identifier names: a customer account, a contact, a checkout or basket, or a device. */
export type IdentifierType =
  | 'customerId'
  | 'email'
  | 'phone'
  | 'checkoutToken'
  | 'orderId'
  | 'cartToken'
  | 'kx'
  | 'browserId'
  | 'clientId'
  | 'anonymousId';

/** `shared`: a device used by several customers, which no longer links anyone. */
export type IdentifierStatus = 'active' | 'shared';

/** One identifier (`email:ana@example.org`) and the profile it belongs to. */
export interface IdentifierTable {
  /** `type:value`. */
  key: string;
  type: IdentifierType;
  value: string;
  profile_id: string;
  first_seen: number;
  last_seen: number;
  /** Last time (event time) it was seen together with another identifier of its profile. */
  linked_at: number;
  /** Last time a trusted source (typed at checkout, customer record, consent) stated it. */
  confirmed_at: number | null;
  status: IdentifierStatus;
}

/** Evidence that two identifiers were seen together, with when. `a` < `b`. */
export interface IdentityLinkTable {
  a: string;
  b: string;
  first_seen: number;
  last_seen: number;
}

/** A merge or link Reclaim refused, and why. */
export interface IdentityDecisionTable {
  seq: Serial;
  at: number;
  event_id: string;
  reason: string;
  profile_id: string;
  other_profile_id: string | null;
  identifier_type: IdentifierType | null;
}

/** Which events belong to which profile (the profile it was resolved to when processed). */
export interface ProfileEventTable {
  profile_id: string;
  event_seq: number;
}

/** How far a consumer of the event log has got. */
export interface CursorTable {
  name: string;
  position: number;
}

/** Proof that a shopper was erased, without personal data. */
export interface ErasureReceiptTable {
  id: string;
  profile_id: string;
  erased_at: number;
  source: string;
  counts_json: string;
}

/** A data-subject export (`customers/data_request` or the admin API). */
export interface DataExportTable {
  id: string;
  profile_id: string | null;
  created_at: number;
  source: string;
  body_json: string;
}

/** The append-only log of canonical events; the event processor follows it with a cursor (`cursors`). */
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
}

/** Shopify webhook deliveries seen, by `X-Shopify-Webhook-Id`, so a redelivery is ignored. */
export interface WebhookDeliveryTable {
  shop: string;
  webhook_id: string;
  topic: string;
  received_at: number;
}

/** A shop that installed the app through `/shopify/install`, with its offline token encrypted. */
export interface ShopifyInstallationTable {
  shop: string;
  /** Scopes granted, comma-separated, as Shopify answered the token exchange. */
  scopes: string;
  /** `TokenCipher` output, the shop as associated data. */
  token_encrypted: string;
  installed_at: number;
  updated_at: number;
}

/** The Admin API bulk exports an import reads, in the order it reads them. */
export type ImportExport = 'customers' | 'orders' | 'checkouts';

/** One `reclaim shopify import` run and how far it got (`src/shopify/shopify-import.ts`). */
export interface ShopifyImportTable {
  id: string;
  shop: string;
  /** `running` (also after a crash), `failed` (the error says why; a rerun resumes), `completed`. */
  status: 'running' | 'failed' | 'completed';
  days: number;
  /** Orders and checkouts created from this time (epoch ms). */
  since: number;
  /** The export being read, then `done`. */
  export: ImportExport | 'done';
  bulk_operation_id: string | null;
  /** Lines of the current export stored. */
  lines_done: number;
  /** Lines and events stored per export, JSON. */
  counts_json: string;
  error: string | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
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

/** What a delivery carries: a trigger, a conversion, an erasure request or a subscription change. */
export type DeliveryKind = 'abandonment' | 'conversion' | 'erasure' | 'subscription';
/** Where a delivery stands: waiting (or retrying), delivered, skipped by the send-time check, dead-lettered, dropped. */
export type DeliveryStatus = 'pending' | 'delivered' | 'skipped' | 'dead' | 'dropped';

/**
 * The delivery outbox: one row per destination and thing to send (an abandonment trigger, a conversion,
 * a deletion request), written in the transaction that produced it and settled by the delivery workers.
 */
export interface DeliveryTable {
  /** `<destination>:<kind>:<subject id>`: enqueueing the same thing twice is a no-op. */
  id: string;
  destination: string;
  kind: DeliveryKind;
  /** The trigger id, event id or erasure request it carries. */
  subject_id: string;
  profile_id: string | null;
  status: DeliveryStatus;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** When a worker may take it next: its due time, its retry time, or the end of a worker's claim. */
  next_attempt_at: number;
  /** Start of the retry horizon: when it was queued, or when an operator last retried it. */
  retry_from: number;
  /** The worker holding it until `next_attempt_at`, if claimed. */
  claimed_by: string | null;
  delivered_at: number | null;
  /** The last failure: error class, HTTP status, partner code, message (never personal data). */
  last_error_json: string | null;
  /** What the destination's action needs (cleared for erasure requests once delivered). */
  payload_json: string;
  /** What was sent: idempotency keys, channels, withheld channels and why. */
  outcome_json: string | null;
}

/**
 * Partner answers per destination and minute (`src/delivery/attempt-counts.ts`): kept 8 days, then pruned.
 */
export interface DeliveryAttemptCountTable {
  /** Start of the minute (epoch ms, a multiple of 60,000). */
  minute: number;
  destination: string;
  /** `delivered`, or the error class: `throttled`, `payload_invalid`, `misconfigured`, `retryable`. */
  outcome: string;
  /** The HTTP status answered; 0 when none came (timeout, connection reset, a request not built). */
  status: number;
  /** Requests that ended this way. */
  requests: number;
  /** Outbox rows those requests carried. */
  deliveries: number;
}

/** A destination paused by a configuration or credential error, until an operator resumes it. */
export interface DestinationStateTable {
  destination: string;
  status: 'active' | 'paused';
  reason_json: string | null;
  updated_at: number;
}

/** The consent banner's anonymous counters, one row per UTC day (`YYYY-MM-DD`) and regime. */
export interface ConsentBannerCountTable {
  day: string;
  regime: string;
  impressions: number;
  accept_all: number;
  reject_all: number;
  custom: number;
}

/** One scheduled consent scan of the configured storefront pages (`docs/scanner.md`). */
export interface ScanTable {
  id: Serial;
  started_at: number;
  finished_at: number;
  /** `CC` or `CC-SUB` the scan posed as. */
  region: string;
  /** The URLs scanned, as a JSON array. */
  urls_json: string;
  /** Violations across all URLs. */
  violations: number;
  /** One CONTRACT.md scan result per URL, as a JSON array. */
  results_json: string;
  /** What was added and removed since the previous scan, as JSON `{ added, removed }`. */
  changes_json: string;
}

/** A dashboard sign-in. The cookie's value is never stored, only its SHA-256 (hex). */
export interface DashboardSessionTable {
  id_hash: string;
  /** What a signed-in page sends back as `X-Reclaim-CSRF` on every change it asks for. */
  csrf_token: string;
  created_at: number;
  expires_at: number;
}
