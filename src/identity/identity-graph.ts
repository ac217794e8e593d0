import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import {
  DEVICE_TYPES,
  identifiersOf,
  IDENTIFIER_TYPES,
  PERSON_TYPES,
  type Identifier,
  type IdentifierType,
} from './identifiers.ts';
import { orderedId } from '../store/ordered-id.ts';

/** One identifier as the graph holds it. Times are event times (epoch ms). */
export interface IdentifierRecord {
  key: string;
  type: IdentifierType;
  value: string;
  /** The profile it joined; when that profile was later merged, follow `mergedInto` to today's. */
  profileId: string;
  firstSeen: number;
  lastSeen: number;
  /** Last time it was seen with another identifier of its profile; a link idle past the lookback stops connecting. */
  linkedAt: number;
  /** Last time a trusted source stated it (typed at checkout, a customer record, a consent). */
  confirmedAt: number | null;
  /** `shared`: a device seen with two different customers. It no longer links anyone. */
  status: 'active' | 'shared';
}

export type TypeCounts = Partial<Record<IdentifierType, number>>;

/**
 * A profile. A merged profile keeps its row, pointing at the one it became, so identifiers need not
 * move on a merge; the surviving profile carries the counts the merge guards check.
 */
export interface ProfileRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  mergedInto: string | null;
  /** Active identifiers per type (including those of profiles merged into it). */
  counts: TypeCounts;
  /** Its Shopify customer id, when it has one (never more than one). */
  customerId: string | null;
}

export interface IdentityRules {
  /** How long an idle link keeps connecting (ms). */
  lookback: number;
  /** Most identifiers of each type one profile may hold. */
  limits: Readonly<Record<IdentifierType, number>>;
  /** Extra placeholder values (lower-cased). */
  blocklist: ReadonlySet<string>;
}

/** Why a merge or link was refused. A value, so it can be recorded and shown. */
export type RefusalReason =
  /** The two profiles hold different Shopify customer ids: two people. */
  | 'different_customer'
  /** The result would hold more identifiers of one type than `identity.limits` allows. */
  | 'limit_exceeded';

export interface Refusal {
  reason: RefusalReason;
  /** The profile the event attached to. */
  profileId: string;
  /** The profile it was not merged with (for a refused merge). */
  otherProfileId?: string;
  /** The identifier type that could not be linked (for a refused link). */
  identifierType?: IdentifierType;
}

export interface Resolution {
  /** The profile the event belongs to; undefined when it carries no usable identifier. */
  profileId: string | undefined;
  /** Profiles merged while resolving it, oldest surviving. */
  merged: { from: string; into: string }[];
  refusals: Refusal[];
}

/** Last-seen times move in steps of this much, so a browsing session does not rewrite its identifiers on every page. */
export const LAST_SEEN_STEP = 3_600_000;

/**
 * The identity graph's in-memory working set for one batch of events: every identifier the batch
 * mentions and the profiles they belong to (and those merged into), plus what changed.
 */
export class IdentityWorkingSet {
  readonly identifiers = new Map<string, IdentifierRecord>();
  /** For identifiers read from the database (or from the cache of committed batches): their stored profile. */
  readonly storedProfileOf = new Map<string, string>();
  readonly profiles = new Map<string, ProfileRecord>();
  readonly dirtyIdentifiers = new Set<string>();
  readonly dirtyProfiles = new Set<string>();
  readonly links = new Map<string, { a: string; b: string; firstSeen: number; lastSeen: number }>();
  readonly refusals: (Refusal & { eventId: string; at: number })[] = [];

  /** Today's profile for a profile id, following merges. */
  root(id: string): ProfileRecord {
    let profile = this.profiles.get(id);
    while (profile?.mergedInto) profile = this.profiles.get(profile.mergedInto);
    if (!profile) throw new Error(`profile ${id} was not loaded into the working set`);
    return profile;
  }

  touchIdentifier(record: IdentifierRecord): void {
    this.identifiers.set(record.key, record);
    this.dirtyIdentifiers.add(record.key);
  }

  touchProfile(profile: ProfileRecord): void {
    this.profiles.set(profile.id, profile);
    this.dirtyProfiles.add(profile.id);
  }
}

/**
 * Resolves events to profiles. Links what an event carries together, refuses merges that would join two
 * customers or exceed the per-type limits (attaching the event to the identity it asserts most
 * strongly instead), and treats links idle for longer than the lookback as gone.
 */
export class IdentityGraph {
  constructor(private readonly rules: IdentityRules) {}

  /** The identifier keys an event needs loaded. */
  keysOf(event: CanonicalEvent): string[] {
    return identifiersOf(event, this.rules.blocklist).map((i) => i.key);
  }

  resolve(event: CanonicalEvent, ws: IdentityWorkingSet): Resolution {
    const at = event.eventTime;
    const resolution: Resolution = { profileId: undefined, merged: [], refusals: [] };
    const all = identifiersOf(event, this.rules.blocklist);
    const live: Identifier[] = [];
    const fresh: Identifier[] = [];
    for (const identifier of all) {
      const record = ws.identifiers.get(identifier.key);
      if (record?.status === 'shared') continue;
      if (record && at - record.linkedAt <= this.rules.lookback) live.push(identifier);
      else fresh.push(identifier);
    }
    if (live.length === 0 && fresh.length === 0) return resolution;

    let created = 0;
    /** Identifiers this event attached, so none is attached twice. */
    const attached = new Set<string>();
    const createProfile = (): ProfileRecord => {
      const profile: ProfileRecord = {
        id: orderedId('pr_', at, `${event.id}:${created++}`),
        createdAt: at,
        updatedAt: at,
        mergedInto: null,
        counts: {},
        customerId: null,
      };
      ws.touchProfile(profile);
      return profile;
    };
    const rootOf = (identifier: Identifier) => ws.root(ws.identifiers.get(identifier.key)!.profileId);

    // The profile the event belongs to: that of the person it asserts (customer, email, phone) when it
    // names one, else that of its strongest live identifier, else a new one.
    const asserted = all.find(
      (i) => PERSON_TYPES.has(i.type) && ws.identifiers.get(i.key)?.status !== 'shared',
    );
    let target: ProfileRecord;
    if (asserted && live.includes(asserted)) target = rootOf(asserted);
    else if (asserted) target = this.attach(asserted, createProfile(), at, ws, resolution, attached)!;
    else if (live.length > 0) target = rootOf(live[0]!);
    else target = createProfile();

    for (const identifier of live) {
      const other = rootOf(identifier);
      if (other.id === target.id) continue;
      const refusal = this.mergeRefusal(target, other);
      if (refusal) {
        resolution.refusals.push({ reason: refusal, profileId: target.id, otherProfileId: other.id });
        if (refusal === 'different_customer') this.markSharedDevices(all, other, ws);
        continue;
      }
      target = this.merge(target, other, ws, resolution);
    }
    for (const identifier of fresh)
      if (!attached.has(identifier.key)) this.attach(identifier, target, at, ws, resolution, attached);
    this.recordSighting(all, target, event, ws);
    resolution.profileId = target.id;
    return resolution;
  }

  /** Adds a new (or stale) identifier to `profile`; returns the profile, or undefined when refused. */
  private attach(
    identifier: Identifier,
    profile: ProfileRecord,
    at: number,
    ws: IdentityWorkingSet,
    resolution: Resolution,
    attached: Set<string>,
  ) {
    const refusal = this.attachRefusal(identifier, profile);
    if (refusal) {
      resolution.refusals.push({ reason: refusal, profileId: profile.id, identifierType: identifier.type });
      return undefined;
    }
    const existing = ws.identifiers.get(identifier.key);
    if (existing?.status === 'active') {
      const previous = ws.root(existing.profileId);
      adjust(previous, identifier.type, -1);
      if (identifier.type === 'customerId') previous.customerId = null;
      ws.touchProfile(previous);
    }
    ws.touchIdentifier({
      key: identifier.key,
      type: identifier.type,
      value: identifier.value,
      profileId: profile.id,
      firstSeen: existing ? Math.min(existing.firstSeen, at) : at,
      lastSeen: existing ? Math.max(existing.lastSeen, at) : at,
      linkedAt: at,
      confirmedAt: existing?.confirmedAt ?? null,
      status: 'active',
    });
    attached.add(identifier.key);
    adjust(profile, identifier.type, 1);
    if (identifier.type === 'customerId') profile.customerId = identifier.value;
    profile.updatedAt = Math.max(profile.updatedAt, at);
    ws.touchProfile(profile);
    return profile;
  }

  private attachRefusal(identifier: Identifier, profile: ProfileRecord): RefusalReason | undefined {
    if (
      identifier.type === 'customerId' &&
      profile.customerId !== null &&
      profile.customerId !== identifier.value
    )
      return 'different_customer';
    if ((profile.counts[identifier.type] ?? 0) + 1 > this.rules.limits[identifier.type])
      return 'limit_exceeded';
    return undefined;
  }

  private mergeRefusal(a: ProfileRecord, b: ProfileRecord): RefusalReason | undefined {
    if (a.customerId !== null && b.customerId !== null && a.customerId !== b.customerId)
      return 'different_customer';
    for (const type of IDENTIFIER_TYPES) {
      if ((a.counts[type] ?? 0) + (b.counts[type] ?? 0) > this.rules.limits[type]) return 'limit_exceeded';
    }
    return undefined;
  }

  /** Merges the younger profile into the older one (stable ids for journeys and triggers). */
  private merge(
    a: ProfileRecord,
    b: ProfileRecord,
    ws: IdentityWorkingSet,
    resolution: Resolution,
  ): ProfileRecord {
    const [winner, loser] =
      a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id) ? [a, b] : [b, a];
    for (const type of IDENTIFIER_TYPES) adjust(winner, type, loser.counts[type] ?? 0);
    winner.customerId ??= loser.customerId;
    winner.updatedAt = Math.max(winner.updatedAt, loser.updatedAt);
    loser.mergedInto = winner.id;
    loser.counts = {};
    ws.touchProfile(loser);
    ws.touchProfile(winner);
    resolution.merged.push({ from: loser.id, into: winner.id });
    return winner;
  }

  /** A device seen with two different customers is shared: it stays on record but links no one. */
  private markSharedDevices(identifiers: Identifier[], other: ProfileRecord, ws: IdentityWorkingSet): void {
    for (const identifier of identifiers) {
      const record = ws.identifiers.get(identifier.key);
      if (
        !DEVICE_TYPES.has(identifier.type) ||
        record?.status !== 'active' ||
        ws.root(record.profileId).id !== other.id
      )
        continue;
      ws.touchIdentifier({ ...record, status: 'shared' });
      adjust(other, identifier.type, -1);
      ws.touchProfile(other);
    }
  }

  private recordSighting(
    identifiers: Identifier[],
    profile: ProfileRecord,
    event: CanonicalEvent,
    ws: IdentityWorkingSet,
  ): void {
    const at = event.eventTime;
    const inProfile = identifiers.filter((i) => {
      const record = ws.identifiers.get(i.key);
      return record?.status === 'active' && ws.root(record.profileId).id === profile.id;
    });
    const linked = inProfile.length >= 2;
    for (const identifier of inProfile) {
      const record = ws.identifiers.get(identifier.key)!;
      const confirmed = identifier.confirmed && (record.confirmedAt ?? -Infinity) < at;
      const seen = at > record.lastSeen + LAST_SEEN_STEP || at < record.firstSeen;
      const relinked = linked && at > record.linkedAt;
      if (!confirmed && !seen && !relinked) continue;
      ws.touchIdentifier({
        ...record,
        firstSeen: Math.min(record.firstSeen, at),
        lastSeen: Math.max(record.lastSeen, at),
        linkedAt: relinked ? at : record.linkedAt,
        confirmedAt: confirmed ? at : record.confirmedAt,
      });
    }
    if (!linked) return;
    const anchor = inProfile[0]!.key;
    for (const identifier of inProfile.slice(1)) {
      const [a, b] = anchor < identifier.key ? [anchor, identifier.key] : [identifier.key, anchor];
      const id = `${a}\u0000${b}`;
      const link = ws.links.get(id);
      ws.links.set(
        id,
        link
          ? { a, b, firstSeen: Math.min(link.firstSeen, at), lastSeen: Math.max(link.lastSeen, at) }
          : { a, b, firstSeen: at, lastSeen: at },
      );
    }
  }
}

function adjust(profile: ProfileRecord, type: IdentifierType, delta: number): void {
  const next = (profile.counts[type] ?? 0) + delta;
  if (next > 0) profile.counts[type] = next;
  else delete profile.counts[type];
}
