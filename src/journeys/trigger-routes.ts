import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { consentRecordsById } from '../consent/consent-records.ts';
import { ISO_FORMAT, parseIsoTime } from '../runtime/iso-time.ts';
import { apiError } from '../http/errors/api-error.ts';
import { oneOf, queryParams } from '../http/body/query-params.ts';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { TriggerBody } from './firing.ts';
import { STAGES } from './journey.ts';

/** Another module's view of a trigger (its deliveries), merged into the listing and the detail. */
export type TriggerDetail = (
  db: Kysely<Database>,
  triggerIds: string[],
) => Promise<Map<string, Record<string, unknown>>>;

export interface TriggerRoutesOptions {
  store: Store;
  details: readonly TriggerDetail[];
}

const parseTime = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const time = parseIsoTime(value);
  if (!time.ok)
    throw apiError('RECLAIM_ERR_BAD_REQUEST', `${name} must be ${ISO_FORMAT}; got "${value}"`, name);
  return time.ms;
};

/** One trigger as the admin API lists it: stage, profile, recipient, legal basis per channel, delivery state. */
export function summarize(trigger: TriggerBody) {
  const channel = (name: 'email' | 'sms') => {
    const decision = trigger.decisions[name];
    const contact = trigger.recipient[name === 'sms' ? 'phone' : 'email'];
    return {
      recipient: 'value' in contact ? contact.value : null,
      recipientReason: 'value' in contact ? contact.reason : contact.refused,
      ...('allowed' in decision && decision.allowed
        ? { allowed: true, basis: decision.basis }
        : 'defer' in decision
          ? { allowed: true, basis: decision.basis, deferredUntil: new Date(decision.defer).toISOString() }
          : { allowed: false, reason: decision.reason }),
    };
  };
  return {
    id: trigger.id,
    stage: trigger.stage,
    profileId: trigger.profileId,
    journeyId: trigger.journeyId,
    dueAt: new Date(trigger.dueAt).toISOString(),
    firedAt: new Date(trigger.firedAt).toISOString(),
    value: trigger.value ?? null,
    currency: trigger.currency ?? null,
    recoveryUrl: trigger.recoveryUrl ?? null,
    email: channel('email'),
    sms: channel('sms'),
    jurisdiction: trigger.jurisdiction,
    klaviyoLikelySaw: trigger.native.klaviyoLikelySaw,
  };
}

/** `GET /admin/v1/triggers` and `GET /admin/v1/triggers/{id}` (the full trigger and the ledger records behind its decisions). */
export const triggerRoutes: FastifyPluginAsync<TriggerRoutesOptions> = (app, { store, details }) => {
  app.get('/admin/v1/triggers', async (req) => {
    const param = queryParams(req);
    const from = parseTime(param('from'), 'from');
    const to = parseTime(param('to'), 'to');
    const stage = oneOf('stage', param('stage'), STAGES);
    const given = param('limit');
    const limit = given === undefined ? 500 : Number(given);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'limit must be an integer from 1 to 5000', 'limit');
    let q = store.db.selectFrom('triggers').select('body_json').orderBy('fired_at', 'desc').limit(limit);
    if (from !== undefined) q = q.where('fired_at', '>=', from);
    if (to !== undefined) q = q.where('fired_at', '<', to);
    if (stage) q = q.where('stage', '=', stage);
    const triggers = (await q.execute()).map((r) => JSON.parse(r.body_json) as TriggerBody);
    const extra = await Promise.all(
      details.map((d) =>
        d(
          store.db,
          triggers.map((t) => t.id),
        ),
      ),
    );
    return {
      triggers: triggers.map((t) => {
        const listed: Record<string, unknown> = summarize(t);
        for (const detail of extra) Object.assign(listed, detail.get(t.id) ?? {});
        return listed;
      }),
    };
  });

  app.get<{ Params: { id: string } }>('/admin/v1/triggers/:id', async (req) => {
    const row = await store.db
      .selectFrom('triggers')
      .select(['body_json', 'created_at'])
      .where('id', '=', req.params.id)
      .executeTakeFirst();
    if (!row) throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such trigger');
    const trigger = JSON.parse(row.body_json) as TriggerBody;
    const answer: Record<string, unknown> = { trigger, why: await explainDecisions(store.db, trigger) };
    for (const detail of details)
      Object.assign(answer, (await detail(store.db, [trigger.id])).get(trigger.id) ?? {});
    return answer;
  });
  return Promise.resolve();
};

/** "Why was this sent (or not)": each channel's decision with the ledger records it rests on. */
export async function explainDecisions(db: Kysely<Database>, trigger: TriggerBody) {
  const ids = [...new Set([...trigger.decisions.email.recordIds, ...trigger.decisions.sms.recordIds])];
  const records = await consentRecordsById(db, ids);
  const explain = (channel: 'email' | 'sms') => ({
    decision: trigger.decisions[channel],
    recipient: trigger.recipient[channel === 'sms' ? 'phone' : 'email'],
    records: trigger.decisions[channel].recordIds.map(
      (id) => records.get(id) ?? { recordId: id, missing: true },
    ),
  });
  return { jurisdiction: trigger.jurisdiction, email: explain('email'), sms: explain('sms') };
}
