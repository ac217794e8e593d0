import type { Store } from '../store/store.ts';
import type { ScanChanges } from './scan-changes.ts';
import type { ScanResult } from './scan-result.ts';

/** One stored scheduled scan, as `GET /admin/v1/scans` answers it (times in epoch ms until serialised). */
export interface StoredScan {
  id: number;
  startedAt: number;
  finishedAt: number;
  region: string;
  urls: string[];
  violations: number;
  results: ScanResult[];
  changes: ScanChanges;
}

export type NewScan = Omit<StoredScan, 'id'>;

/** The `scans` table: the scanner owns it; others read through this. */
export class ScanRepository {
  constructor(private readonly store: Store) {}

  async insert(scan: NewScan): Promise<number> {
    const row = await this.store.db
      .insertInto('scans')
      .values({
        started_at: scan.startedAt,
        finished_at: scan.finishedAt,
        region: scan.region,
        urls_json: JSON.stringify(scan.urls),
        violations: scan.violations,
        results_json: JSON.stringify(scan.results),
        changes_json: JSON.stringify(scan.changes),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  /** The newest scans first, at most `limit`. */
  async list(limit: number): Promise<StoredScan[]> {
    const rows = await this.store.db
      .selectFrom('scans')
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      startedAt: Number(row.started_at),
      finishedAt: Number(row.finished_at),
      region: row.region,
      urls: JSON.parse(row.urls_json) as string[],
      violations: row.violations,
      results: JSON.parse(row.results_json) as ScanResult[],
      changes: JSON.parse(row.changes_json) as ScanChanges,
    }));
  }

  async latest(): Promise<StoredScan | undefined> {
    return (await this.list(1))[0];
  }
}
