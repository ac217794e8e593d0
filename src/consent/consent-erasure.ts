import type { ErasureStep } from '../identity/erasure.ts';
import { identifierKeysOf } from '../identity/identity-repository.ts';
import type { ProfileSection } from '../identity/profile-view.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';

/**
 * The consent ledger's part of an erasure. The chained records stay — they are the proof a regulator or
 * court may ask for (GDPR Art 17(3)(b),(e); RULES.md §2 retention) and hold only digests of the subject —
 * but the clear subject (email, phone, IP, user agent) and the derived state are deleted.
 */
export const eraseConsent: ErasureStep = async (trx, scope) => {
  if (scope.all) {
    return {
      consent_subjects: Number((await trx.deleteFrom('consent_subjects').executeTakeFirst()).numDeletedRows),
      consent_subject_index: Number(
        (await trx.deleteFrom('consent_subject_index').executeTakeFirst()).numDeletedRows,
      ),
      consent_states: Number((await trx.deleteFrom('consent_states').executeTakeFirst()).numDeletedRows),
    };
  }
  let subjects = 0;
  let index = 0;
  let states = 0;
  const capabilities = capabilitiesOf(trx);
  for (const keys of inChunks(capabilities, scope.identifierKeys)) {
    const records = await trx
      .selectFrom('consent_subject_index')
      .select('record_id')
      .where('subject_key', 'in', keys)
      .execute();
    const ids = [...new Set(records.map((r) => r.record_id))];
    for (const part of inChunks(capabilities, ids)) {
      subjects += Number(
        (await trx.deleteFrom('consent_subjects').where('record_id', 'in', part).executeTakeFirst())
          .numDeletedRows,
      );
      index += Number(
        (await trx.deleteFrom('consent_subject_index').where('record_id', 'in', part).executeTakeFirst())
          .numDeletedRows,
      );
    }
    states += Number(
      (await trx.deleteFrom('consent_states').where('subject_key', 'in', keys).executeTakeFirst())
        .numDeletedRows,
    );
  }
  return { consent_subjects: subjects, consent_subject_index: index, consent_states: states };
};

/** A profile's consent records (newest first) and current states, for the profile API and exports. */
export const consentSection: ProfileSection = async (db, profileIds) => {
  const keys = await identifierKeysOf(db, profileIds);
  if (keys.length === 0) return { states: [], records: [] };
  const states = await db.selectFrom('consent_states').selectAll().where('subject_key', 'in', keys).execute();
  const records = await db
    .selectFrom('consent_subject_index')
    .innerJoin('consent_ledger', 'consent_ledger.record_id', 'consent_subject_index.record_id')
    .select(['consent_ledger.position', 'consent_ledger.record_json', 'consent_ledger.hash'])
    .where('consent_subject_index.subject_key', 'in', keys)
    .orderBy('consent_ledger.position', 'desc')
    .limit(500)
    .execute();
  const seen = new Set<number>();
  return {
    states: states.map((s) => ({
      subject: s.subject_key,
      permission: s.permission,
      state: JSON.parse(s.state_json) as unknown,
    })),
    records: records
      .filter((r) => !seen.has(r.position) && seen.add(r.position))
      .map((r) => ({ ...(JSON.parse(r.record_json) as object), hash: r.hash })),
  };
};
