import type { CanonicalEvent } from './canonical-event.ts';
import type { AnonymousCount } from './event-log.ts';

/**
 * Decides, before anything is stored, what of each event may be kept: the whole event, the event
 * without device identifiers, or only an anonymous count (no tracking consent where it is required).
 * The consent engine provides it (`consentTrackingGate`).
 */
export interface TrackingGate {
  admit(events: readonly CanonicalEvent[]): { events: CanonicalEvent[]; counts: AnonymousCount[] };
}
