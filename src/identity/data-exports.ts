import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { ErasureStep } from './erasure.ts';

/** `%` and `_` are wildcards to LIKE; profile ids may hold `_`. */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Identity's part of an erasure for the data-subject exports: an export made before the erasure holds
 * the shopper's data, so every export naming one of the erased profiles goes — the one it was made for,
 * and any that lists it among merged profiles.
 */
export const eraseExports: ErasureStep = async (trx, scope) => {
  if (scope.all) {
    return { data_exports: Number((await trx.deleteFrom('data_exports').executeTakeFirst()).numDeletedRows) };
  }
  let deleted = 0;
  for (const profileId of scope.profileIds) {
    const result = await trx
      .deleteFrom('data_exports')
      .where((eb) =>
        eb.or([
          eb('profile_id', '=', profileId),
          sql<boolean>`body_json like ${`%"${likeLiteral(profileId)}"%`} escape '\\'`,
        ]),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return { data_exports: deleted };
};

/** Deletes the exports made before `cutoff` (epoch ms); answers how many went. */
export async function deleteExpiredExports(db: Kysely<Database>, cutoff: number): Promise<number> {
  const result = await db.deleteFrom('data_exports').where('created_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** One export as the merchant fetches it, if it was made at or after `keptSince`. */
export async function findExport(db: Kysely<Database>, id: string, keptSince: number) {
  const row = await db
    .selectFrom('data_exports')
    .selectAll()
    .where('id', '=', id)
    .where('created_at', '>=', keptSince)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    createdAt: new Date(row.created_at).toISOString(),
    source: row.source,
    ...(JSON.parse(row.body_json) as object),
  };
}

/** The newest 500 exports made at or after `keptSince`, without their contents. */
export async function listExports(db: Kysely<Database>, keptSince: number) {
  const rows = await db
    .selectFrom('data_exports')
    .select(['id', 'created_at', 'source', 'profile_id'])
    .where('created_at', '>=', keptSince)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at).toISOString(),
    source: r.source,
    profileId: r.profile_id,
  }));
}

/** Deletes one export; answers whether it existed. */
export async function deleteExport(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('data_exports').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
