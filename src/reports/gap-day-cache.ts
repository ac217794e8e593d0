import type { Kysely } from 'kysely';
import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import type { Database } from '../store/schema.ts';
import { emptyTally, summarizeDays, triggerFacts, type GapDay, type GapTally } from './gap-tally.ts';

const DAY = 86_400_000;

/** A day as stored: sends as `[firedAt, stage, profileId, klaviyoLikelySaw]`, a month's worth parsed quickly. */
interface StoredDay {
  byStage: Record<JourneyStage, GapTally>;
  sends: [number, JourneyStage, string, 0 | 1][];
}

const stored = ({ byStage, sends }: GapDay): StoredDay => ({
  byStage,
  sends: sends.map((s) => [s.firedAt, s.stage, s.profileId, s.klaviyoLikelySaw ? 1 : 0]),
});

const loaded = (day: number, { byStage, sends }: StoredDay): GapDay => ({
  day,
  byStage,
  sends: sends.map(([firedAt, stage, profileId, saw]) => ({
    firedAt,
    stage,
    profileId,
    klaviyoLikelySaw: saw === 1,
  })),
});

/**
 * The gap report's per-day figures, kept in `gap_report_days` between requests. The database bumps a
 * day's version whenever one of its triggers, or an abandonment delivery of one, is written, changed or
 * deleted (the migration's triggers), so a cached day is current while it was computed from the version
 * it carries. A day found stale is recomputed from its triggers and deliveries before it is returned, and
 * stored for the next reader: a report is never older than the request that asked for it.
 */
export class GapDayCache {
  constructor(private readonly db: Kysely<Database>) {}

  /** The days `[first, end)` (UTC day numbers) that have had triggers, in order, computing stale ones. */
  async days(first: number, end: number): Promise<GapDay[]> {
    const rows = await this.db
      .selectFrom('gap_report_days')
      .select(['day', 'version', 'computed_version', 'tally_json'])
      .where('day', '>=', first)
      .where('day', '<', end)
      .orderBy('day')
      .execute();
    const days: GapDay[] = [];
    for (const row of rows) {
      const day = Number(row.day);
      if (row.tally_json !== null && Number(row.computed_version) === Number(row.version)) {
        days.push(loaded(day, JSON.parse(row.tally_json) as StoredDay));
        continue;
      }
      // The version was read before the inputs: a change made meanwhile leaves the day stale.
      const computed = summarizeDays(await triggerFacts(this.db, day * DAY, (day + 1) * DAY))[0] ?? {
        day,
        byStage: Object.fromEntries(STAGES.map((s) => [s, emptyTally()])) as Record<JourneyStage, GapTally>,
        sends: [],
      };
      days.push(computed);
      await this.db
        .updateTable('gap_report_days')
        .set({ computed_version: row.version, tally_json: JSON.stringify(stored(computed)) })
        .where('day', '=', row.day)
        .where('version', '=', row.version)
        .execute();
    }
    return days;
  }
}
