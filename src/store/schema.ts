import type { Generated } from 'kysely';

/**
 * The tables Reclaim keeps, as Kysely sees them. Times are epoch milliseconds; JSON columns hold
 * text (`*_json`) so both dialects read them the same way.
 */
export interface Database {
  leases: LeaseTable;
}

/** Who holds a named piece of exclusive work (e.g. the event processor) and until when. */
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export type Serial = Generated<number>;
