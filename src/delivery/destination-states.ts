import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface DestinationState {
  destination: string;
  status: 'active' | 'paused';
  /** Why it was paused: the partner's answer, as an error class, status and message. */
  reason?: unknown;
  updatedAt?: number;
}

/**
 * Destinations paused by a credential or configuration error. While paused, a destination's rows wait
 * in the outbox; an operator resumes it (`reclaim deliveries resume`, or restarting with new config).
 */
export const DestinationStates = {
  async pause(db: Kysely<Database>, destination: string, reason: unknown, now: number): Promise<void> {
    await db
      .insertInto('destination_states')
      .values({ destination, status: 'paused', reason_json: JSON.stringify(reason), updated_at: now })
      .onConflict((oc) =>
        oc
          .column('destination')
          .doUpdateSet({ status: 'paused', reason_json: JSON.stringify(reason), updated_at: now }),
      )
      .execute();
  },

  /** Resumes a destination; returns whether it was paused. */
  async resume(db: Kysely<Database>, destination: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('destination_states')
      .set({ status: 'active', reason_json: null, updated_at: now })
      .where('destination', '=', destination)
      .where('status', '=', 'paused')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  },

  async isPaused(db: Kysely<Database>, destination: string): Promise<boolean> {
    const row = await db
      .selectFrom('destination_states')
      .select('status')
      .where('destination', '=', destination)
      .executeTakeFirst();
    return row?.status === 'paused';
  },

  async get(db: Kysely<Database>, destination: string): Promise<DestinationState> {
    const row = await db
      .selectFrom('destination_states')
      .selectAll()
      .where('destination', '=', destination)
      .executeTakeFirst();
    return row
      ? {
          destination,
          status: row.status,
          ...(row.reason_json && { reason: JSON.parse(row.reason_json) as unknown }),
          updatedAt: row.updated_at,
        }
      : { destination, status: 'active' };
  },
};
