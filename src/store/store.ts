import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import { CAPABILITIES, type DialectCapabilities, type DialectName } from './capabilities.ts';
import type { Database } from './schema.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';
import type { StatementCounter } from './statement-counter.ts';

export interface OpenStoreOptions {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
  url: string;
  /** SQLite `synchronous` pragma; see `Config.sqliteSynchronous`. */
  sqliteSynchronous?: 'normal' | 'full';
  /** PostgreSQL schema to work in (created when missing); tests give each run its own. */
  schema?: string;
  /** Connection pool size on PostgreSQL. */
  poolSize?: number;
  /** Benchmarks only: counts every statement and transaction the store runs. */
  statementCounter?: StatementCounter;
}

/** Reclaim's storage: one Kysely handle over SQLite or PostgreSQL, and what that dialect can do. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly capabilities: DialectCapabilities;
  /** Where the data lives, without credentials (for logs and `readyz`). */
  readonly location: string;
  /** The PostgreSQL schema it works in (given, or the first of the search path); none on SQLite. */
  readonly schema?: string;
  /** SQLite only: many small transactions written to disk as one commit (`CommitGroup`). */
  readonly commitGroup?: CommitGroup;
  close(): Promise<void>;
}

/**
 * From `open()` to `commit()`, every transaction runs as a savepoint inside one outer transaction: each
 * still succeeds or rolls back on its own, but the disk sees one commit. Each SQLite commit writes every page
 * it touched to the log, so a run of thousands of small transactions that re-runs from its input after a
 * crash (a replay) spends most of its time committing. Never for writes that have been acknowledged to
 * someone. Call both between transactions, never inside one.
 */
export interface CommitGroup {
  open(): void;
  commit(): void;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Opens (and for SQLite creates) the database named by `url`. Does not migrate. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  return options.url.startsWith('sqlite:') ? openSqlite(options) : openPostgres(options);
}

/**
 * A fresh, empty database for one run (scoring a simulation, a benchmark) that disappears when the store
 * closes: a SQLite file in a temporary folder, or, for a `postgres://` URL, a new schema there.
 */
export async function openScratchStore(url = 'sqlite:'): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-'));
    const store = openSqlite({ url: `sqlite:${join(dir, 'reclaim.sqlite')}` });
    return {
      ...store,
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `reclaim_run_${randomBytes(6).toString('hex')}`;
  const store = await openPostgres({ url, schema, poolSize: 4 });
  return {
    ...store,
    async close() {
      try {
        await sql.raw(`drop schema if exists ${schema} cascade`).execute(store.db);
      } finally {
        await store.close();
      }
    },
  };
}

/** Page cache of the SQLite connection (KiB). */
const SQLITE_CACHE_KIB = 128 * 1024;

function openSqlite(options: OpenStoreOptions): Store {
  const path = options.url.slice('sqlite:'.length);
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  let database: SqliteDatabase.Database;
  try {
    database = new SqliteDatabase(memory ? ':memory:' : path);
  } catch (error) {
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(error as Error).message}`);
  }
  if (!memory) {
    database.pragma('journal_mode = WAL');
    database.pragma('wal_autocheckpoint = 0');
  }
  database.pragma(`synchronous = ${options.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // SQLite's default page cache is 2 MiB; a store's indexes outgrow that within days of traffic.
  database.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // Savepoints (a commit group's transactions) keep their undo pages in memory, not in temporary files.
  database.pragma('temp_store = MEMORY');
  const checkpointer = memory ? undefined : new SqliteCheckpointer(resolve(path));
  const connection = sqliteConnection(database, () => checkpointer?.afterCommit(database));
  const dialect = new SqliteDialect({ database: connection.database });
  const db = new Kysely<Database>({ dialect: options.statementCounter?.dialect(dialect) ?? dialect });
  return {
    db,
    commitGroup: connection.commitGroup,
    dialect: 'sqlite',
    capabilities: CAPABILITIES.sqlite,
    location: memory ? 'sqlite::memory:' : `sqlite:${resolve(path)}`,
    async close() {
      await db.destroy();
      await checkpointer?.close();
    },
  };
}

/** Prepared statements kept per SQLite connection; Kysely's driver would otherwise prepare each query anew. */
const STATEMENT_CACHE_SIZE = 256;

/** A statement Kysely's SQLite driver can run: `run` does whatever the transaction step needs. */
function step(run: () => SqliteDatabase.RunResult): SqliteDatabase.Statement {
  return { reader: false, run } as unknown as SqliteDatabase.Statement;
}

/**
 * The SQLite handle Kysely sees, with prepared statements reused by SQL text (least recently used evicted).
 * Preparing a 500-row INSERT costs more than running it. `afterCommit` runs after every commit, between
 * transactions. Kysely's `begin`, `commit` and `rollback` become savepoint steps while a commit group is
 * open.
 */
function sqliteConnection(
  database: SqliteDatabase.Database,
  afterCommit: () => void,
): { database: SqliteDialectConfig['database']; commitGroup: CommitGroup } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const begin = database.prepare('begin');
  const commit = database.prepare('commit');
  const savepoint = database.prepare('savepoint grouped');
  const release = database.prepare('release grouped');
  const rollbackTo = database.prepare('rollback to grouped');
  const committing = step(() => {
    const result = commit.run();
    afterCommit();
    return result;
  });
  let grouped = false;
  const inGroup = new Map<string, SqliteDatabase.Statement>([
    ['begin', step(() => savepoint.run())],
    ['commit', step(() => release.run())],
    ['rollback', step(() => (rollbackTo.run(), release.run()))],
  ]);
  const commitGroup: CommitGroup = {
    open() {
      begin.run();
      grouped = true;
    },
    commit() {
      grouped = false;
      committing.run();
    },
  };
  return {
    commitGroup,
    database: {
      close: () => database.close(),
      prepare(sql: string) {
        const groupStep = grouped ? inGroup.get(sql) : undefined;
        if (groupStep) return groupStep;
        if (sql === 'commit') return committing;
        let statement = cache.get(sql);
        if (statement) {
          cache.delete(sql);
        } else {
          statement = database.prepare(sql);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        }
        cache.set(sql, statement);
        return statement;
      },
    },
  };
}

const INT8_OID = 20;

const parseInt8AsNumber = ((oid: number, format?: 'text' | 'binary'): unknown =>
  oid === INT8_OID
    ? (value: string) => Number(value)
    : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'];

async function openPostgres(options: OpenStoreOptions): Promise<Store> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreUnavailableError(`invalid PostgreSQL schema name ${schema}`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Counters and epoch-millisecond times fit a double exactly; ids that may not are stored as text.
    types: { getTypeParser: parseInt8AsNumber },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next query.
  });
  // The schema it works in: the one given, or the first of the URL's search_path (`current_schema()`).
  let current: string | undefined;
  try {
    const client = await pool.connect();
    try {
      if (schema) await client.query(`create schema if not exists ${schema}`);
      current =
        schema ??
        (await client.query<{ s: string | null }>('select current_schema() as s')).rows[0]?.s ??
        undefined;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw new StoreUnavailableError(
      `cannot reach PostgreSQL at ${redactUrl(options.url)}: ${(error as Error).message}`,
    );
  }
  const dialect = new PostgresDialect({ pool });
  const db = new Kysely<Database>({ dialect: options.statementCounter?.dialect(dialect) ?? dialect });
  return {
    db,
    dialect: 'postgres',
    capabilities: CAPABILITIES.postgres,
    location: redactUrl(options.url) + (schema ? ` (schema ${schema})` : ''),
    ...(current ? { schema: current } : {}),
    close: () => db.destroy(),
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

/** True when the database answers a trivial query. */
export async function isReachable(store: Store): Promise<boolean> {
  try {
    await sql`select 1`.execute(store.db);
    return true;
  } catch {
    return false;
  }
}
