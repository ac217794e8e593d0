import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * The gap report's per-day figures, kept between requests (`src/reports/gap-day-cache.ts`). A day is the
 * UTC day number of a trigger's `fired_at`. The database itself bumps a day's `version` whenever a trigger
 * of that day, or an abandonment delivery of one, is written, changed or deleted, whichever code does it;
 * a cached tally is current while its `computed_version` equals `version`. Existing days are backfilled as
 * never computed, so the first report over them computes them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gap_report_days')
    .addColumn('day', 'bigint', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('computed_version', 'bigint')
    .addColumn('tally_json', 'text')
    .execute();
  await sql`insert into gap_report_days (day, version) select distinct fired_at / 86400000, 1 from triggers`.execute(
    db,
  );
  await db.schema.createIndex('purchases_at').on('purchases').column('at').execute();

  if (isPostgres(db)) {
    await sql`
      create function gap_report_day_touch(touched bigint) returns void language sql as $$
        insert into gap_report_days (day, version) values (touched, 1)
        on conflict (day) do update set version = gap_report_days.version + 1
      $$`.execute(db);
    await sql`
      create function gap_report_days_on_trigger() returns trigger language plpgsql as $$
      begin
        if tg_op in ('UPDATE', 'DELETE') then perform gap_report_day_touch(old.fired_at / 86400000); end if;
        if tg_op in ('INSERT', 'UPDATE') then perform gap_report_day_touch(new.fired_at / 86400000); end if;
        return null;
      end $$`.execute(db);
    await sql`
      create function gap_report_days_on_delivery() returns trigger language plpgsql as $$
      declare
        changed deliveries;
      begin
        if tg_op = 'DELETE' then changed := old; else changed := new; end if;
        if changed.kind = 'abandonment' then
          perform gap_report_day_touch(t.fired_at / 86400000) from triggers t where t.id = changed.subject_id;
        end if;
        return null;
      end $$`.execute(db);
    await sql`
      create trigger gap_report_days_triggers after insert or update or delete on triggers
      for each row execute function gap_report_days_on_trigger()`.execute(db);
    await sql`
      create trigger gap_report_days_deliveries_write after insert or delete on deliveries
      for each row execute function gap_report_days_on_delivery()`.execute(db);
    await sql`
      create trigger gap_report_days_deliveries_change after update of status, outcome_json on deliveries
      for each row when (old.status is distinct from new.status or old.outcome_json is distinct from new.outcome_json)
      execute function gap_report_days_on_delivery()`.execute(db);
    return;
  }

  const touch = (day: string) => `
    insert or ignore into gap_report_days (day, version) values (${day}, 0);
    update gap_report_days set version = version + 1 where day = ${day};`;
  const touchDelivery = (row: 'new' | 'old') => `
    insert or ignore into gap_report_days (day, version)
      select fired_at / 86400000, 0 from triggers where id = ${row}.subject_id;
    update gap_report_days set version = version + 1
      where day = (select fired_at / 86400000 from triggers where id = ${row}.subject_id);`;
  const statements = [
    `create trigger gap_report_days_trigger_insert after insert on triggers begin ${touch('new.fired_at / 86400000')} end`,
    `create trigger gap_report_days_trigger_update after update on triggers begin
       ${touch('old.fired_at / 86400000')} ${touch('new.fired_at / 86400000')} end`,
    `create trigger gap_report_days_trigger_delete after delete on triggers begin ${touch('old.fired_at / 86400000')} end`,
    `create trigger gap_report_days_delivery_insert after insert on deliveries
       when new.kind = 'abandonment' begin ${touchDelivery('new')} end`,
    `create trigger gap_report_days_delivery_update after update of status, outcome_json on deliveries
       when new.kind = 'abandonment'
         and (old.status is not new.status or old.outcome_json is not new.outcome_json)
       begin ${touchDelivery('new')} end`,
    `create trigger gap_report_days_delivery_delete after delete on deliveries
       when old.kind = 'abandonment' begin ${touchDelivery('old')} end`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop trigger gap_report_days_deliveries_change on deliveries`.execute(db);
    await sql`drop trigger gap_report_days_deliveries_write on deliveries`.execute(db);
    await sql`drop trigger gap_report_days_triggers on triggers`.execute(db);
    await sql`drop function gap_report_days_on_delivery()`.execute(db);
    await sql`drop function gap_report_days_on_trigger()`.execute(db);
    await sql`drop function gap_report_day_touch(bigint)`.execute(db);
  } else {
    for (const name of [
      'trigger_insert',
      'trigger_update',
      'trigger_delete',
      'delivery_insert',
      'delivery_update',
      'delivery_delete',
    ])
      await sql.raw(`drop trigger gap_report_days_${name}`).execute(db);
  }
  await db.schema.dropIndex('purchases_at').execute();
  await db.schema.dropTable('gap_report_days').execute();
}
