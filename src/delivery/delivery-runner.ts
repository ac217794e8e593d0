import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config-schema.ts';
import type { EnabledDestination } from '../destinations/registry.ts';
import type { Clock, ManualClock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { CLAIM_LIMIT, Deliverer } from './deliverer.ts';
import { DestinationStates } from './destination-states.ts';
import { Outbox } from './outbox.ts';

/** How long a destination's loop sleeps when nothing is due and nobody wakes it (ms). */
const IDLE_WAIT = 250;
/**
 * Rounds in flight at once for one destination while a backlog lasts (a round took a full claim), so
 * the database work of one overlaps the partner's answer to another.
 */
const BACKLOG_ROUNDS = 3;

export interface DeliveryRunnerDeps {
  destinations: readonly EnabledDestination[];
  store: Store;
  clock: Clock;
  log: Logger;
  settings: Config['delivery'];
  /** Benchmarks and tests only: the HTTP client. */
  fetch?: typeof fetch;
  /** See `DelivererDeps.partnerClock`. */
  partnerClock?: Clock;
  /** See `DelivererDeps.metrics`. */
  metrics?: Metrics;
}

/**
 * The delivery workers of one process: a loop per enabled destination, so one partner's outage or rate
 * limit never holds up another. In replay the same deliverers run step by step on the replay clock.
 */
export class DeliveryRunner {
  readonly holder = `${process.pid}-${randomUUID()}`;
  readonly deliverers: Deliverer[];
  readonly #outbox: Outbox;
  #running = false;
  #loops: Promise<void>[] = [];
  #wakers = new Set<() => void>();

  constructor(private readonly deps: DeliveryRunnerDeps) {
    this.#outbox = new Outbox(deps.store);
    this.deliverers = deps.destinations.map(
      (destination) =>
        new Deliverer({
          destination,
          store: deps.store,
          clock: deps.clock,
          log: deps.log,
          settings: deps.settings,
          holder: this.holder,
          fetch: deps.fetch,
          partnerClock: deps.partnerClock,
          metrics: deps.metrics,
        }),
    );
  }

  get destinations(): string[] {
    return this.deliverers.map((d) => d.name);
  }

  /**
   * Starts the loops. Destinations paused by an earlier process are resumed first: restarting with new
   * credentials is how an operator fixes them.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    for (const name of this.destinations) {
      if (await DestinationStates.resume(this.deps.store.db, name, this.deps.clock.now()))
        this.deps.log.info({ destination: name }, 'destination resumed at start-up');
    }
    this.#loops = this.deliverers.map((d) => this.#loop(d));
  }

  /** Looks for due rows now (after a batch queued some). */
  wake(): void {
    for (const wake of this.#wakers) wake();
  }

  /** Lets current sends finish, then hands back every row still claimed. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    await Promise.all(this.#loops);
    await this.#outbox.release(this.holder, this.deps.clock.now()).catch(() => undefined);
  }

  /** Delivers everything due on the clock now, every destination at once, until nothing due is left. */
  async drain(): Promise<void> {
    await Promise.all(
      this.deliverers.map(async (d) => {
        let backlog = false;
        for (let taken = await rounds(d, false); taken.some((n) => n > 0); taken = await rounds(d, backlog))
          backlog = taken.some((n) => n >= CLAIM_LIMIT);
      }),
    );
  }

  /**
   * Replay's last step: runs the clock on from retry to retry until every delivery has been delivered,
   * skipped or dead-lettered (a paused destination's rows stay pending).
   */
  async settleAll(clock: ManualClock): Promise<void> {
    for (;;) {
      await this.drain();
      const active: string[] = [];
      for (const name of this.destinations)
        if (!(await DestinationStates.isPaused(this.deps.store.db, name))) active.push(name);
      const next = await this.#outbox.nextDueAt(active);
      if (next === undefined) return;
      clock.advanceTo(Math.max(clock.now(), next));
    }
  }

  async #loop(deliverer: Deliverer): Promise<void> {
    let backlog = false;
    while (this.#running) {
      let worked = false;
      try {
        const taken = await rounds(deliverer, backlog);
        worked = taken.some((n) => n > 0);
        backlog = taken.some((n) => n >= CLAIM_LIMIT);
      } catch (error) {
        this.deps.log.error({ err: error, destination: deliverer.name }, 'delivery loop failed; retrying');
      }
      if (!worked && this.#running) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_WAIT);
      this.#wakers.add(done);
    });
  }
}

/** One round, or several at once while a backlog lasts. */
function rounds(deliverer: Deliverer, backlog: boolean): Promise<number[]> {
  return Promise.all(Array.from({ length: backlog ? BACKLOG_ROUNDS : 1 }, () => deliverer.deliverDue()));
}
