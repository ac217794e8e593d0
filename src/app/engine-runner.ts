import { randomUUID } from 'node:crypto';
import type { Logger } from '../runtime/logger.ts';
import { acquireLease, releaseLease } from '../store/lease.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Engine } from './engine.ts';

/** How long the processing lease lasts without renewal; another process takes over after it. */
const LEASE_TTL = 30_000;
/** How long the loop sleeps when there is nothing to do and nobody wakes it. */
const IDLE_WAIT = 250;
/** How long the loop waits before looking again while it gives way to requests. */
const GIVE_WAY_WAIT = 25;
/** Most events per batch while requests are arriving: they wait for the connection while a batch runs. */
const BATCH_WHILE_REQUESTS = 1_000;
/** The oldest unprocessed event never waits longer than this (ms, engine clock) for requests to pause. */
export const MAX_PROCESSING_LAG = 30_000;
/** How often (engine clock) an idle loop deletes what has outlived its keeping period. */
const HOUSEKEEPING_EVERY = 3_600_000;

/**
 * Runs the engine in the background of `serve` or `worker`: processes the event log whenever there is
 * something to process, holding a lease so only one process does it at a time (PostgreSQL with several
 * workers). `stop()` lets the current batch finish.
 *
 * Ingest comes first: while requests keep arriving on the same thread (`requestsKeepComing`), processing
 * waits for a pause in them, so a burst is acknowledged at the collector's full speed and processed right
 * after it. Once the oldest unprocessed event has waited `MAX_PROCESSING_LAG`, processing takes turns with
 * requests again, in smaller batches, so sustained load never leaves the log further behind than that.
 */
export class EngineRunner {
  readonly #holder = `${process.pid}-${randomUUID()}`;
  #running = false;
  #holdsLease = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #housekeptAt = -Infinity;

  constructor(
    private readonly engine: Engine,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Called after work that may have queued deliveries. */
    private readonly afterWork: () => void = () => undefined,
    /** True while requests arrive on this thread without a pause (the server); processing gives way. */
    private readonly requestsKeepComing: () => boolean = () => false,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Asks the loop to look for work now (after an admin command). */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    await releaseLease(this.store, 'engine', this.#holder).catch(() => undefined);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let worked = false;
      let deferred = false;
      // Database calls resolve without ever reaching the event loop: without this turn, a backlog would
      // keep requests from even being read until it was processed.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        const held = await acquireLease(this.store, 'engine', this.#holder, LEASE_TTL, this.clock.now());
        if (held && !this.#holdsLease) this.engine.processor.forgetCachedState();
        this.#holdsLease = held;
        const busy = this.requestsKeepComing();
        deferred = held && busy && (await this.#givesWay());
        if (held && !deferred)
          worked = (await this.engine.processor.processBatch(busy ? BATCH_WHILE_REQUESTS : undefined)) > 0;
        if (!worked) worked = (await this.engine.pipeline.fireDue(this.clock.now())) > 0;
        if (!worked) await this.#housekeep();
        if (worked) this.afterWork();
      } catch (error) {
        this.log.error({ err: error }, 'event processing failed; retrying');
      }
      if (!worked && this.#running) await this.#sleep(deferred ? GIVE_WAY_WAIT : IDLE_WAIT);
    }
  }

  async #housekeep(): Promise<void> {
    const now = this.clock.now();
    if (now - this.#housekeptAt < HOUSEKEEPING_EVERY) return;
    this.#housekeptAt = now;
    const deleted = await this.engine.housekeep(now);
    if (deleted > 0) this.log.info({ deleted }, 'expired data-subject exports deleted');
  }

  /** While requests keep coming: the log is not too far behind, so processing waits for a pause. */
  async #givesWay(): Promise<boolean> {
    const since = await this.engine.processor.pendingSince();
    return since === undefined || this.clock.now() - since < MAX_PROCESSING_LAG;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        this.#wakeRequested = false;
        done();
      };
    });
  }
}
