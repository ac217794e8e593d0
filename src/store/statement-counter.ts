import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/** What a statement does, by the Kysely node it was built from (or, for raw SQL, its first keyword). */
export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

/** Statements and transactions a store has run since its counter was last reset. */
export interface StatementCounts {
  /** Statements sent to the database, transaction control excluded. */
  statements: number;
  byKind: Record<StatementKind, number>;
  /** Transactions begun through Kysely (on SQLite inside a commit group, each is a savepoint). */
  transactions: number;
  commits: number;
  rollbacks: number;
}

const NODE_KINDS: Readonly<Record<string, StatementKind>> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
};

function kindOf(query: CompiledQuery): StatementKind {
  const kind = NODE_KINDS[query.query.kind];
  if (kind) return kind;
  if (query.query.kind !== 'RawNode') return 'other';
  const keyword = /^\s*(select|insert|update|delete)\b/i.exec(query.sql)?.[1]?.toLowerCase();
  return (keyword as StatementKind | undefined) ?? 'other';
}

/** The SQL with its placeholder lists folded: `in ($1, $2)` and `values (?, ?), (?, ?)` read as one shape. */
function shapeOf(sql: string): string {
  return sql.replace(/\$\d+/g, '?').replace(/\(\?(?:, \?)*\)(?:, \(\?(?:, \?)*\))*/g, '(…)');
}

const zero = (): StatementCounts => ({
  statements: 0,
  byKind: { select: 0, insert: 0, update: 0, delete: 0, other: 0 },
  transactions: 0,
  commits: 0,
  rollbacks: 0,
});

/**
 * Counts the SQL statements and transactions a store runs, for benchmarks that need figures this
 * machine's clock cannot give (`npm run bench:statements`). It counts at the driver, where statements are
 * executed: a Kysely plugin would see every query compiled, including those compiled only for their SQL
 * text (`BulkWriter`), and miss the compiled queries run directly; and `begin`/`commit` never pass through
 * plugins. Attach it with `openStore({ statementCounter })`; without one the store is unchanged.
 */
export class StatementCounter {
  #counts = zero();
  /** Statements by their SQL with value lists folded, so one statement's shape counts once whatever its rows. */
  readonly #shapes = new Map<string, number>();

  /** A copy of the counts so far; subtract two with `countsBetween` for one phase's share. */
  counts(): StatementCounts {
    return { ...this.#counts, byKind: { ...this.#counts.byKind } };
  }

  /** The `limit` most frequent statement shapes since the last reset, most frequent first. */
  topShapes(limit: number): { sql: string; count: number }[] {
    return [...this.#shapes]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([sql, count]) => ({ sql, count }));
  }

  reset(): void {
    this.#shapes.clear();
    this.#counts = zero();
  }

  /** `dialect` with every statement and transaction its driver runs counted here. */
  dialect(dialect: Dialect): Dialect {
    return {
      createAdapter: () => dialect.createAdapter(),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createIntrospector: (db) => dialect.createIntrospector(db),
      createDriver: () => this.#driver(dialect.createDriver()),
    };
  }

  #count(query: CompiledQuery): void {
    this.#counts.statements++;
    this.#counts.byKind[kindOf(query)]++;
    const shape = shapeOf(query.sql);
    this.#shapes.set(shape, (this.#shapes.get(shape) ?? 0) + 1);
  }

  #driver(inner: Driver): Driver {
    const counts = () => this.#counts;
    const count = (query: CompiledQuery) => this.#count(query);
    const unwrap = (connection: DatabaseConnection) =>
      connection instanceof CountedConnection ? connection.inner : connection;
    return {
      init: () => inner.init(),
      async acquireConnection() {
        return new CountedConnection(await inner.acquireConnection(), count);
      },
      async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
        await inner.beginTransaction(unwrap(connection), settings);
        counts().transactions++;
      },
      async commitTransaction(connection: DatabaseConnection) {
        await inner.commitTransaction(unwrap(connection));
        counts().commits++;
      },
      async rollbackTransaction(connection: DatabaseConnection) {
        await inner.rollbackTransaction(unwrap(connection));
        counts().rollbacks++;
      },
      ...(inner.savepoint && {
        savepoint: (connection, name, compile) => inner.savepoint!(unwrap(connection), name, compile),
      }),
      ...(inner.rollbackToSavepoint && {
        rollbackToSavepoint: (connection, name, compile) =>
          inner.rollbackToSavepoint!(unwrap(connection), name, compile),
      }),
      ...(inner.releaseSavepoint && {
        releaseSavepoint: (connection, name, compile) =>
          inner.releaseSavepoint!(unwrap(connection), name, compile),
      }),
      releaseConnection: (connection) => inner.releaseConnection(unwrap(connection)),
      destroy: () => inner.destroy(),
    };
  }
}

/** The counts of `later` minus those of `earlier`: what ran between the two readings. */
export function countsBetween(earlier: StatementCounts, later: StatementCounts): StatementCounts {
  const byKind = { ...later.byKind };
  for (const kind of Object.keys(byKind) as StatementKind[]) byKind[kind] -= earlier.byKind[kind];
  return {
    statements: later.statements - earlier.statements,
    byKind,
    transactions: later.transactions - earlier.transactions,
    commits: later.commits - earlier.commits,
    rollbacks: later.rollbacks - earlier.rollbacks,
  };
}

class CountedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly count: (query: CompiledQuery) => void,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.count(query);
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.count(query);
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}
