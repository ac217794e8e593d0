import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BulkWriter } from '../../src/store/bulk-writer.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import type { Database } from '../../src/store/schema.ts';
import { countsBetween, StatementCounter } from '../../src/store/statement-counter.ts';
import { openStore, type Store } from '../../src/store/store.ts';

let store: Store;
let counter: StatementCounter;

beforeEach(async () => {
  counter = new StatementCounter();
  store = await openStore({ url: 'sqlite::memory:', statementCounter: counter });
  await migrateToLatest(store);
  counter.reset();
});

afterEach(async () => {
  await store.close();
});

const writer = new BulkWriter<Database['profile_events']>(['profile_id', 'event_seq'], (trx, rows) =>
  trx
    .insertInto('profile_events')
    .values(rows)
    .onConflict((oc) => oc.doNothing()),
);

it('counts each statement the database runs, by kind', async () => {
  await store.db.insertInto('profile_events').values({ profile_id: 'pr_a', event_seq: 1 }).execute();
  await store.db.insertInto('profile_events').values({ profile_id: 'pr_a', event_seq: 2 }).execute();
  await store.db.selectFrom('profile_events').selectAll().execute();
  await store.db.updateTable('profile_events').set({ event_seq: 3 }).where('event_seq', '=', 2).execute();
  await store.db.deleteFrom('profile_events').where('event_seq', '=', 3).execute();
  await sql`select count(*) from profile_events`.execute(store.db);
  await sql`pragma user_version`.execute(store.db);

  expect(counter.counts()).toEqual({
    statements: 7,
    byKind: { select: 2, insert: 2, update: 1, delete: 1, other: 1 },
    transactions: 0,
    commits: 0,
    rollbacks: 0,
  });
});

it('counts the statements a bulk writer runs, not the queries it compiles', async () => {
  // As many rows as SQLite's bind parameters hold at two columns a row, then one more.
  const full = Math.floor(store.capabilities.maxBindParameters / 2);
  const rows = Array.from({ length: full + 1 }, (_, i) => ({ profile_id: 'pr_b', event_seq: i }));
  await store.db.transaction().execute((trx) => writer.write(trx, rows));
  await store.db.transaction().execute((trx) => writer.write(trx, rows));

  // A full statement, then 1 row: two statements per write, whether compiled anew or reused.
  expect(counter.counts()).toMatchObject({
    statements: 4,
    byKind: { insert: 4 },
    transactions: 2,
    commits: 2,
    rollbacks: 0,
  });
  const stored = await store.db.selectFrom('profile_events').select('event_seq').execute();
  expect(stored).toHaveLength(full + 1);
});

it('counts transactions, rolled back ones too, apart from their statements', async () => {
  const before = counter.counts();
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto('profile_events').values({ profile_id: 'pr_c', event_seq: 1 }).execute();
    await trx.selectFrom('profile_events').selectAll().execute();
  });
  await expect(
    store.db.transaction().execute(async (trx) => {
      await trx.insertInto('profile_events').values({ profile_id: 'pr_c', event_seq: 2 }).execute();
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');

  expect(countsBetween(before, counter.counts())).toEqual({
    statements: 3,
    byKind: { select: 1, insert: 2, update: 0, delete: 0, other: 0 },
    transactions: 2,
    commits: 1,
    rollbacks: 1,
  });
  expect(await store.db.selectFrom('profile_events').selectAll().execute()).toHaveLength(1);
});

it('counts a commit group’s transactions as it counts any other', async () => {
  store.commitGroup?.open();
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto('profile_events').values({ profile_id: 'pr_d', event_seq: 1 }).execute();
  });
  store.commitGroup?.commit();

  expect(counter.counts()).toMatchObject({ statements: 1, transactions: 1, commits: 1 });
});

it('groups statements by shape, whatever their rows and parameters, most frequent first', async () => {
  await store.db.insertInto('profile_events').values({ profile_id: 'pr_c', event_seq: 1 }).execute();
  await store.db
    .insertInto('profile_events')
    .values([
      { profile_id: 'pr_c', event_seq: 2 },
      { profile_id: 'pr_c', event_seq: 3 },
    ])
    .execute();
  await store.db.selectFrom('profile_events').selectAll().where('event_seq', 'in', [1, 2, 3]).execute();

  expect(counter.topShapes(5)).toEqual([
    { sql: 'insert into "profile_events" ("profile_id", "event_seq") values (…)', count: 2 },
    { sql: 'select * from "profile_events" where "event_seq" in (…)', count: 1 },
  ]);
});
