import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { DeliveryErrorKind } from '../destinations/kit/delivery-errors.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long partner answers are kept (ms): the dashboard shows the last 24 hours; a week more lets an
 * operator look back over a weekend. Rows are per destination, minute and outcome, so a destination keeps at
 * most 8 × 1,440 minutes × a handful of outcomes, however many deliveries it sends.
 */
export const ATTEMPT_RETENTION = 8 * 24 * HOUR;

/** One request's ending, as the delivery loop classed it. */
export interface Attempt {
  outcome: 'delivered' | DeliveryErrorKind;
  /** The HTTP status of a failure; 0 for a delivery, or when no answer came. */
  status: number;
  /** Outbox rows the request carried. */
  deliveries: number;
}

/** Partner answers over a span, as the dashboard shows them. */
export interface AttemptSummary {
  /** Rows delivered. */
  delivered: number;
  /** Rows delivered per minute, averaged over the span. */
  deliveredPerMinute: number;
  requests: number;
  /** Requests answered 429 (or the partner's own "slow down" code). */
  throttled: number;
  /** Requests refused with another 4xx. */
  clientErrors: number;
  /** Requests answered 5xx. */
  serverErrors: number;
  /** Requests that got no answer: timeouts, connection resets. */
  noAnswer: number;
}

/**
 * Partner answers per destination and minute, written in the transaction that settles the rows they
 * carried, so they survive a restart (the `/metrics` counters do not).
 */
export const AttemptCounts = {
  async add(trx: Transaction<Database>, destination: string, attempt: Attempt, now: number): Promise<void> {
    await trx
      .insertInto('delivery_attempt_counts')
      .values({
        minute: Math.floor(now / MINUTE) * MINUTE,
        destination,
        outcome: attempt.outcome,
        status: attempt.status,
        requests: 1,
        deliveries: attempt.deliveries,
      })
      .onConflict((oc) =>
        oc.columns(['minute', 'destination', 'outcome', 'status']).doUpdateSet((eb) => ({
          requests: eb('delivery_attempt_counts.requests', '+', 1),
          deliveries: eb('delivery_attempt_counts.deliveries', '+', eb.ref('excluded.deliveries')),
        })),
      )
      .execute();
  },

  /** Deletes what is older than `ATTEMPT_RETENTION` before `now`. */
  async prune(db: Kysely<Database>, now: number): Promise<void> {
    await db
      .deleteFrom('delivery_attempt_counts')
      .where('minute', '<', now - ATTEMPT_RETENTION)
      .execute();
  },

  /** Each destination's answers in the hour and the 24 hours before `now`. */
  async recent(
    db: Kysely<Database>,
    now: number,
  ): Promise<Map<string, { lastHour: AttemptSummary; last24Hours: AttemptSummary }>> {
    const rows = await db
      .selectFrom('delivery_attempt_counts')
      .select(['minute', 'destination', 'outcome', 'status', 'requests', 'deliveries'])
      .where('minute', '>', now - 24 * HOUR)
      .where('minute', '<=', now)
      .execute();
    const found = new Map<string, { lastHour: AttemptSummary; last24Hours: AttemptSummary }>();
    for (const row of rows) {
      let entry = found.get(row.destination);
      if (!entry) {
        entry = { lastHour: emptySummary(), last24Hours: emptySummary() };
        found.set(row.destination, entry);
      }
      add(entry.last24Hours, row);
      if (Number(row.minute) > now - HOUR) add(entry.lastHour, row);
    }
    for (const entry of found.values()) {
      entry.lastHour.deliveredPerMinute = round(entry.lastHour.delivered / 60);
      entry.last24Hours.deliveredPerMinute = round(entry.last24Hours.delivered / 1_440);
    }
    return found;
  },
};

export const emptySummary = (): AttemptSummary => ({
  delivered: 0,
  deliveredPerMinute: 0,
  requests: 0,
  throttled: 0,
  clientErrors: 0,
  serverErrors: 0,
  noAnswer: 0,
});

function add(
  summary: AttemptSummary,
  row: { outcome: string; status: number; requests: number; deliveries: number },
): void {
  const requests = Number(row.requests);
  const status = Number(row.status);
  summary.requests += requests;
  if (row.outcome === 'delivered') summary.delivered += Number(row.deliveries);
  else if (row.outcome === 'throttled') summary.throttled += requests;
  else if (status >= 500) summary.serverErrors += requests;
  else if (status >= 400) summary.clientErrors += requests;
  else summary.noAnswer += requests;
}

const round = (n: number) => Math.round(n * 100) / 100;
