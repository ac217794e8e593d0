import type { Kysely } from 'kysely';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { triggerCountsByDay } from '../journeys/trigger-repository.ts';
import type { Database } from '../store/schema.ts';
import { GapDayCache } from './gap-day-cache.ts';

const DAY = 86_400_000;

/** Abandonments (fired triggers) per UTC day and stage: the overview's "episodes by stage" chart. */
export interface StageDays {
  from: string;
  to: string;
  days: ({ day: string } & Record<JourneyStage, number>)[];
}

type Day = { day: string } & Record<JourneyStage, number>;

function emptyDays(from: number, to: number): Map<number, Day> {
  const days = new Map<number, Day>();
  for (let d = Math.floor(from / DAY); d * DAY < to; d++) {
    const empty = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<JourneyStage, number>;
    days.set(d, { day: new Date(d * DAY).toISOString().slice(0, 10), ...empty });
  }
  return days;
}

/** Counts the triggers fired in `[from, to)` into `days`, grouped by day and stage in the database. */
async function countTriggers(db: Kysely<Database>, from: number, to: number, days: Map<number, Day>) {
  if (from >= to) return;
  for (const row of await triggerCountsByDay(db, from, to)) {
    const day = days.get(row.day);
    if (day) day[row.stage] += row.count;
  }
}

const answer = (from: number, to: number, days: Map<number, Day>): StageDays => ({
  from: new Date(from).toISOString(),
  to: new Date(to).toISOString(),
  days: [...days.values()],
});

/**
 * Whole UTC days come from the gap report's per-day tally (`GapDayCache`), the same abandonments the gap
 * report counts; the part-days at either end of a period that does not start or end at midnight are
 * counted in the database. Days follow the gap report's: the trigger's `fired_at`, in UTC.
 */
export async function stageDays(db: Kysely<Database>, from: number, to: number): Promise<StageDays> {
  const days = emptyDays(from, to);
  const firstWhole = Math.ceil(from / DAY);
  const endWhole = Math.floor(to / DAY);
  if (firstWhole >= endWhole) {
    await countTriggers(db, from, to, days);
    return answer(from, to, days);
  }
  await countTriggers(db, from, firstWhole * DAY, days);
  for (const whole of await new GapDayCache(db).days(firstWhole, endWhole)) {
    const day = days.get(whole.day)!;
    for (const stage of STAGES) day[stage] += whole.byStage[stage].abandoned;
  }
  await countTriggers(db, endWhole * DAY, to, days);
  return answer(from, to, days);
}

/** The same figures counted from every trigger of the period: what the per-day tally must agree with. */
export async function stageDaysFromTriggers(
  db: Kysely<Database>,
  from: number,
  to: number,
): Promise<StageDays> {
  const days = emptyDays(from, to);
  await countTriggers(db, from, to, days);
  return answer(from, to, days);
}
