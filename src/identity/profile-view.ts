import type { Kysely, Transaction } from 'kysely';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { readStoredEvent, storedEvents } from '../event-log/event-log.ts';
import type { Database } from '../store/schema.ts';
import { parseIdentifierKey } from './identifiers.ts';
import { profileGroup } from './profile-group.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Another module's part of a profile (its consents, its triggers), by section name. */
export type ProfileSection = (db: Db, profileIds: string[]) => Promise<unknown>;

/** Everything Reclaim knows about one shopper, as the profile API and data-subject exports show it. */
export interface ProfileView {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** Profiles that turned out to be this shopper and were merged into it. */
  mergedProfiles: string[];
  identifiers: {
    type: string;
    value: string;
    status: string;
    firstSeen: string;
    lastSeen: string;
    linkedAt: string;
    confirmedAt: string | null;
  }[];
  links: {
    a: { type: string; value: string };
    b: { type: string; value: string };
    firstSeen: string;
    lastSeen: string;
  }[];
  /** Merges and links Reclaim refused for this shopper, and why. */
  refusals: { at: string; reason: string; otherProfileId: string | null; identifierType: string | null }[];
  /** Events, newest first. Full events in exports; summaries in lookups. */
  timeline: (Pick<CanonicalEvent, 'id' | 'kind' | 'name' | 'source'> & {
    eventTime: string;
    receivedAt: string;
  } & Partial<Omit<CanonicalEvent, 'eventTime' | 'receivedAt'>>)[];
  [section: string]: unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface ViewOptions {
  /** Most events in the timeline; undefined for all of them (exports). */
  timelineLimit?: number;
  /** Whole canonical events instead of summaries. */
  fullEvents?: boolean;
  sections?: Record<string, ProfileSection>;
}

export async function buildProfileView(
  db: Db,
  profileId: string,
  options: ViewOptions = {},
): Promise<ProfileView | undefined> {
  const profile = await db.selectFrom('profiles').selectAll().where('id', '=', profileId).executeTakeFirst();
  if (!profile) return undefined;
  const group = await profileGroup(db, profile.id);
  const identifiers = await db
    .selectFrom('identifiers')
    .selectAll()
    .where('profile_id', 'in', group)
    .orderBy('key')
    .execute();
  const keys = identifiers.map((i) => i.key);
  const links = keys.length
    ? await db
        .selectFrom('identity_links')
        .selectAll()
        .where((eb) => eb.or([eb('a', 'in', keys), eb('b', 'in', keys)]))
        .orderBy('first_seen')
        .execute()
    : [];
  const refusals = await db
    .selectFrom('identity_decisions')
    .selectAll()
    .where((eb) => eb.or([eb('profile_id', 'in', group), eb('other_profile_id', 'in', group)]))
    .orderBy('seq')
    .execute();
  let timelineQuery = db
    .selectFrom('profile_events')
    .innerJoin(storedEvents(db).as('e'), 'e.seq', 'profile_events.event_seq')
    .selectAll('e')
    .where('profile_events.profile_id', 'in', group)
    .orderBy('e.event_time', 'desc')
    .orderBy('e.seq', 'desc');
  if (options.timelineLimit !== undefined) timelineQuery = timelineQuery.limit(options.timelineLimit);
  const events = (await timelineQuery.execute()).map(readStoredEvent);

  const view: ProfileView = {
    id: profile.id,
    createdAt: iso(profile.created_at),
    updatedAt: iso(profile.updated_at),
    mergedProfiles: group.slice(1),
    identifiers: identifiers.map((i) => ({
      type: i.type,
      value: i.value,
      status: i.status,
      firstSeen: iso(i.first_seen),
      lastSeen: iso(i.last_seen),
      linkedAt: iso(i.linked_at),
      confirmedAt: i.confirmed_at === null ? null : iso(i.confirmed_at),
    })),
    links: links.map((l) => ({
      a: parseIdentifierKey(l.a),
      b: parseIdentifierKey(l.b),
      firstSeen: iso(l.first_seen),
      lastSeen: iso(l.last_seen),
    })),
    refusals: refusals.map((r) => ({
      at: iso(r.at),
      reason: r.reason,
      otherProfileId: r.other_profile_id,
      identifierType: r.identifier_type,
    })),
    timeline: events.map((e) => {
      const summary = {
        id: e.id,
        kind: e.kind,
        name: e.name,
        source: e.source,
        eventTime: iso(e.eventTime),
        receivedAt: iso(e.receivedAt),
      };
      return options.fullEvents ? { ...e, ...summary } : summary;
    }),
  };
  for (const [name, section] of Object.entries(options.sections ?? {})) view[name] = await section(db, group);
  return view;
}
