import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

/** Advisory lock key that serialises appends to the event log on PostgreSQL ("RCLM"). */
const APPEND_LOCK = 0x52434c4d;

/**
 * Makes the transaction's appends commit in sequence order, so a cursor over `events.seq` never skips a
 * row committed late. SQLite has one writer at a time already; PostgreSQL takes a transaction-scoped
 * advisory lock, released at commit.
 */
export async function lockAppends(store: Store, trx: Transaction<Database>): Promise<void> {
  if (store.capabilities.commitsInSequenceOrder) return;
  await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
}
