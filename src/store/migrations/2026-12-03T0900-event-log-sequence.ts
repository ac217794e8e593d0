import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * An event's `seq` must never be given out twice. SQLite hands a plain `INTEGER PRIMARY KEY` the largest
 * key plus one, so after an erasure removed the newest events (or all of them, on `shop/redact`) new
 * events took numbers at or below the processor's cursor and were never processed. `AUTOINCREMENT`
 * keeps the highest key ever used; the table is rebuilt with it, and its counter starts past both the
 * log and the cursor. PostgreSQL's sequence never goes back; it is only moved past the cursor too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`select setval(pg_get_serial_sequence('events', 'seq'),
      greatest((select coalesce(max(seq), 0) from events),
               (select coalesce(max(position), 0) from cursors), 1))`.execute(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    await sql`create table events_next (
      seq integer primary key autoincrement,
      id text not null unique,
      idempotency_key text not null,
      kind text not null,
      source text not null,
      event_time bigint not null,
      received_at bigint not null,
      body_json text not null)`.execute(trx);
    await sql`insert into events_next (seq, id, idempotency_key, kind, source, event_time, received_at, body_json)
      select seq, id, idempotency_key, kind, source, event_time, received_at, body_json from events`.execute(
      trx,
    );
    await sql`drop table events`.execute(trx);
    await sql`alter table events_next rename to events`.execute(trx);
    await sql`delete from sqlite_sequence where name = 'events'`.execute(trx);
    await sql`insert into sqlite_sequence (name, seq) values ('events',
      max((select coalesce(max(seq), 0) from events), (select coalesce(max(position), 0) from cursors)))`.execute(
      trx,
    );
  });
}

export async function down(): Promise<void> {
  // Going back to a key that can be reused would bring the defect back; the rebuilt table stays.
}
