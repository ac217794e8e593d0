import { readFileSync } from 'node:fs';
import { KlaviyoApiError, type KlaviyoApi } from '../../klaviyo/klaviyo-api.ts';
import { NATIVE_METRICS, PLACED_ORDER, RECEIVED_EMAIL } from '../../klaviyo/klaviyo-resources.ts';
import { setupKlaviyo } from '../../klaviyo/klaviyo-setup.ts';
import { sendTestEvents, TEST_EMAIL } from '../../klaviyo/klaviyo-test-event.ts';
import { ManualClock } from '../../runtime/clock.ts';
import type { NativeKlaviyoLine } from '../../simulation/simulate-shopper.ts';
import type { KlaviyoStandIn } from '../../stand-ins/klaviyo-stand-in.ts';

const DAY = 86_400_000;

/** The store's native abandonment flows, as Klaviyo's flow library builds them. */
const NATIVE_FLOWS = [
  { stage: 'browse', name: 'Browse Abandonment', alsoNot: [NATIVE_METRICS.cart] },
  { stage: 'cart', name: 'Abandoned Cart', alsoNot: [NATIVE_METRICS.checkout] },
  { stage: 'checkout', name: 'Abandoned Checkout', alsoNot: [] },
] as const;

/**
 * The demo's Klaviyo account before the month: the Shopify integration's metrics, and the store's
 * native Browse, Cart and Checkout abandonment flows, live, each with its template's flow filters (no
 * order since starting the flow, and not gone on to the next stage) and at most one entry a week.
 */
export function seedNativeAccount(standIn: KlaviyoStandIn, monthStart: number): void {
  for (const name of [PLACED_ORDER, RECEIVED_EMAIL, ...Object.values(NATIVE_METRICS)])
    standIn.seedMetric(name);
  const noneSinceStart = (metric: string) => ({
    conditions: [
      {
        type: 'profile-metric',
        metric_id: standIn.metrics.get(metric)!.id,
        measurement: 'count',
        measurement_filter: { type: 'numeric', operator: 'equals', value: 0 },
        timeframe_filter: { type: 'date', operator: 'flow-start' },
      },
    ],
  });
  for (const flow of NATIVE_FLOWS)
    standIn.seedFlow({
      name: flow.name,
      status: 'live',
      metric: NATIVE_METRICS[flow.stage],
      created: monthStart - 90 * DAY,
      profileFilter: {
        condition_groups: [PLACED_ORDER, ...flow.alsoNot].map(noneSinceStart),
      },
      reentryCriteria: { duration: 7, unit: 'day' },
    });
}

/**
 * Steps 2 and 3 of `docs/klaviyo.md` against the stand-in, then the marketer's review: test events make
 * the Reclaim metrics exist, `reclaim klaviyo setup` creates the drafts beside the native flows, and the
 * drafts are set live through the flows API (`PATCH /api/flows/{id}`). Returns what to print.
 */
export async function setUpReclaimFlows(api: KlaviyoApi, now: number): Promise<string[]> {
  await sendTestEvents(api, { email: TEST_EMAIL, runId: 'demo', now });
  const report = await setupKlaviyo(api);
  if (report.failure) throw new KlaviyoApiError(report.failure.kind, report.failure.message);
  const lines = [
    `Klaviyo (the stand-in): native flows ${report.native.map((n) => `"${n.name}" (${n.status ?? 'unknown'})`).join(', ')}.`,
    `reclaim klaviyo setup created ${report.created.filter((c) => c.kind === 'flow').length} draft flows beside them and ${report.created.filter((c) => c.kind === 'segment').length} Reclaim-only segments.`,
  ];
  const drafts = [...report.created, ...report.existing].filter((c) => c.kind === 'flow');
  for (const flow of drafts)
    await api.patch(`/api/flows/${flow.id}`, {
      data: { type: 'flow', id: flow.id, attributes: { status: 'live' } },
    });
  lines.push(
    `The marketer's review step: ${drafts.length} Reclaim flows set live as they are (first wait kept) through Klaviyo's flows API, before the month starts.`,
  );
  return lines;
}

/**
 * The replay clock that hands the stand-in, as it passes their times, the events Klaviyo's own tracking
 * recorded (`klaviyo-native.ndjson`), so the native flows run on the same clock as Reclaim's sends.
 */
export class NativeFeedClock extends ManualClock {
  /** In time order, each with its time parsed once. */
  readonly #events: { e: NativeKlaviyoLine; at: number }[];
  readonly #standIn: () => KlaviyoStandIn;
  #next = 0;

  /** `standIn` is called on the first event fed (the stand-in reads this clock). */
  constructor(file: string, standIn: () => KlaviyoStandIn) {
    super(0);
    this.#standIn = standIn;
    this.#events = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as NativeKlaviyoLine)
      .map((e) => ({ e, at: Date.parse(e.at) }))
      .sort((a, b) => a.at - b.at);
  }

  /** Events fed so far. */
  get fed(): number {
    return this.#next;
  }

  override advanceTo(time: number): void {
    super.advanceTo(time);
    this.feedUntil(this.now());
  }

  /** Feeds every event up to `time` (all of them with Infinity). */
  feedUntil(time: number): void {
    while (this.#next < this.#events.length && this.#events[this.#next]!.at <= time) {
      const { e } = this.#events[this.#next++]!;
      this.#standIn().trackNative({
        metric: e.metric,
        time: e.at,
        email: e.email,
        ...(e.phone_number !== undefined && { phone_number: e.phone_number }),
        uniqueId: e.uniqueId,
        ...(e.value !== undefined && { value: e.value }),
        properties: e.properties,
      });
    }
  }
}
