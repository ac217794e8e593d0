import { sql, type Kysely, type Transaction } from 'kysely';
import { eventsAfter, firstReceivedAfter, lastSeq } from '../event-log/event-log.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { BatchContext } from './batch-context.ts';
import type { CommandHandler, LoggedEvent, Resolver, Stage, StageBatch } from './stage.ts';

export interface EventProcessorDeps<E> {
  store: Store;
  log: Logger;
  clock: Clock;
  /** The first step of every batch (identity resolution). */
  resolver: Resolver<E>;
  stages?: readonly Stage<E>[];
  commands?: readonly CommandHandler[];
  /** Most events per transaction (default `PROCESSOR_BATCH`). */
  batchSize?: number;
}

/**
 * Most events per transaction. A live store's sessions interleave: one shopper's page views, cart and
 * checkout lie thousands of events apart in the log, and each transaction writes the pages of every
 * profile, identifier and index entry it touched. The bigger the batch, the more of a session shares one
 * write — on a backlog, 4,000 per transaction resolved a fifth to a third more events per second than 1,000
 * (BENCHMARKS.md, Identity); past that the working set only grew.
 */
const PROCESSOR_BATCH = 4_000;

/** The processor's position in the event log, a row of `cursors`. */
export const PROCESSOR_CURSOR = 'event-processor';

/** The last event sequence number the processor has applied (0 before the first). */
export async function processorPosition(db: Kysely<Database>): Promise<number> {
  const cursor = await db
    .selectFrom('cursors')
    .select('position')
    .where('name', '=', PROCESSOR_CURSOR)
    .executeTakeFirst();
  return Number(cursor?.position ?? 0);
}

/**
 * How far the processor is behind the log, for `/metrics`: events after its cursor (the distance between
 * sequence numbers, so an upper bound where a rolled-back insert left a gap) and the receive time of the
 * oldest of them. Three primary-key lookups, whatever the size of the log.
 */
export async function processorBacklog(
  db: Kysely<Database>,
): Promise<{ behind: number; oldestReceivedAt: number | undefined }> {
  const cursor = await db
    .selectFrom('cursors')
    .select('position')
    .where('name', '=', PROCESSOR_CURSOR)
    .executeTakeFirst();
  const position = cursor?.position ?? 0;
  const head = await lastSeq(db);
  if (head === undefined || head <= Number(position)) return { behind: 0, oldestReceivedAt: undefined };
  return { behind: head - Number(position), oldestReceivedAt: await firstReceivedAfter(db, position) };
}

/** The processor's position, read inside the statement that reads the log after it. */
const afterCursor = sql<number>`coalesce((select position from cursors where name = ${PROCESSOR_CURSOR}), 0)`;

/** A unit of work told when its batch has committed. */
type Committable = { committed?(): void };

/**
 * Follows the event log with a cursor and runs every event through the resolver and the stages,
 * a batch per transaction: the cursor moves in the same transaction as the state it produced, so a crash
 * at any point replays the batch from the log and nothing is lost or applied twice.
 */
export class EventProcessor<E> {
  readonly #resolver: Resolver<E>;
  readonly #stages: readonly Stage<E>[];
  readonly #commands: readonly CommandHandler[];
  readonly #batchSize: number;
  /** Batches run one at a time in this process; across processes the engine lease decides who runs. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EventProcessorDeps<E>) {
    this.#resolver = deps.resolver;
    this.#stages = deps.stages ?? [];
    this.#commands = deps.commands ?? [];
    this.#batchSize = deps.batchSize ?? PROCESSOR_BATCH;
  }

  /**
   * Processes one batch of pending events, at most `limit` (and at most the batch size); returns how many
   * it processed.
   */
  async processBatch(limit = this.#batchSize): Promise<number> {
    return (await this.#nextBatch(Math.min(limit, this.#batchSize))).count;
  }

  /** One batch, and whether the log may hold more (the batch was full, or stopped at a command). */
  #nextBatch(limit = this.#batchSize): Promise<{ count: number; more: boolean }> {
    const run = this.#queue.then(() => this.#processBatch(limit));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #processBatch(limit: number): Promise<{ count: number; more: boolean }> {
    return this.deps.store.db
      .transaction()
      .execute(async (trx): Promise<{ count: number; more: boolean; units: Committable[] }> => {
        const events = await eventsAfter(trx, afterCursor, limit);
        if (events.length === 0) return { count: 0, more: false, units: [] };
        const commandAt = events.findIndex((e) => this.#commands.some((c) => c.handles(e.event)));
        if (commandAt === 0) {
          const { seq, event } = events[0]!;
          this.forgetCachedState();
          await this.#commands.find((c) => c.handles(event))!.run(trx, event);
          await this.#advance(trx, seq);
          return { count: 1, more: true, units: [] };
        }
        const batch = commandAt === -1 ? events : events.slice(0, commandAt);
        const units = await this.#processEvents(trx, batch);
        await this.#advance(trx, batch.at(-1)!.seq);
        return { count: batch.length, more: commandAt !== -1 || events.length === limit, units };
      })
      .then(
        (result) => {
          for (const unit of result.units) unit.committed?.();
          return { count: result.count, more: result.more };
        },
        (error: unknown) => {
          this.forgetCachedState();
          throw error;
        },
      );
  }

  /**
   * Forgets the state the resolver and the stages keep between batches. The runner calls it whenever it
   * (re)gains the lease: another process may have processed the log in between.
   */
  forgetCachedState(): void {
    this.#resolver.forget?.();
    for (const stage of this.#stages) stage.forget?.();
  }

  /**
   * The receive time of the oldest event not processed yet, or undefined when the log is drained. Timers
   * may only fire up to just before it: that event could be the purchase that cancels them.
   */
  async pendingSince(): Promise<number | undefined> {
    return firstReceivedAfter(this.deps.store.db, afterCursor);
  }

  /** Processes until the log is drained; returns the number of events processed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { count, more } = await this.#nextBatch();
      total += count;
      if (!more) return total;
    }
  }

  /** One batch through the resolver and every stage: begin each, apply each event in order, save each. */
  async #processEvents(trx: Transaction<Database>, batch: LoggedEvent[]): Promise<Committable[]> {
    const ctx = new BatchContext(trx, this.deps.clock);
    const resolved = await this.#resolver.begin(ctx, batch);
    const units: StageBatch<E>[] = [];
    for (const stage of this.#stages) units.push(await stage.begin(ctx, resolved.events));
    for (const event of resolved.events) for (const unit of units) unit.apply(event);
    await resolved.save();
    for (const unit of units) await unit.save();
    return [resolved, ...units];
  }

  async #advance(trx: Transaction<Database>, position: number): Promise<void> {
    await trx
      .insertInto('cursors')
      .values({ name: PROCESSOR_CURSOR, position })
      .onConflict((oc) => oc.column('name').doUpdateSet({ position }))
      .execute();
  }
}
