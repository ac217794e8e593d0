import type { Transaction } from 'kysely';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { LoggedEvent } from '../event-log/event-log.ts';
import type { Database } from '../store/schema.ts';
import type { BatchContext } from './batch-context.ts';

export type { LoggedEvent };

/**
 * One stage's work on one batch, opened by `Stage.begin`: `apply` runs per event in log order and only
 * computes; `save` writes what the batch changed, in the batch's transaction. `committed` runs once that
 * transaction has committed, for state the stage keeps warm between batches.
 */
export interface StageBatch<E> {
  apply(event: E): void;
  save(): Promise<void>;
  committed?(): void;
}

/**
 * A step of processing (identity, consent ledger, journeys, conversions). `begin` loads what the stage
 * needs for all the batch's events at once and answers the batch's unit of work; the state of one batch
 * lives in that unit, never on the stage. `forget` drops what a stage keeps between batches: the batch
 * failed, a command changed the tables, or another process may have written them (a lease changed hands).
 */
export interface Stage<E> {
  readonly name: string;
  begin(ctx: BatchContext, events: readonly E[]): Promise<StageBatch<E>>;
  forget?(): void;
}

/** The resolver's unit of work: the batch's events as the stages see them, saved before the stages'. */
export interface ResolvedBatch<E> {
  events: E[];
  save(): Promise<void>;
  committed?(): void;
}

/**
 * The first step of every batch: turns logged events into the events the stages see (identity
 * resolution).
 */
export interface Resolver<E> {
  begin(ctx: BatchContext, events: readonly LoggedEvent[]): Promise<ResolvedBatch<E>>;
  forget?(): void;
}

/**
 * Work that must see the database as it is, alone in its transaction: erasing a shopper, exporting one.
 * A batch stops before such an event, commits, runs the command, and goes on.
 */
export interface CommandHandler {
  handles(event: CanonicalEvent): boolean;
  run(trx: Transaction<Database>, event: CanonicalEvent): Promise<void>;
}
