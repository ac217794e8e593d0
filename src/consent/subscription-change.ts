import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * A marketing permission that started or ended in the ledger, for a messaging platform that keeps its
 * own subscription state (Klaviyo): a subscribe carries the time and source of the opt-in, so the
 * platform records the same consent Reclaim holds (TCPA's prior express written consent for SMS).
 */
export interface SubscriptionChange {
  channel: 'email' | 'sms';
  action: 'subscribe' | 'unsubscribe';
  /** The address or E.164 number it is about (personal data: forgotten once delivered). */
  email?: string;
  phone?: string;
  /** When the shopper acted (ms). */
  at: number;
  /** The ledger record that says so (`reclaim consent why`). */
  recordId: string;
  /** Where it was captured (`popup`, `checkout`, `shopify:…`). */
  source: string;
  profileId?: string;
}

/** Receives the batch's changes inside its transaction, so they commit with the ledger records. */
export type SubscriptionSink = (
  trx: Transaction<Database>,
  changes: readonly SubscriptionChange[],
  now: number,
) => Promise<void>;
