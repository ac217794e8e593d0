import type { FastifyPluginAsync } from 'fastify';
import { ISO_FORMAT, parseIsoTime } from '../runtime/iso-time.ts';
import { apiError } from '../http/errors/api-error.ts';
import { queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import { normalizeLookup } from './consent-subject-key.ts';
import { listConsentRecords, type ListedConsentRecord } from './consent-records.ts';
import { verifyLedger } from './consent-ledger.ts';

/** `permission` as the API takes it → as the ledger names it. */
const PERMISSIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    tracking: 'tracking',
    email: 'email_marketing',
    sms: 'sms_marketing',
    email_marketing: 'email_marketing',
    sms_marketing: 'sms_marketing',
  }),
);

const CSV_COLUMNS = [
  'position',
  'recordId',
  'occurredAt',
  'receivedAt',
  'permission',
  'state',
  'basis',
  'source',
  'regime',
  'country',
  'email',
  'phone',
  'customerId',
  'devices',
  'wordingId',
  'wording',
  'hash',
] as const;

/** RFC 4180 field; a leading `=`, `+`, `-`, `@` is quoted with `'` so a spreadsheet never runs it as a formula. */
function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(r: ListedConsentRecord): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | null | undefined> = {
    position: r.position,
    recordId: r.recordId,
    occurredAt: iso(r.occurredAt),
    receivedAt: iso(r.receivedAt),
    permission: r.permission,
    state: r.state,
    basis: r.basis,
    source: r.source,
    regime: r.regime,
    country: r.country,
    email: r.subject?.email,
    phone: r.subject?.phone,
    customerId: r.subject?.customerId,
    devices: r.subject?.devices?.join(' '),
    wordingId: r.wordingId,
    wording: r.wording,
    hash: r.hash,
  };
  return CSV_COLUMNS.map((c) => csvField(values[c])).join(',');
}

const time = (value: string | undefined, name: string, end: boolean): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const parsed = parseIsoTime(value);
  if (!parsed.ok)
    throw apiError('RECLAIM_ERR_BAD_REQUEST', `${name} must be ${ISO_FORMAT}; got "${value}"`, name);
  return end && parsed.dateOnly ? parsed.ms + 86_400_000 : parsed.ms;
};

/**
 * `GET /admin/v1/consent/records` (CONTRACT.md "Admin API"): ledger records newest first, JSON or, with
 * `Accept: text/csv`, CSV; and `GET /admin/v1/consent/verification`, the ledger's chain check.
 */
export const consentRecordRoutes: FastifyPluginAsync<{ store: Store; phoneCountry?: string }> = (
  app,
  { store, phoneCountry },
) => {
  app.get('/admin/v1/consent/records', async (req, reply) => {
    const param = queryParams(req);
    const subjects = (['anonymous_id', 'email', 'phone', 'customer_id'] as const).flatMap((name) => {
      const value = param(name);
      return value ? [{ name, value }] : [];
    });
    if (subjects.length > 1)
      throw apiError(
        'RECLAIM_ERR_BAD_REQUEST',
        'give at most one of anonymous_id, email, phone, customer_id',
      );
    let subjectKey: string | undefined;
    if (subjects[0]) {
      const key = normalizeLookup(subjects[0].name, subjects[0].value, phoneCountry);
      if (!key.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', key.message, subjects[0].name);
      subjectKey = key.subjectKey;
    }
    const permissionParam = param('permission');
    const permission = permissionParam === undefined ? undefined : PERMISSIONS.get(permissionParam);
    if (permissionParam !== undefined && !permission)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'permission must be tracking, email or sms', 'permission');
    const cursor = param('cursor');
    const before = cursor === undefined ? undefined : Number(cursor);
    if (before !== undefined && (!Number.isInteger(before) || before < 1))
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'cursor must be the nextCursor of a previous page', 'cursor');
    const csv = (req.headers.accept ?? '').includes('text/csv');
    const limitParam = param('limit');
    const limit = limitParam === undefined ? (csv ? 100_000 : 100) : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'limit must be an integer from 1 to 100000', 'limit');
    const records = await listConsentRecords(store.db, {
      subjectKey,
      permission,
      from: time(param('from'), 'from', false),
      to: time(param('to'), 'to', true),
      before,
      limit,
    });
    const nextCursor = records.length === limit ? String(records.at(-1)!.position) : null;
    if (csv) {
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="consent-records.csv"');
      if (nextCursor) void reply.header('x-next-cursor', nextCursor);
      return [CSV_COLUMNS.join(','), ...records.map(csvRow)].join('\r\n') + '\r\n';
    }
    return { records, nextCursor };
  });

  app.get('/admin/v1/consent/verification', async () => ({
    checkedAt: new Date().toISOString(),
    ...(await verifyLedger(store.db)),
  }));
  return Promise.resolve();
};
