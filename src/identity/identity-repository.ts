import type { Kysely, Transaction } from 'kysely';
import type { Database, IdentifierType } from '../store/schema.ts';
import { BulkWriter } from '../store/bulk-writer.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { IdentifierRecord, IdentityWorkingSet, ProfileRecord, TypeCounts } from './identity-graph.ts';

type Trx = Transaction<Database>;
type Db = Kysely<Database> | Transaction<Database>;

function toRecord(row: Database['identifiers']): IdentifierRecord {
  return {
    key: row.key,
    type: row.type,
    value: row.value,
    profileId: row.profile_id,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    linkedAt: row.linked_at,
    confirmedAt: row.confirmed_at,
    status: row.status,
  };
}

function toProfile(row: Database['profiles']): ProfileRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    mergedInto: row.merged_into,
    counts: JSON.parse(row.counts_json) as TypeCounts,
    customerId: row.customer_id,
  };
}

/**
 * Upserts identifiers. `moved`: new ones, and those that joined another profile. `touched`: those staying
 * with the profile they are stored with (most writes: a sighting moves their times); leaving `profile_id`
 * out of their update spares its index, which SQLite rewrites for every column an update assigns, even to
 * the same value.
 */
const identifierWriters = {
  moved: identifierWriter(true),
  touched: identifierWriter(false),
};

function identifierWriter(moveProfile: boolean) {
  return new BulkWriter<Database['identifiers']>(
    ['key', 'type', 'value', 'profile_id', 'first_seen', 'last_seen', 'linked_at', 'confirmed_at', 'status'],
    (trx, rows) =>
      trx
        .insertInto('identifiers')
        .values(rows)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            ...(moveProfile && { profile_id: eb.ref('excluded.profile_id') }),
            first_seen: eb.ref('excluded.first_seen'),
            last_seen: eb.ref('excluded.last_seen'),
            linked_at: eb.ref('excluded.linked_at'),
            confirmed_at: eb.ref('excluded.confirmed_at'),
            status: eb.ref('excluded.status'),
          })),
        ),
  );
}

/** Upserts profiles; only those merged away assign `merged_into`, sparing its index (as for identifiers). */
const profileWriters = {
  merged: profileWriter(true),
  live: profileWriter(false),
};

function profileWriter(merged: boolean) {
  return new BulkWriter<Database['profiles']>(
    ['id', 'created_at', 'updated_at', 'merged_into', 'counts_json', 'customer_id'],
    (trx, rows) =>
      trx
        .insertInto('profiles')
        .values(rows)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            updated_at: eb.ref('excluded.updated_at'),
            ...(merged && { merged_into: eb.ref('excluded.merged_into') }),
            counts_json: eb.ref('excluded.counts_json'),
            customer_id: eb.ref('excluded.customer_id'),
          })),
        ),
  );
}

const linkWriter = new BulkWriter<Database['identity_links']>(
  ['a', 'b', 'first_seen', 'last_seen'],
  (trx, rows) =>
    trx
      .insertInto('identity_links')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['a', 'b']).doUpdateSet((eb) => ({
          first_seen: eb
            .case()
            .when('excluded.first_seen', '<', eb.ref('identity_links.first_seen'))
            .then(eb.ref('excluded.first_seen'))
            .else(eb.ref('identity_links.first_seen'))
            .end(),
          last_seen: eb
            .case()
            .when('excluded.last_seen', '>', eb.ref('identity_links.last_seen'))
            .then(eb.ref('excluded.last_seen'))
            .else(eb.ref('identity_links.last_seen'))
            .end(),
        })),
      ),
);

/**
 * Identifiers and profiles recently read or written, so consecutive batches (a shopper's session spans
 * many) do not read them again. Only valid while this process is the one processing the log; cleared
 * whenever a batch fails or a command (erasure) changes the graph behind it.
 */
class IdentityCache {
  readonly #identifiers = new Map<string, IdentifierRecord>();
  readonly #profiles = new Map<string, ProfileRecord>();

  constructor(private readonly capacity: number) {}

  identifier(key: string): IdentifierRecord | undefined {
    return this.#identifiers.get(key);
  }

  profile(id: string): ProfileRecord | undefined {
    const profile = this.#profiles.get(id);
    return profile && { ...profile, counts: { ...profile.counts } };
  }

  remember(ws: IdentityWorkingSet): void {
    for (const record of ws.identifiers.values()) {
      this.#identifiers.delete(record.key);
      this.#identifiers.set(record.key, record);
    }
    for (const profile of ws.profiles.values()) {
      this.#profiles.delete(profile.id);
      this.#profiles.set(profile.id, { ...profile, counts: { ...profile.counts } });
    }
    evict(this.#identifiers, this.capacity);
    evict(this.#profiles, this.capacity);
  }

  clear(): void {
    this.#identifiers.clear();
    this.#profiles.clear();
  }
}

function evict(map: Map<string, unknown>, capacity: number): void {
  for (const key of map.keys()) {
    if (map.size <= capacity) return;
    map.delete(key);
  }
}

/** Loads the identity graph's working set for a batch and writes back what changed. */
export class IdentityRepository {
  readonly #cache: IdentityCache;

  /** `cacheSize`: identifiers (and as many profiles) kept between batches. */
  constructor(cacheSize = 250_000) {
    this.#cache = new IdentityCache(cacheSize);
  }

  /** After a committed batch: keep its records for the next ones. */
  remember(ws: IdentityWorkingSet): void {
    this.#cache.remember(ws);
  }

  /** After a failed batch or a command that changed the graph: forget everything cached. */
  forget(): void {
    this.#cache.clear();
  }

  /** Loads the identifiers named by `keys` and the profiles they belong to (following merges). */
  async load(trx: Trx, ws: IdentityWorkingSet, keys: Iterable<string>): Promise<void> {
    const wanted: string[] = [];
    const profileIds = new Set<string>();
    for (const key of new Set(keys)) {
      if (ws.identifiers.has(key)) continue;
      const cached = this.#cache.identifier(key);
      if (cached) {
        ws.identifiers.set(key, cached);
        ws.storedProfileOf.set(key, cached.profileId);
        profileIds.add(cached.profileId);
      } else wanted.push(key);
    }
    for (const part of inChunks(capabilitiesOf(trx), wanted)) {
      const rows = await trx.selectFrom('identifiers').selectAll().where('key', 'in', part).execute();
      for (const row of rows) {
        ws.identifiers.set(row.key, toRecord(row));
        ws.storedProfileOf.set(row.key, row.profile_id);
        profileIds.add(row.profile_id);
      }
    }
    await this.loadProfiles(trx, ws, [...profileIds]);
  }

  /** Loads profiles, and the profiles they were merged into. */
  async loadProfiles(trx: Trx, ws: IdentityWorkingSet, ids: readonly string[]): Promise<void> {
    let missing = this.#fromCache(ws, ids);
    while (missing.length > 0) {
      const next = new Set<string>();
      for (const part of inChunks(capabilitiesOf(trx), missing)) {
        const rows = await trx.selectFrom('profiles').selectAll().where('id', 'in', part).execute();
        for (const row of rows) {
          ws.profiles.set(row.id, toProfile(row));
          if (row.merged_into && !ws.profiles.has(row.merged_into)) next.add(row.merged_into);
        }
      }
      missing = this.#fromCache(ws, [...next]);
    }
  }

  /** Fills the working set with cached profiles (and their merge targets); returns the ids still missing. */
  #fromCache(ws: IdentityWorkingSet, ids: readonly string[]): string[] {
    const missing: string[] = [];
    const queue = [...ids];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (ws.profiles.has(id)) continue;
      const cached = this.#cache.profile(id);
      if (!cached) {
        missing.push(id);
        continue;
      }
      ws.profiles.set(id, cached);
      if (cached.mergedInto) queue.push(cached.mergedInto);
    }
    return missing;
  }

  /** Writes every changed identifier, profile, link and refusal; flattens merge chains. */
  async save(trx: Trx, ws: IdentityWorkingSet): Promise<void> {
    const rows = { moved: [] as Database['identifiers'][], touched: [] as Database['identifiers'][] };
    for (const key of ws.dirtyIdentifiers) {
      const r = ws.identifiers.get(key)!;
      rows[ws.storedProfileOf.get(key) === r.profileId ? 'touched' : 'moved'].push({
        key: r.key,
        type: r.type,
        value: r.value,
        profile_id: r.profileId,
        first_seen: r.firstSeen,
        last_seen: r.lastSeen,
        linked_at: r.linkedAt,
        confirmed_at: r.confirmedAt,
        status: r.status,
      });
    }
    await identifierWriters.moved.write(trx, rows.moved);
    await identifierWriters.touched.write(trx, rows.touched);
    const profiles = [...ws.dirtyProfiles].map((id) => ws.profiles.get(id)!);
    const merged = profiles.filter((p) => p.mergedInto !== null);
    const toRow = (p: ProfileRecord) => ({
      id: p.id,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      merged_into: p.mergedInto === null ? null : ws.root(p.id).id,
      counts_json: JSON.stringify(p.counts),
      customer_id: p.customerId,
    });
    await profileWriters.live.write(trx, profiles.filter((p) => p.mergedInto === null).map(toRow));
    await profileWriters.merged.write(trx, merged.map(toRow));
    for (const profile of merged) {
      await trx
        .updateTable('profiles')
        .set({ merged_into: ws.root(profile.id).id })
        .where('merged_into', '=', profile.id)
        .execute();
    }
    await linkWriter.write(
      trx,
      [...ws.links.values()].map((l) => ({ a: l.a, b: l.b, first_seen: l.firstSeen, last_seen: l.lastSeen })),
    );
    for (const part of inChunks(capabilitiesOf(trx), ws.refusals, { perValue: 6 })) {
      await trx
        .insertInto('identity_decisions')
        .values(
          part.map((r) => ({
            at: r.at,
            event_id: r.eventId,
            reason: r.reason,
            profile_id: r.profileId,
            other_profile_id: r.otherProfileId ?? null,
            identifier_type: r.identifierType ?? null,
          })),
        )
        .execute();
    }
  }
}

/** A stored identifier and the profile that holds it today: its own, or the one it was merged into. */
export interface RootedIdentifier {
  root: string;
  record: IdentifierRecord;
}

/**
 * The identifiers of these `types` held by these current profiles or by profiles merged into them, each
 * with the current profile (its root) it belongs to.
 */
export async function identifiersOfProfiles(
  db: Db,
  roots: readonly string[],
  types: readonly IdentifierType[],
): Promise<RootedIdentifier[]> {
  const out: RootedIdentifier[] = [];
  // The profiles first, then their identifiers: two index lookups. One join with the OR in it lets
  // PostgreSQL's planner scan every identifier.
  const capabilities = capabilitiesOf(db);
  const rootOf = new Map<string, string>();
  for (const part of inChunks(capabilities, roots, { perValue: 2 })) {
    const profiles = await db
      .selectFrom('profiles')
      .select(['id', 'merged_into'])
      .where((eb) => eb.or([eb('id', 'in', part), eb('merged_into', 'in', part)]))
      .execute();
    for (const p of profiles) rootOf.set(p.id, p.merged_into ?? p.id);
  }
  for (const part of inChunks(capabilities, [...rootOf.keys()], { otherParams: types.length })) {
    const rows = await db
      .selectFrom('identifiers')
      .selectAll()
      .where('profile_id', 'in', part)
      .where('type', 'in', [...types])
      .execute();
    for (const row of rows) out.push({ root: rootOf.get(row.profile_id)!, record: toRecord(row) });
  }
  return out;
}

/** The stored identifiers among `keys` (`type:value`), each with the current profile it belongs to. */
export async function identifiersByKey(db: Db, keys: readonly string[]): Promise<RootedIdentifier[]> {
  const out: RootedIdentifier[] = [];
  for (const part of inChunks(capabilitiesOf(db), keys)) {
    const rows = await db
      .selectFrom('identifiers')
      .innerJoin('profiles', 'profiles.id', 'identifiers.profile_id')
      .selectAll('identifiers')
      .select('profiles.merged_into')
      .where('identifiers.key', 'in', part)
      .execute();
    for (const row of rows) out.push({ root: row.merged_into ?? row.profile_id, record: toRecord(row) });
  }
  return out;
}

/** The keys (`type:value`) of the identifiers these profiles hold themselves (merges not followed). */
export async function identifierKeysOf(db: Db, profileIds: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const part of inChunks(capabilitiesOf(db), profileIds)) {
    const rows = await db.selectFrom('identifiers').select('key').where('profile_id', 'in', part).execute();
    keys.push(...rows.map((r) => r.key));
  }
  return keys;
}

/** How many identifiers of each type these profiles are known by, by profile id; unknown ids are absent. */
export async function typeCountsOf(db: Db, profileIds: readonly string[]): Promise<Map<string, TypeCounts>> {
  const counts = new Map<string, TypeCounts>();
  for (const part of inChunks(capabilitiesOf(db), profileIds)) {
    const rows = await db
      .selectFrom('profiles')
      .select(['id', 'counts_json'])
      .where('id', 'in', part)
      .execute();
    for (const row of rows) counts.set(row.id, JSON.parse(row.counts_json) as TypeCounts);
  }
  return counts;
}

/**
 * The profile each id stands for today, following `merged_into` (an id not merged, or unknown, stands for
 * itself). The merged profiles are read in one query (an index range), cheaper than looking the ids of a
 * month's sends and orders up in chunks.
 */
export async function rootsOf(db: Db, ids: Iterable<string>): Promise<Map<string, string>> {
  const parent = new Map<string, string>();
  const merged = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('merged_into', '>', '')
    .execute();
  for (const row of merged) parent.set(row.id, row.merged_into!);
  const roots = new Map<string, string>();
  for (const id of ids) {
    let root = id;
    for (let hops = 0; parent.get(root) && hops < 64; hops++) root = parent.get(root)!;
    roots.set(id, root);
  }
  return roots;
}
