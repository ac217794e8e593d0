import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import pg from 'pg';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';

/** PostgreSQL for the storage suite; when unset, the PostgreSQL half is skipped and says so. */
export const POSTGRES_URL = process.env.RECLAIM_TEST_POSTGRES_URL;

export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty database of this dialect; each call is isolated from every other. */
  open(): Promise<Store>;
}

const createdSchemas: string[] = [];

/** A fresh, migrated, empty in-memory SQLite database. */
export async function openTestSqlite(): Promise<Store> {
  const store = await openStore({ url: 'sqlite::memory:' });
  await migrateToLatest(store);
  return store;
}

const sqlite: TestDialect = { name: 'sqlite', open: openTestSqlite };

const postgres: TestDialect = {
  name: 'postgres',
  async open() {
    const schema = `reclaim_test_${randomBytes(6).toString('hex')}`;
    createdSchemas.push(schema);
    const store = await openStore({ url: POSTGRES_URL!, schema, poolSize: 4 });
    await migrateToLatest(store);
    return withSchemaCleanup(store, schema);
  },
};

/** Drops the run's schema when the store closes, so runs never collide nor leave data behind. */
function withSchemaCleanup(store: Store, schema: string): Store {
  return {
    ...store,
    async close() {
      await store.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

let warned = false;

/**
 * Runs `suite` once per dialect: SQLite always, PostgreSQL when `RECLAIM_TEST_POSTGRES_URL` is set.
 * A skipped PostgreSQL run shows up as a skipped suite and a warning line, never silently.
 */
export function describeEachDialect(title: string, suite: (dialect: TestDialect) => void): void {
  describe(`${title} [sqlite]`, () => suite(sqlite));
  if (POSTGRES_URL) {
    if (!warned) {
      warned = true;
      console.info(
        `PostgreSQL half of the storage suite RUNS against ${POSTGRES_URL.replace(/:[^:@/]*@/, ':***@')}`,
      );
    }
    describe(`${title} [postgres]`, () => suite(postgres));
  } else {
    if (!warned) {
      warned = true;
      console.warn('PostgreSQL half of the storage suite SKIPPED: RECLAIM_TEST_POSTGRES_URL is not set');
    }
    describe.skip(`${title} [postgres] (skipped: RECLAIM_TEST_POSTGRES_URL is not set)`, () =>
      suite(postgres));
  }
}

/** A PostgreSQL URL whose connections work in a new, empty schema; `drop()` removes it. */
export async function createPostgresSchemaUrl(): Promise<{
  url: string;
  schema: string;
  drop: () => Promise<void>;
}> {
  const schema = `reclaim_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(POSTGRES_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
