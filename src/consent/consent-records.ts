import type { Kysely } from 'kysely';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import type { ConsentRecord, ConsentSubject } from './consent-ledger.ts';

/** One ledger record as the admin API lists it: who (while not erased), what, where, under which rules. */
export interface ListedConsentRecord {
  position: number;
  recordId: string;
  /** The subject's identifiers in clear; null once the subject was erased (the record stays, chained). */
  subject: ConsentSubject | null;
  permission: string;
  state: string;
  basis: string;
  source: string;
  wording: string | null;
  wordingId: string | null;
  regime: string;
  country: string | null;
  occurredAt: number;
  receivedAt: number;
  hash: string;
}

export interface ConsentRecordFilter {
  /** A subject key (`email:…`, `phone:…`, `customerId:…`, `anonymousId:…`). */
  subjectKey?: string;
  permission?: string;
  from?: number;
  to?: number;
  /** Only records at ledger positions below this one (the previous page's cursor). */
  before?: number;
  limit: number;
}

/** Ledger action → the state it leaves (`grant` → granted). */
const STATE_OF: ReadonlyMap<string, string> = new Map([
  ['grant', 'granted'],
  ['deny', 'denied'],
  ['withdraw', 'withdrawn'],
]);

/** Ledger records, newest first; `from`/`to` bound when the shopper acted. */
export async function listConsentRecords(
  db: Kysely<Database>,
  filter: ConsentRecordFilter,
): Promise<ListedConsentRecord[]> {
  let q = db
    .selectFrom('consent_ledger')
    .leftJoin('consent_subjects', 'consent_subjects.record_id', 'consent_ledger.record_id')
    .select([
      'consent_ledger.position',
      'consent_ledger.record_id',
      'consent_ledger.hash',
      'record_json',
      'subject_json',
    ])
    .orderBy('consent_ledger.position', 'desc');
  if (filter.subjectKey) {
    const key = filter.subjectKey;
    q = q.where('consent_ledger.record_id', 'in', (eb) =>
      eb.selectFrom('consent_subject_index').select('record_id').where('subject_key', '=', key),
    );
  }
  if (filter.before !== undefined) q = q.where('consent_ledger.position', '<', filter.before);
  const wanted: ListedConsentRecord[] = [];
  // Permission and time live inside the chained JSON: filtered here, a page at a time.
  for (let before = filter.before; wanted.length < filter.limit;) {
    let page = q.limit(1000);
    if (before !== undefined) page = page.where('consent_ledger.position', '<', before);
    const rows = await page.execute();
    for (const row of rows) {
      const record = JSON.parse(row.record_json) as ConsentRecord;
      if (filter.permission && record.permission !== filter.permission) continue;
      if (filter.from !== undefined && record.occurredAt < filter.from) continue;
      if (filter.to !== undefined && record.occurredAt >= filter.to) continue;
      wanted.push({
        position: Number(row.position),
        recordId: row.record_id,
        subject: row.subject_json === null ? null : (JSON.parse(row.subject_json) as ConsentSubject),
        permission: record.permission,
        state: STATE_OF.get(record.action) ?? record.action,
        basis: record.basis,
        source: record.capture.source,
        wording: record.wording.text ?? null,
        wordingId: record.wording.id ?? null,
        regime: record.jurisdiction.regime,
        country: record.jurisdiction.country ?? null,
        occurredAt: record.occurredAt,
        receivedAt: record.receivedAt,
        hash: row.hash,
      });
      if (wanted.length === filter.limit) break;
    }
    if (rows.length < 1000) break;
    before = Number(rows.at(-1)!.position);
  }
  return wanted;
}

/**
 * A ledger record as the chain holds it (with its position and the digest of its subject, which outlives
 * the subject's erasure) and its hash.
 */
export type ProvenConsentRecord = { position: number; hash: string } & ConsentRecord & {
    subjectDigest: string;
  };

/** The ledger records with these ids, by record id; an id the ledger does not hold is absent. */
export async function consentRecordsById(
  db: Kysely<Database>,
  recordIds: readonly string[],
): Promise<Map<string, ProvenConsentRecord>> {
  const records = new Map<string, ProvenConsentRecord>();
  for (const part of inChunks(capabilitiesOf(db), recordIds)) {
    const rows = await db
      .selectFrom('consent_ledger')
      .select(['record_id', 'position', 'hash', 'record_json'])
      .where('record_id', 'in', part)
      .execute();
    for (const r of rows)
      records.set(r.record_id, {
        position: r.position,
        hash: r.hash,
        ...(JSON.parse(r.record_json) as ConsentRecord & { subjectDigest: string }),
      });
  }
  return records;
}
