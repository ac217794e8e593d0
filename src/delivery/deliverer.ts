import type { Config } from '../config/config-schema.ts';
import { DeliveryError, payloadInvalid } from '../destinations/kit/delivery-errors.ts';
import type {
  Action,
  ActionContext,
  DeliveryKind,
  RateLimit,
  SendReceipt,
} from '../destinations/kit/destination.ts';
import type { PartnerRequest } from '../destinations/kit/partner-request.ts';
import type { EnabledDestination } from '../destinations/registry.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { AttemptCounts, type Attempt } from './attempt-counts.ts';
import { checkAbandonments } from './abandonment-check.ts';
import { loadTriggers } from '../journeys/trigger-repository.ts';
import { DestinationStates } from './destination-states.ts';
import { Outbox, type ClaimedDelivery, type Settlement } from './outbox.ts';
import { createPartnerRequest } from './create-partner-request.ts';
import { PartnerRateLimit } from './partner-rate-limit.ts';
import { retryDelay } from './retry-delay.ts';

/** Identifies Reclaim to partners. */
export const USER_AGENT = 'reclaim/0.1';

/** How often a deliverer deletes partner answers past their retention (ms). */
const PRUNE_EVERY = 3_600_000;

/** Rows one round takes at a time. */
export const CLAIM_LIMIT = 1_000;

export interface DelivererDeps {
  destination: EnabledDestination;
  store: Store;
  clock: Clock;
  log: Logger;
  settings: Config['delivery'];
  /** Who holds the claimed rows (one per process). */
  holder: string;
  /** Benchmarks and tests only: the HTTP client. */
  fetch?: typeof fetch;
  /** Tests only: when a request stops waiting for its answer (see `PartnerRequestOptions.deadline`). */
  deadline?: (timeout: number) => AbortSignal;
  /**
   * The clock partners' rate limits run on, when it is not real time: a replay delivering to stand-ins
   * that follow the replay clock. A send that must wait is then rescheduled to when it may go, instead
   * of waiting in real time for a clock that only the replay moves.
   */
  partnerClock?: Clock;
  /** Counts partner answers, settled rows and their latency for `/metrics`; none when metrics are off. */
  metrics?: Metrics;
}

/** Rows that go to the partner in one request. */
interface Unit {
  kind: DeliveryKind;
  action: Action<unknown, unknown>;
  batch: boolean;
  items: { row: ClaimedDelivery; payload: unknown }[];
}

/**
 * Delivers one destination's outbox rows: claims what is due, checks abandonment triggers against
 * consent once more, sends through the destination's actions within its partner's rate limits and its
 * concurrency, and settles each row by the class of what happened — delivered, dead-lettered, retried
 * later, or the destination paused. A slow or failing destination only ever holds up itself.
 */
export class Deliverer {
  readonly name: string;
  readonly #outbox: Outbox;
  readonly #request: PartnerRequest;
  readonly #limits = new Map<RateLimit, PartnerRateLimit>();
  /** Rows claimed and not settled yet, for the metrics of their settlement. */
  readonly #claimed = new Map<string, ClaimedDelivery>();
  #paused = false;
  /** When answers older than the retention were last pruned (delivery clock). */
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: DelivererDeps) {
    const { definition } = deps.destination;
    this.name = definition.name;
    this.#outbox = new Outbox(deps.store);
    this.#request = createPartnerRequest({
      timeout: deps.settings.timeout,
      userAgent: USER_AGENT,
      headers: definition.headers?.(deps.destination.settings),
      classify: definition.classify,
      fetch: deps.fetch,
      deadline: deps.deadline,
      observe: deps.metrics
        ? (status, seconds) => deps.metrics!.partnerResponse(definition.name, status, seconds)
        : undefined,
    });
  }

  /** Sends what is due now, once; returns how many rows it took (0 when paused or nothing is due). */
  async deliverDue(): Promise<number> {
    const { store, clock, settings, holder } = this.deps;
    if (await DestinationStates.isPaused(store.db, this.name)) return 0;
    this.#paused = false;
    const now = clock.now();
    const rows = await this.#outbox.claim(this.name, now, CLAIM_LIMIT, holder, settings.claimTimeout);
    if (rows.length === 0) return 0;
    if (this.deps.metrics) for (const row of rows) this.#claimed.set(row.id, row);
    const ready: Unit['items'] = [];
    const settled: Settlement[] = [];
    const abandonments = rows.filter((r) => r.kind === 'abandonment');
    if (abandonments.length > 0) {
      const triggers = await loadTriggers(
        store.db,
        abandonments.map((r) => r.payload.triggerId),
      );
      const present = abandonments.filter((r) => triggers.has(r.payload.triggerId));
      for (const row of abandonments.filter((r) => !present.includes(r)))
        settled.push({ id: row.id, status: 'skipped', outcome: { reason: 'trigger_erased' } });
      const checks = await checkAbandonments(
        store.db,
        present.map((r) => triggers.get(r.payload.triggerId)!),
        now,
      );
      present.forEach((row, i) => {
        const check = checks[i]!;
        if (check.action === 'send') ready.push({ row, payload: check.send });
        else if (check.action === 'skip')
          settled.push({ id: row.id, status: 'skipped', outcome: { withheld: check.withheld } });
        else
          settled.push({ id: row.id, status: 'later', at: check.at, outcome: { withheld: check.withheld } });
      });
    }
    for (const row of rows) if (row.kind !== 'abandonment') ready.push({ row, payload: row.payload });
    await this.#settle(holder, settled, now);
    const units = this.#plan(ready);
    const queue = [...units];
    const lanes = Math.min(this.deps.destination.definition.concurrency, queue.length);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let unit = queue.shift(); unit; unit = queue.shift()) await this.#send(unit);
      }),
    );
    return rows.length;
  }

  /** Groups rows into requests: batches where the action has a batch endpoint and enough rows wait. */
  #plan(items: Unit['items']): Unit[] {
    const { definition, settings } = this.deps.destination;
    const units: Unit[] = [];
    for (const kind of ['abandonment', 'conversion', 'erasure', 'subscription'] as const) {
      const action: Action<unknown, unknown> | undefined = definition.actions[kind];
      const mine = items.filter((i) => i.row.kind === kind);
      if (mine.length === 0) continue;
      if (!action) {
        for (const item of mine)
          units.push({ kind, action: missingAction(kind), batch: false, items: [item] });
        continue;
      }
      const batch = action.batch;
      const batchable = batch ? mine.filter((i) => batch.accepts?.(i.payload) ?? true) : [];
      const batched = batch && batchable.length >= batch.minBacklog(settings) ? batchable : [];
      for (const item of mine)
        if (!batched.includes(item)) units.push({ kind, action, batch: false, items: [item] });
      for (let i = 0; i < batched.length; i += batch!.max)
        units.push({ kind, action, batch: true, items: batched.slice(i, i + batch!.max) });
    }
    return units;
  }

  #limit(limit: RateLimit): PartnerRateLimit {
    let found = this.#limits.get(limit);
    if (!found) {
      const { definition, settings } = this.deps.destination;
      const partnerClock = this.deps.partnerClock;
      found = partnerClock
        ? new PartnerRateLimit(limit, definition.rateShare?.(settings) ?? 1, () => partnerClock.now())
        : new PartnerRateLimit(limit, definition.rateShare?.(settings) ?? 1);
      this.#limits.set(limit, found);
    }
    return found;
  }

  async #send(unit: Unit): Promise<void> {
    const { clock, holder } = this.deps;
    const ids = unit.items.map((i) => i.row.id);
    if (this.#paused) {
      await this.#settle(
        holder,
        ids.map((id) => ({ id, status: 'later', at: clock.now() })),
        clock.now(),
      );
      return;
    }
    const limiter = this.#limit((unit.batch && unit.action.batch?.rateLimit) || unit.action.rateLimit);
    if (this.deps.partnerClock) {
      const wait = limiter.tryTake();
      if (wait > 0) {
        await this.#settle(
          holder,
          ids.map((id) => ({ id, status: 'later', at: clock.now() + wait })),
          clock.now(),
        );
        return;
      }
    } else await limiter.take();
    const ctx: ActionContext<unknown> = {
      settings: this.deps.destination.settings,
      request: this.#request,
      now: clock.now(),
    };
    let receipts: SendReceipt[];
    try {
      receipts = unit.batch
        ? await unit.action.batch!.perform(
            ctx,
            unit.items.map((i) => i.payload),
          )
        : [await unit.action.perform(ctx, unit.items[0]!.payload)];
    } catch (thrown) {
      await this.#failed(unit, thrown, limiter);
      return;
    }
    await this.#settle(
      holder,
      unit.items.map((item, i) => ({
        id: item.row.id,
        status: 'delivered',
        outcome: receipts[i] ?? {},
        forget: unit.kind === 'erasure' || unit.kind === 'subscription',
      })),
      clock.now(),
      { outcome: 'delivered', status: 0, deliveries: unit.items.length },
    );
  }

  /** Records what happened to claimed rows, and counts it for `/metrics`. */
  async #settle(
    holder: string,
    settlements: readonly Settlement[],
    now: number,
    attempt?: Attempt,
  ): Promise<void> {
    await this.#outbox.settle(holder, settlements, now, attempt && { destination: this.name, ...attempt });
    if (attempt && now - this.#prunedAt > PRUNE_EVERY) {
      this.#prunedAt = now;
      await AttemptCounts.prune(this.deps.store.db, now);
    }
    const metrics = this.deps.metrics;
    if (!metrics || settlements.length === 0) return;
    const rows = this.#claimed;
    const groups = new Map<string, { kind: string; outcome: string; count: number; queuedFor: number[] }>();
    for (const s of settlements) {
      const row = rows.get(s.id);
      const kind = row?.kind ?? 'unknown';
      const key = `${kind}\u0000${s.status}`;
      const group = groups.get(key) ?? { kind, outcome: s.status, count: 0, queuedFor: [] };
      group.count++;
      if (s.status === 'delivered' && row) group.queuedFor.push(Math.max(0, now - row.retryFrom) / 1000);
      groups.set(key, group);
      rows.delete(s.id);
    }
    for (const g of groups.values()) metrics.settled(this.name, g.kind, g.outcome, g.count, g.queuedFor);
  }

  /** Decides by the error's class; never by its message. */
  async #failed(unit: Unit, thrown: unknown, limiter: PartnerRateLimit): Promise<void> {
    const { clock, holder, log, store } = this.deps;
    const now = clock.now();
    const error =
      thrown instanceof DeliveryError
        ? thrown
        : payloadInvalid(`the request could not be built: ${(thrown as Error).message}`);
    const ids = unit.items.map((i) => i.row.id);
    const attempt: Attempt = { outcome: error.kind, status: error.status ?? 0, deliveries: ids.length };
    log.warn(
      { destination: this.name, kind: unit.kind, deliveries: ids.length, error: error.toJSON() },
      'delivery failed',
    );
    switch (error.kind) {
      case 'payload_invalid':
        // One bad event refuses a whole batch: send them one by one to find it.
        if (unit.batch && unit.items.length > 1) {
          await this.#settle(holder, [], now, attempt);
          for (const item of unit.items) await this.#send({ ...unit, batch: false, items: [item] });
          return;
        }
        await this.#settle(
          holder,
          ids.map((id) => ({ id, status: 'dead', error, attempted: true })),
          now,
          attempt,
        );
        return;
      case 'misconfigured':
        this.#paused = true;
        await DestinationStates.pause(store.db, this.name, error.toJSON(), now);
        log.error(
          { destination: this.name, error: error.toJSON() },
          'destination paused: fix its credentials or configuration, then resume it (reclaim deliveries resume)',
        );
        await this.#settle(
          holder,
          ids.map((id) => ({ id, status: 'later', at: now })),
          now,
          attempt,
        );
        return;
      case 'throttled': {
        const wait = Math.max(error.retryAfter ?? 1_000, 1_000);
        limiter.holdFor(wait);
        await this.#settle(
          holder,
          unit.items.map((i) => this.#retry(i.row, now + wait, error)),
          now,
          attempt,
        );
        return;
      }
      case 'retryable':
        await this.#settle(
          holder,
          unit.items.map((i) => this.#retry(i.row, now + retryDelay(i.row.attempts + 1), error)),
          now,
          attempt,
        );
        return;
    }
  }

  /** Tried again at `at`, unless that is past the retry horizon: then dead-lettered with the last error. */
  #retry(row: ClaimedDelivery, at: number, error: DeliveryError): Settlement {
    return at > row.retryFrom + this.deps.settings.retryHorizon
      ? { id: row.id, status: 'dead', error, attempted: true }
      : { id: row.id, status: 'retry', at, error };
  }
}

/** A row for an action this destination does not have (config changed since it was queued). */
function missingAction(kind: DeliveryKind): Action<unknown, unknown> {
  return {
    rateLimit: { perSecond: 1_000, perMinute: 60_000 },
    perform: () => Promise.reject(payloadInvalid(`this destination does not deliver ${kind}`)),
  };
}
