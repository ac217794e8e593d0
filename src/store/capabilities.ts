import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** The SQL dialects Reclaim stores its data in. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * What a dialect can do, by name, so code asks "can this database skip locked rows?" rather than
 * "is this PostgreSQL?".
 */
export interface DialectCapabilities {
  readonly dialect: DialectName;
  /** `SELECT … FOR UPDATE SKIP LOCKED`: several workers can claim disjoint rows at once. */
  readonly supportsSkipLocked: boolean;
  /** Several processes may write at the same time (otherwise one worker process does the work). */
  readonly supportsConcurrentWriters: boolean;
  /** Most bind parameters a single statement may carry; batches are split to stay under it. */
  readonly maxBindParameters: number;
  /**
   * Transactions commit in the order their auto-increment values were drawn, so a reader can follow
   * the event log with a cursor. When false, appends take `lockAppends` first.
   */
  readonly commitsInSequenceOrder: boolean;
}

export const CAPABILITIES: Record<DialectName, DialectCapabilities> = {
  sqlite: {
    dialect: 'sqlite',
    supportsSkipLocked: false,
    supportsConcurrentWriters: false,
    maxBindParameters: 32_766,
    commitsInSequenceOrder: true,
  },
  postgres: {
    dialect: 'postgres',
    supportsSkipLocked: true,
    supportsConcurrentWriters: true,
    maxBindParameters: 65_535,
    commitsInSequenceOrder: false,
  },
};

/**
 * The capabilities of the database behind a query handle (a `Kysely` or a transaction), for code that is
 * handed one rather than the `Store`.
 */
export function capabilitiesOf(db: Kysely<Database>): DialectCapabilities {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) return CAPABILITIES.sqlite;
  if (adapter instanceof PostgresAdapter) return CAPABILITIES.postgres;
  throw new Error(`Reclaim does not store data through ${adapter.constructor.name}`);
}
