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

type Column = 'impressions' | 'accept_all' | 'reject_all' | 'custom';
const COLUMNS: readonly Column[] = ['impressions', 'accept_all', 'reject_all', 'custom'];

/** How long increments wait in memory before they are written together. */
export const FLUSH_AFTER_MS = 1_000;

/**
 * The banner's anonymous counters (`consent_banner_counts`): no visitor identifier, only a number per day
 * and regime, so counting needs no consent of its own. Increments gather in memory and are written
 * together at most a second later (and before every read, and at shutdown), so counting does not add a
 * write transaction to every page view and decision: a crash loses at most that second of counts, never a
 * ledger record.
 */
export class BannerCounts {
  #pending = new Map<string, { day: string; regime: string } & Record<Column, number>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Kysely<Database>) {}

  /** The banner was about to be shown to a visitor without a current decision. */
  impression(at: number, regime: string): void {
    this.bump(utcDay(at), regime, 'impressions');
  }

  /** A visitor decided in the banner. */
  decision(at: number, regime: string, kind: DecisionKind): void {
    this.bump(utcDay(at), regime, COLUMN[kind]);
  }

  private bump(day: string, regime: string, column: Column): void {
    const key = `${day}|${regime}`;
    const row = this.#pending.get(key) ?? {
      day,
      regime,
      impressions: 0,
      accept_all: 0,
      reject_all: 0,
      custom: 0,
    };
    row[column] += 1;
    this.#pending.set(key, row);
    this.#timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_AFTER_MS);
    this.#timer.unref?.();
  }

  /** Writes every pending increment (in one transaction); the next flush retries what a failed one held. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      const rows = [...this.#pending.values()];
      this.#pending.clear();
      if (rows.length === 0) return;
      try {
        await this.db.transaction().execute(async (trx) => {
          for (const row of rows) {
            await trx
              .insertInto('consent_banner_counts')
              .values(row)
              .onConflict((oc) =>
                oc
                  .columns(['day', 'regime'])
                  .doUpdateSet(
                    Object.fromEntries(
                      COLUMNS.map((c) => [c, sql`consent_banner_counts.${sql.ref(c)} + ${row[c]}`]),
                    ),
                  ),
              )
              .execute();
          }
        });
      } catch (error) {
        for (const row of rows) {
          const key = `${row.day}|${row.regime}`;
          const pending = this.#pending.get(key);
          if (pending) for (const c of COLUMNS) pending[c] += row[c];
          else this.#pending.set(key, row);
        }
        throw error;
      }
    });
    return this.#flushing;
  }

  /** Counts per day and regime for the UTC days touching `[from, to)`, oldest first. */
  async rates(from: number, to: number): Promise<ConsentRateDay[]> {
    await this.flush();
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
