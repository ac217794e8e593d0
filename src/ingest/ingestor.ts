import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { AppendResult, EventLog } from '../event-log/event-log.ts';
import type { TrackingGate } from '../event-log/tracking-gate.ts';

/**
 * Where webhooks and consent decisions hand their canonical events: consent gate first, then the durable
 * log. Segment and pixel calls pass the same gate in `prepareCall` (on a worker thread, which cannot be
 * handed a gate) and reach the log as rows.
 */
export class Ingestor {
  constructor(
    private readonly log: EventLog,
    private readonly gate: TrackingGate,
  ) {}

  /** Commits what the gate admits; resolves only once it is durable. */
  async accept(
    events: readonly CanonicalEvent[],
    inTransaction?: (trx: Transaction<Database>) => Promise<boolean>,
  ): Promise<AppendResult> {
    const admitted = this.gate.admit(events);
    return this.log.append(admitted.events, admitted.counts, inTransaction);
  }
}
