import type { Kysely } from 'kysely';
import { trackingAllowed } from '../consent/tracking-gate.ts';
import type { Database } from '../store/schema.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { anonymousCountsByKind, newestEvents } from '../event-log/event-log.ts';

/** What the tracking gate did with a stored event (events it only counted never reach the log). */
export type GateOutcome =
  /** Storefront behaviour with tracking allowed: stored with its identifiers. */
  | 'tracked'
  /** A checkout step without tracking consent: stored without device identifiers. */
  | 'kept_without_device_ids'
  /** Not behaviour the gate judges: webhooks, consent decisions, admin commands. */
  | 'not_gated';

/** One stored event, as the live view lists it. */
export interface LiveEvent {
  seq: number;
  id: string;
  source: string;
  kind: string;
  name: string;
  eventTime: number;
  receivedAt: number;
  /** Identifier type → value, masked unless asked for in clear. */
  ids: Record<string, string>;
  gate: GateOutcome;
}

export interface LiveEventQuery {
  /** Only events stored after this sequence number. */
  after?: number;
  limit: number;
  source?: string;
  kind?: string;
  /** Show identifiers in clear (the operator asked to). */
  reveal: boolean;
}

/** Keeps the shape of an identifier and hides the rest: `an***@example.com`, `+44*****0958`, `ab12***`. */
export function maskIdentifier(type: string, value: string): string {
  if (type === 'email') {
    const at = value.lastIndexOf('@');
    return at > 0 ? `${value.slice(0, Math.min(2, at))}***${value.slice(at)}` : '***';
  }
  if (type === 'phone') return value.length > 7 ? `${value.slice(0, 3)}*****${value.slice(-4)}` : '***';
  return value.length > 6 ? `${value.slice(0, 4)}***` : '***';
}

function gateOf(event: CanonicalEvent): GateOutcome {
  if (event.source !== 'pixel' && event.source !== 'segment') return 'not_gated';
  return trackingAllowed(event) ? 'tracked' : 'kept_without_device_ids';
}

/** The newest stored events (oldest first within the page), for the dashboard's live view. */
export async function liveEvents(db: Kysely<Database>, query: LiveEventQuery): Promise<LiveEvent[]> {
  const newest = await newestEvents(db, query);
  return newest.reverse().map(({ seq, event }) => {
    const ids: Record<string, string> = {};
    for (const [type, value] of Object.entries(event.ids))
      if (typeof value === 'string') ids[type] = query.reveal ? value : maskIdentifier(type, value);
    return {
      seq,
      id: event.id,
      source: event.source,
      kind: event.kind,
      name: event.name,
      eventTime: event.eventTime,
      receivedAt: event.receivedAt,
      ids,
      gate: gateOf(event),
    };
  });
}

/** Storefront events counted without identifiers (no tracking consent) per kind, on one UTC day. */
export async function countedOnly(db: Kysely<Database>, day: string): Promise<Record<string, number>> {
  return Object.fromEntries(await anonymousCountsByKind(db, day, day));
}
