import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { normalizeEmail, normalizePhone } from '../event-log/identifier-normalizers.ts';
import { identifierKey, type IdentifierType } from './identifiers.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The profile a (possibly merged) profile id stands for today. */
export async function currentProfileId(db: Db, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? (row.merged_into ?? row.id) : undefined;
}

/** A profile and every profile merged into it: together they hold its whole history. */
export async function profileGroup(db: Db, id: string): Promise<string[]> {
  const merged = await db.selectFrom('profiles').select('id').where('merged_into', '=', id).execute();
  return [id, ...merged.map((r) => r.id)];
}

/** The current profiles holding any of these identifiers. */
export async function profilesHolding(
  db: Db,
  identifiers: { type: IdentifierType; value: string }[],
): Promise<string[]> {
  if (identifiers.length === 0) return [];
  const keys = identifiers.map((i) => identifierKey(i.type, i.value));
  const rows = await db.selectFrom('identifiers').select('profile_id').where('key', 'in', keys).execute();
  const current = await Promise.all(
    [...new Set(rows.map((r) => r.profile_id))].map((id) => currentProfileId(db, id)),
  );
  return [...new Set(current.filter((id): id is string => id !== undefined))];
}

export type FindResult =
  | { status: 'found'; profileId: string }
  | { status: 'not_found' }
  /** A device several shoppers used: it identifies none of them. */
  | { status: 'shared' }
  | { status: 'invalid' };

/** The profile an identifier (as a person would type it: any case, any phone format) points to. */
export async function findProfile(
  db: Db,
  type: IdentifierType,
  raw: string,
  /** The country a phone number without a country code belongs to (the store's). */
  phoneCountry?: string,
): Promise<FindResult> {
  const value =
    type === 'email'
      ? normalizeEmail(raw)
      : type === 'phone'
        ? normalizePhone(raw, phoneCountry)
        : raw.trim() || undefined;
  if (!value) return { status: 'invalid' };
  const row = await db
    .selectFrom('identifiers')
    .select(['profile_id', 'status'])
    .where('key', '=', identifierKey(type, value))
    .executeTakeFirst();
  if (!row) return { status: 'not_found' };
  if (row.status === 'shared') return { status: 'shared' };
  const profileId = await currentProfileId(db, row.profile_id);
  return profileId ? { status: 'found', profileId } : { status: 'not_found' };
}
