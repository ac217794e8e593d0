import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { DecisionKind } from './consent-mode.ts';

/** One row of `GET /admin/v1/consent/rates` (CONTRACT shape the dashboard reads). */
export interface ConsentRateDay {
  day: string;
  regime: string;
  impressions: number;
  decisions: number;
  acceptAll: number;
  rejectAll: number;
  custom: number;
}

const COLUMN = { acceptAll: 'accept_all', rejectAll: 'reject_all', custom: 'custom' } as const;

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The banner's anonymous counters (`consent_banner_counts`): no visitor identifier, only a number per day
 * and regime, so counting needs no consent of its own.
 */
export class BannerCounts {
  constructor(private readonly db: Kysely<Database>) {}

  /** The banner was about to be shown to a visitor without a current decision. */
  async impression(at: number, regime: string): Promise<void> {
    await this.bump(utcDay(at), regime, 'impressions');
  }

  /** A visitor decided in the banner. */
  async decision(at: number, regime: string, kind: DecisionKind): Promise<void> {
    await this.bump(utcDay(at), regime, COLUMN[kind]);
  }

  private async bump(
    day: string,
    regime: string,
    column: 'impressions' | 'accept_all' | 'reject_all' | 'custom',
  ): Promise<void> {
    await this.db
      .insertInto('consent_banner_counts')
      .values({ day, regime, impressions: 0, accept_all: 0, reject_all: 0, custom: 0, [column]: 1 })
      .onConflict((oc) =>
        oc
          .columns(['day', 'regime'])
          .doUpdateSet({ [column]: sql`consent_banner_counts.${sql.ref(column)} + 1` }),
      )
      .execute();
  }

  /** Counts per day and regime for the UTC days touching `[from, to)`, oldest first. */
  async rates(from: number, to: number): Promise<ConsentRateDay[]> {
    const rows = await this.db
      .selectFrom('consent_banner_counts')
      .selectAll()
      .where('day', '>=', utcDay(from))
      .where('day', '<=', utcDay(to - 1))
      .orderBy('day')
      .orderBy('regime')
      .execute();
    return rows.map((row) => {
      const acceptAll = Number(row.accept_all);
      const rejectAll = Number(row.reject_all);
      const custom = Number(row.custom);
      return {
        day: row.day,
        regime: row.regime,
        impressions: Number(row.impressions),
        decisions: acceptAll + rejectAll + custom,
        acceptAll,
        rejectAll,
        custom,
      };
    });
  }
}
