import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { IdentifierType } from './identifiers.ts';
import type { IdentifierRecord, IdentityWorkingSet, ProfileRecord } from './identity-graph.ts';

type Trx = Transaction<Database>;

/** Keys per `IN (…)` list: far below either dialect's bind-parameter limit. */
const IN_CHUNK = 900;
/** Rows per multi-row INSERT. */
const ROW_CHUNK = 300;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function toRecord(row: Database['identifiers']): IdentifierRecord {
  return {
    key: row.key,
    type: row.type as IdentifierType,
    value: row.value,
    profileId: row.profile_id,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    linkedAt: row.linked_at,
    confirmedAt: row.confirmed_at,
    status: row.status === 'shared' ? 'shared' : 'active',
  };
}

/** Loads the identity graph's working set for a batch and writes back what changed. */
export class IdentityRepository {
  /**
   * Loads the identifiers named by `keys`, the profiles they belong to, and every member of those
   * profiles (merge guards count them), skipping what the working set already holds.
   */
  async load(trx: Trx, ws: IdentityWorkingSet, keys: Iterable<string>): Promise<void> {
    const wanted = [...new Set(keys)].filter((key) => !ws.identifiers.has(key));
    const profileIds = new Set<string>();
    for (const part of chunks(wanted, IN_CHUNK)) {
      const rows = await trx.selectFrom('identifiers').selectAll().where('key', 'in', part).execute();
      for (const row of rows) {
        ws.identifiers.set(row.key, toRecord(row));
        if (!ws.profiles.has(row.profile_id)) profileIds.add(row.profile_id);
      }
    }
    await this.loadProfiles(trx, ws, [...profileIds]);
  }

  /** Loads profiles (with all their members) into the working set. */
  async loadProfiles(trx: Trx, ws: IdentityWorkingSet, ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !ws.profiles.has(id));
    for (const part of chunks(missing, IN_CHUNK)) {
      const profiles = await trx.selectFrom('profiles').selectAll().where('id', 'in', part).execute();
      for (const row of profiles) {
        ws.profiles.set(row.id, {
          id: row.id,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
          mergedInto: row.merged_into,
          members: new Set(),
        });
      }
      const members = await trx
        .selectFrom('identifiers')
        .selectAll()
        .where('profile_id', 'in', part)
        .execute();
      for (const row of members) {
        if (!ws.identifiers.has(row.key)) ws.identifiers.set(row.key, toRecord(row));
        ws.profiles.get(row.profile_id)?.members.add(row.key);
      }
    }
  }

  /** Writes every changed identifier, profile, link and refusal; flattens merge chains. */
  async save(trx: Trx, ws: IdentityWorkingSet): Promise<void> {
    const identifiers = [...ws.dirtyIdentifiers].map((key) => ws.identifiers.get(key)!);
    for (const part of chunks(identifiers, ROW_CHUNK)) {
      await trx
        .insertInto('identifiers')
        .values(
          part.map((r) => ({
            key: r.key,
            type: r.type,
            value: r.value,
            profile_id: r.profileId,
            first_seen: r.firstSeen,
            last_seen: r.lastSeen,
            linked_at: r.linkedAt,
            confirmed_at: r.confirmedAt,
            status: r.status,
          })),
        )
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            profile_id: eb.ref('excluded.profile_id'),
            first_seen: eb.ref('excluded.first_seen'),
            last_seen: eb.ref('excluded.last_seen'),
            linked_at: eb.ref('excluded.linked_at'),
            confirmed_at: eb.ref('excluded.confirmed_at'),
            status: eb.ref('excluded.status'),
          })),
        )
        .execute();
    }
    const profiles: ProfileRecord[] = [...ws.dirtyProfiles].map((id) => ws.profiles.get(id)!);
    for (const part of chunks(profiles, ROW_CHUNK)) {
      await trx
        .insertInto('profiles')
        .values(
          part.map((p) => ({
            id: p.id,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
            merged_into: p.mergedInto,
          })),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            updated_at: eb.ref('excluded.updated_at'),
            merged_into: eb.ref('excluded.merged_into'),
          })),
        )
        .execute();
    }
    for (const merged of profiles.filter((p) => p.mergedInto !== null)) {
      await trx
        .updateTable('profiles')
        .set({ merged_into: merged.mergedInto })
        .where('merged_into', '=', merged.id)
        .execute();
    }
    for (const part of chunks([...ws.links.values()], ROW_CHUNK)) {
      await trx
        .insertInto('identity_links')
        .values(part.map((l) => ({ a: l.a, b: l.b, first_seen: l.firstSeen, last_seen: l.lastSeen })))
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
        )
        .execute();
    }
    for (const part of chunks(ws.refusals, ROW_CHUNK)) {
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
