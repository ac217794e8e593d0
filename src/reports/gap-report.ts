import type { Kysely } from 'kysely';
import { anonymousCountsByKind } from '../event-log/event-log.ts';
import { addAmounts } from '../event-log/money.ts';
import { rootsOf } from '../identity/identity-repository.ts';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { purchasesBetween } from '../journeys/journey-repository.ts';
import { suppressedJourneys } from '../journeys/suppressed-journeys.ts';
import type { Database } from '../store/schema.ts';
import { GapDayCache } from './gap-day-cache.ts';
import {
  addCounts,
  emptyTally,
  summarizeDays,
  triggerFacts,
  type AttributedRevenue,
  type GapDay,
  type GapSend,
  type GapTally,
} from './gap-tally.ts';

export interface GapReport {
  from: string;
  to: string;
  /** Orders this long after a send are credited to it (ms). */
  attributionWindowMs: number;
  total: GapTally;
  byStage: Record<JourneyStage, GapTally>;
  /** Per UTC day of the abandonment (when its trigger fired). */
  days: (GapTally & { day: string })[];
  /** Abandonments the store's rules held back (one per cart or checkout, a browse cap, a recent purchase). */
  suppressed: Record<string, number>;
  /**
   * Storefront behaviour from visitors who had not allowed tracking where the law asks first: counted
   * without identifiers, so no journey could be formed from it (RULES.md, enforcement at ingest).
   */
  untracked: { events: number; byKind: Record<string, number> };
}

export interface GapReportOptions {
  from: number;
  to: number;
  attributionWindow: number;
}

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function credit(revenue: AttributedRevenue, value: string | null, currency: string | null): void {
  revenue.orders++;
  if (value === null) return;
  const key = currency ?? 'unknown';
  const before = Object.hasOwn(revenue.byCurrency, key) ? revenue.byCurrency[key]! : '0';
  revenue.byCurrency[key] = addAmounts(before, value);
}

/**
 * Credits every order placed within the attribution window after a send to the latest send to the same
 * shopper before it, into that send's rows.
 */
async function creditOrders(
  db: Kysely<Database>,
  sent: readonly GapSend[],
  { from, to, attributionWindow }: GapReportOptions,
  rowsOf: (send: GapSend) => GapTally[],
): Promise<void> {
  const purchases = await purchasesBetween(db, from, to + attributionWindow);
  const roots = await rootsOf(db, [...sent.map((t) => t.profileId), ...purchases.map((p) => p.profileId)]);
  const sendsByProfile = new Map<string, GapSend[]>();
  for (const send of sent) {
    const root = roots.get(send.profileId)!;
    sendsByProfile.set(root, [...(sendsByProfile.get(root) ?? []), send]);
  }
  // One order can be recorded twice (the checkout completing and the order webhook): count it once.
  const orders = new Map<string, (typeof purchases)[number]>();
  for (const p of purchases) {
    const key = p.checkoutToken ? `checkout:${p.checkoutToken}` : p.orderKey;
    const seen = orders.get(key);
    if (!seen || (seen.value === null && p.value !== null)) orders.set(key, p);
  }
  for (const order of orders.values()) {
    const at = Number(order.at);
    const sends = sendsByProfile.get(roots.get(order.profileId)!) ?? [];
    const credited = sends.findLast((t) => t.firedAt < at && at - t.firedAt <= attributionWindow);
    if (!credited) continue;
    for (const row of rowsOf(credited)) {
      credit(row.revenue, order.value, order.currency);
      if (!credited.klaviyoLikelySaw) credit(row.recoveredRevenue, order.value, order.currency);
    }
  }
}

/** Builds the report from the period's days of abandonments (in order) and what lies beside them. */
async function assemble(db: Kysely<Database>, options: GapReportOptions, gapDays: readonly GapDay[]) {
  const { from, to, attributionWindow } = options;
  const total = emptyTally();
  const byStage = Object.fromEntries(STAGES.map((s) => [s, emptyTally()])) as Record<JourneyStage, GapTally>;
  const days = new Map<string, GapTally>();
  for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) days.set(dayOf(day), emptyTally());
  const sent: GapSend[] = [];
  for (const gapDay of gapDays) {
    const dayRow = days.get(dayOf(gapDay.day * DAY))!;
    for (const stage of STAGES) {
      const counts = gapDay.byStage[stage];
      for (const row of [total, byStage[stage], dayRow]) addCounts(row, counts);
    }
    sent.push(...gapDay.sends);
  }
  await creditOrders(db, sent, options, (send) => [
    total,
    byStage[send.stage],
    days.get(dayOf(send.firedAt))!,
  ]);

  const suppressed = await suppressedJourneys(db, from, to);

  const untracked = { events: 0, byKind: {} as Record<string, number> };
  for (const [kind, n] of await anonymousCountsByKind(db, dayOf(from), dayOf(to - 1))) {
    untracked.byKind[kind] = n;
    untracked.events += n;
  }

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    attributionWindowMs: attributionWindow,
    total,
    byStage,
    days: [...days].map(([day, tally]) => ({ day, ...tally })),
    suppressed,
    untracked,
  };
}

/**
 * The gap report, from what Reclaim observed between `from` and `to`: every abandonment it detected, whether
 * Klaviyo's own tracking likely saw it and why not, whether Reclaim sent it and why not, what neither
 * reached, the revenue of orders placed within the attribution window after a send, and the behaviour it
 * could only count because the visitor had not allowed tracking.
 *
 * Whole UTC days of abandonments come from the per-day cache (`GapDayCache`); the part-days at either end
 * of a period that does not start or end at midnight are counted from their triggers. Revenue is credited
 * on every request, so a merge of two profiles shows at once.
 */
export async function gapReport(db: Kysely<Database>, options: GapReportOptions): Promise<GapReport> {
  const { from, to } = options;
  const firstWhole = Math.ceil(from / DAY);
  const endWhole = Math.floor(to / DAY);
  if (firstWhole >= endWhole) return assemble(db, options, summarizeDays(await triggerFacts(db, from, to)));
  const [head, whole, tail] = [
    summarizeDays(await triggerFacts(db, from, firstWhole * DAY)),
    await new GapDayCache(db).days(firstWhole, endWhole),
    summarizeDays(await triggerFacts(db, endWhole * DAY, to)),
  ];
  return assemble(db, options, [...head, ...whole, ...tail]);
}

/**
 * The same report counted from every trigger of the period on each call, without the per-day cache: what
 * the cache must always agree with.
 */
export async function gapReportFromTriggers(
  db: Kysely<Database>,
  options: GapReportOptions,
): Promise<GapReport> {
  return assemble(db, options, summarizeDays(await triggerFacts(db, options.from, options.to)));
}
