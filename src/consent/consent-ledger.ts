import { hash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { BulkWriter } from '../store/bulk-writer.ts';
import type { LedgerAction, LedgerPermission, LegalBasis } from './consent-state.ts';
import type { Jurisdiction } from './jurisdiction.ts';
import { JURISDICTION_RULE_VERSION } from './jurisdiction.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Who a record is about and how they reached us — personal data, kept apart so it can be erased. */
export interface ConsentSubject {
  email?: string;
  phone?: string;
  customerId?: string;
  /** Device identifier keys (`clientId:…`, `browserId:…`, `anonymousId:…`). */
  devices?: string[];
  /** IP address and user agent: kept only for email and SMS opt-ins (RULES.md §2, "network"). */
  network?: { ip?: string; userAgent?: string };
}

/** One consent record with the fields of RULES.md §2. */
export interface ConsentRecord {
  recordId: string;
  permission: LedgerPermission;
  action: LedgerAction;
  basis: LegalBasis;
  /** When the shopper acted (client time), and when Reclaim learnt of it. */
  occurredAt: number;
  receivedAt: number;
  jurisdiction: { regime: string; country?: string; region?: string; signals: string[]; ruleVersion: string };
  /** Where and how: `banner`, `checkout`, `popup`, `shopify:…`, the page, the form. */
  capture: { source: string; pageUrl?: string; formId?: string };
  /** What the shopper was shown: its version id and/or exact text, and the checkbox's initial state. */
  wording: { id?: string; text?: string; initialState?: string };
  /** Proof of the act: Shopify opt-in level, double opt-in, categories, an SMS reply. */
  evidence?: {
    optInLevel?: string;
    confirmed?: boolean;
    categories?: Record<string, boolean>;
    message?: string;
  };
  /** Global Privacy Control at the time. */
  gpc?: boolean;
  /** Soft opt-in and CASL preconditions: the order or checkout, the opt-out offered, the expiry. */
  extras?: {
    orderId?: string;
    checkoutToken?: string;
    optOutWordingId?: string;
    optOutUsed?: boolean;
    expiresAt?: number;
  };
  policyRevision: string;
  /** The event the record came from. */
  sourceEventId: string;
}

export function jurisdictionOfRecord(j: Jurisdiction): ConsentRecord['jurisdiction'] {
  return {
    regime: j.regime,
    country: j.country,
    region: j.region,
    signals: j.signals,
    ruleVersion: JURISDICTION_RULE_VERSION,
  };
}

const GENESIS = '0'.repeat(64);
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** The subject's digest stored in the chained record: proves the clear subject unchanged while it exists. */
export const subjectDigest = (subject: ConsentSubject) => sha256(JSON.stringify(subject));

/** Keys a record is found by. */
export function subjectKeys(subject: ConsentSubject): string[] {
  return [
    ...(subject.email ? [`email:${subject.email}`] : []),
    ...(subject.phone ? [`phone:${subject.phone}`] : []),
    ...(subject.customerId ? [`customerId:${subject.customerId}`] : []),
    ...(subject.devices ?? []),
  ];
}

export interface PendingRecord {
  row: Database['consent_ledger'];
  subject: ConsentSubject;
}

/**
 * The append-only consent ledger. Records are chained: each carries the SHA-256 of the previous one and
 * the chain's head is kept apart, so editing, deleting or reordering any record — the newest included —
 * is detected by `verify`.
 */
const ledgerWriter = new BulkWriter<Database['consent_ledger']>(
  ['position', 'record_id', 'prev_hash', 'hash', 'record_json'],
  (trx, rows) => trx.insertInto('consent_ledger').values(rows),
);
const subjectWriter = new BulkWriter<Database['consent_subjects']>(
  ['record_id', 'subject_json'],
  (trx, rows) => trx.insertInto('consent_subjects').values(rows),
);
const subjectIndexWriter = new BulkWriter<Database['consent_subject_index']>(
  ['subject_key', 'record_id'],
  (trx, rows) =>
    trx
      .insertInto('consent_subject_index')
      .values(rows)
      .onConflict((oc) => oc.doNothing()),
);

/** The newest record's position and hash: where the next record chains on. */
export interface LedgerHead {
  position: number;
  hash: string;
}

export class ConsentLedger {
  #head: LedgerHead | undefined;
  readonly #pending: PendingRecord[] = [];

  /** `head`: the chain's head as the last committed batch left it, when the caller kept it. */
  constructor(head?: LedgerHead) {
    this.#head = head;
  }

  get head(): LedgerHead | undefined {
    return this.#head;
  }

  async loadHead(db: Db): Promise<void> {
    const row = await db
      .selectFrom('consent_chain')
      .select(['position', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    this.#head = row ?? { position: 0, hash: GENESIS };
  }

  /** Chains a record after the head; written by `save`. */
  append(record: ConsentRecord, subject: ConsentSubject): void {
    if (!this.#head) throw new Error('ConsentLedger.loadHead must run before append');
    const position = this.#head.position + 1;
    const body = JSON.stringify({ position, ...record, subjectDigest: subjectDigest(subject) });
    const digest = sha256(`${this.#head.hash}\n${body}`);
    this.#pending.push({
      row: {
        position,
        record_id: record.recordId,
        prev_hash: this.#head.hash,
        hash: digest,
        record_json: body,
      },
      subject,
    });
    this.#head = { position, hash: digest };
  }

  async save(trx: Transaction<Database>): Promise<void> {
    if (this.#pending.length === 0) return;
    await ledgerWriter.write(
      trx,
      this.#pending.map(({ row }) => row),
    );
    await subjectWriter.write(
      trx,
      this.#pending.map(({ row, subject }) => ({
        record_id: row.record_id,
        subject_json: JSON.stringify(subject),
      })),
    );
    await subjectIndexWriter.write(
      trx,
      this.#pending.flatMap(({ row, subject }) =>
        subjectKeys(subject).map((subject_key) => ({ subject_key, record_id: row.record_id })),
      ),
    );
    await trx
      .insertInto('consent_chain')
      .values({ id: 1, ...this.#head! })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ position: this.#head!.position, hash: this.#head!.hash }),
      )
      .execute();
    this.#pending.length = 0;
  }
}

/** What `reclaim consent verify` found. */
export type VerifyResult =
  | { ok: true; records: number; head: string }
  | {
      ok: false;
      records: number;
      position: number;
      problem: 'edited' | 'deleted' | 'reordered' | 'subject_altered' | 'head_mismatch';
      detail: string;
    };

/** Records in the ledger: the position of the chain's head (one row), for `/metrics`. */
export async function ledgerLength(db: Db): Promise<number> {
  const head = await db.selectFrom('consent_chain').select('position').where('id', '=', 1).executeTakeFirst();
  return Number(head?.position ?? 0);
}

/** Recomputes the whole chain; reports the first record that was edited, deleted or moved. */
export async function verifyLedger(db: Db): Promise<VerifyResult> {
  const head = await db
    .selectFrom('consent_chain')
    .select(['position', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  let previous = GENESIS;
  let expected = 1;
  let records = 0;
  const pageSize = 5000;
  for (let after = 0; ;) {
    const rows = await db
      .selectFrom('consent_ledger')
      .leftJoin('consent_subjects', 'consent_subjects.record_id', 'consent_ledger.record_id')
      .select(['position', 'consent_ledger.record_id', 'prev_hash', 'hash', 'record_json', 'subject_json'])
      .where('position', '>', after)
      .orderBy('position')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      records++;
      const fail = (
        problem: Exclude<VerifyResult, { ok: true }>['problem'],
        detail: string,
      ): VerifyResult => ({ ok: false, records, position: row.position, problem, detail });
      if (row.position !== expected)
        return fail('deleted', `record ${expected} is missing (found ${row.position} next)`);
      const body = JSON.parse(row.record_json) as { position?: number; subjectDigest?: string };
      if (body.position !== row.position)
        return fail(
          'reordered',
          `record at position ${row.position} says it belongs at ${String(body.position)}`,
        );
      if (row.prev_hash !== previous)
        return fail('reordered', `record ${row.position} does not follow record ${row.position - 1}`);
      if (sha256(`${row.prev_hash}\n${row.record_json}`) !== row.hash)
        return fail('edited', `record ${row.position} does not match its hash`);
      if (row.subject_json !== null && sha256(row.subject_json) !== body.subjectDigest) {
        return fail('subject_altered', `the subject of record ${row.position} was changed`);
      }
      previous = row.hash;
      expected++;
    }
    if (rows.length < pageSize) break;
    after = rows.at(-1)!.position;
  }
  if ((head?.position ?? 0) !== records || (head?.hash ?? GENESIS) !== previous) {
    return {
      ok: false,
      records,
      position: records,
      problem: 'head_mismatch',
      detail: `the chain head says ${head?.position ?? 0} records ending in ${(head?.hash ?? GENESIS).slice(0, 12)}…, the ledger has ${records}`,
    };
  }
  return { ok: true, records, head: previous };
}
