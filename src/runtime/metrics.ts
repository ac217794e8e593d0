import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where an ingest request came in: the Segment-compatible API, the web pixel, Shopify webhooks, consent. */
export type IngestSource = 'segment' | 'pixel' | 'shopify_webhook' | 'consent';

/** What a partner answered, as `reclaim_partner_responses_total` counts it. */
export type PartnerResponseClass = '2xx' | '4xx' | '429' | '5xx' | 'network';

/** What the storefront banner's visitor chose. */
export type BannerDecision = 'acceptAll' | 'rejectAll' | 'custom';

/** The figures the database gauges are set from at each scrape (see `docs/operations.md`). */
export interface DatabaseFigures {
  /** Events stored but not processed yet, and the receive time (ms) of the oldest of them. */
  processor: { behind: number; oldestReceivedAt: number | undefined };
  /** Open journeys, and those of them whose abandonment time has passed. */
  journeys: { open: number; due: number };
  /** Outbox rows waiting (`pending`) or dead-lettered (`dead`), per destination. */
  outbox: { destination: string; state: 'pending' | 'dead'; rows: number }[];
  /** Records in the consent ledger (the chain's head position). */
  ledgerRecords: number;
}

/**
 * Partner requests take from a few ms (a stand-in on loopback) to the delivery timeout (10 s by default);
 * a trigger waits in the outbox from milliseconds to the retry horizon (hours).
 */
const REQUEST_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const QUEUE_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 24 * 3_600];

/**
 * The Prometheus metrics of one Reclaim process, in a registry of its own (several servers in one test
 * process do not share counters). Counters count what this process did since it started; the database
 * gauges are set at scrape time from `DatabaseFigures`, so every process reports the same shared state.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly #ingest = new Counter({
    name: 'reclaim_ingest_requests_total',
    help: 'Ingest requests by source and outcome; refused ones carry their error code',
    labelNames: ['source', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  readonly #triggers = new Counter({
    name: 'reclaim_triggers_fired_total',
    help: 'Abandonment triggers fired by this process, by stage',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  readonly #partnerResponses = new Counter({
    name: 'reclaim_partner_responses_total',
    help: 'Partner API answers by destination and class (2xx, 4xx, 429, 5xx, network)',
    labelNames: ['destination', 'class'] as const,
    registers: [this.registry],
  });
  readonly #partnerDuration = new Histogram({
    name: 'reclaim_partner_request_duration_seconds',
    help: 'Time from sending a request to a partner to reading its whole answer',
    labelNames: ['destination'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly #deliveryLatency = new Histogram({
    name: 'reclaim_delivery_latency_seconds',
    help: 'Time from a delivery being queued (or retried by an operator) to the partner accepting it',
    labelNames: ['destination', 'kind'] as const,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly #settled = new Counter({
    name: 'reclaim_deliveries_total',
    help: 'Outbox rows settled by this process: delivered, skipped, retry, later or dead',
    labelNames: ['destination', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #deadLetters = new Counter({
    name: 'reclaim_dead_letters_total',
    help: 'Outbox rows this process dead-lettered',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });
  readonly #bannerImpressions = new Counter({
    name: 'reclaim_banner_impressions_total',
    help: 'Consent banners shown, by consent regime',
    labelNames: ['regime'] as const,
    registers: [this.registry],
  });
  readonly #bannerDecisions = new Counter({
    name: 'reclaim_banner_decisions_total',
    help: 'Consent banner choices, by consent regime and decision (acceptAll, rejectAll, custom)',
    labelNames: ['regime', 'decision'] as const,
    registers: [this.registry],
  });

  readonly #behind = new Gauge({
    name: 'reclaim_processor_lag_events',
    help: 'Events stored but not yet processed',
    registers: [this.registry],
  });
  readonly #lagSeconds = new Gauge({
    name: 'reclaim_processor_lag_seconds',
    help: 'Age of the oldest event not yet processed; 0 when the log is drained',
    registers: [this.registry],
  });
  readonly #journeysOpen = new Gauge({
    name: 'reclaim_journeys_open',
    help: 'Journeys that may still be abandoned',
    registers: [this.registry],
  });
  readonly #journeysDue = new Gauge({
    name: 'reclaim_journeys_due',
    help: 'Open journeys whose abandonment time has passed but that have not fired yet',
    registers: [this.registry],
  });
  readonly #outbox = new Gauge({
    name: 'reclaim_outbox_rows',
    help: 'Outbox rows waiting to be sent (pending) or dead-lettered (dead), by destination',
    labelNames: ['destination', 'state'] as const,
    registers: [this.registry],
  });
  readonly #ledger = new Gauge({
    name: 'reclaim_consent_ledger_records',
    help: 'Records in the consent ledger',
    registers: [this.registry],
  });

  /** `process`: also Node's own metrics (CPU, memory, event-loop delay, handles) with the `reclaim_` prefix. */
  constructor(options: { process?: boolean } = {}) {
    if (options.process ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'reclaim_' });
  }

  /** An ingest request was answered: 2xx is accepted, anything else refused with the API's error code. */
  ingest(source: IngestSource, status: number, code: string | undefined): void {
    if (status < 400) this.#ingest.inc({ source, outcome: 'accepted', code: '' });
    else this.#ingest.inc({ source, outcome: 'refused', code: code ?? `HTTP_${status}` });
  }

  triggerFired(stage: string): void {
    this.#triggers.inc({ stage });
  }

  /** A partner answered with `status` (or the request failed on the network) after `seconds`. */
  partnerResponse(destination: string, status: number | 'network', seconds: number): void {
    this.#partnerResponses.inc({ destination, class: responseClass(status) });
    if (status !== 'network') this.#partnerDuration.observe({ destination }, seconds);
  }

  /** Outbox rows were settled; `queuedFor` is how long each delivered row waited, in seconds. */
  settled(destination: string, kind: string, outcome: string, count: number, queuedFor: number[] = []): void {
    this.#settled.inc({ destination, kind, outcome }, count);
    if (outcome === 'dead') this.#deadLetters.inc({ destination }, count);
    for (const seconds of queuedFor) this.#deliveryLatency.observe({ destination, kind }, seconds);
  }

  bannerImpression(regime: string): void {
    this.#bannerImpressions.inc({ regime });
  }

  bannerDecision(regime: string, decision: BannerDecision): void {
    this.#bannerDecisions.inc({ regime, decision });
  }

  /** Sets the database gauges from figures read at scrape time; `now` in epoch ms. */
  setDatabaseFigures(figures: DatabaseFigures, now: number): void {
    this.#behind.set(figures.processor.behind);
    const oldest = figures.processor.oldestReceivedAt;
    this.#lagSeconds.set(oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000);
    this.#journeysOpen.set(figures.journeys.open);
    this.#journeysDue.set(figures.journeys.due);
    this.#outbox.reset();
    for (const row of figures.outbox)
      this.#outbox.set({ destination: row.destination, state: row.state }, row.rows);
    this.#ledger.set(figures.ledgerRecords);
  }

  /** The text exposition format Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function responseClass(status: number | 'network'): PartnerResponseClass {
  if (status === 'network') return 'network';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  return '2xx';
}

/** What the storefront banner reports: one impression per banner shown, one decision per choice. */
export interface BannerMetrics {
  onImpression(regime: string): void;
  onDecision(regime: string, decision: BannerDecision): void;
}

/**
 * The banner's hook into `/metrics`. Without metrics (`RECLAIM_METRICS_ENABLED=false`) it does nothing,
 * so the banner's code calls it unconditionally.
 */
export function bannerMetrics(metrics: Metrics | undefined): BannerMetrics {
  return {
    onImpression: (regime) => metrics?.bannerImpression(regime),
    onDecision: (regime, decision) => metrics?.bannerDecision(regime, decision),
  };
}
