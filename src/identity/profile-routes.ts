import type { FastifyPluginAsync } from 'fastify';
import type { EventLog } from '../event-log/event-log.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import type { Store } from '../store/store.ts';
import { adminCommandEvent, exportIdFor, receiptIdFor } from './identity-commands.ts';
import { deleteExport, findExport, listExports } from './data-exports.ts';
import { loadReceipt, readReceipt } from './erasure.ts';
import type { IdentifierType } from './identifiers.ts';
import { currentProfileId, findProfile } from './profile-group.ts';
import { buildProfileView, type ProfileSection } from './profile-view.ts';

export interface ProfileRoutesOptions {
  store: Store;
  log: EventLog;
  clock: Clock;
  sections: Record<string, ProfileSection>;
  /** Asks the engine to process the log now. */
  wake: () => void;
  /** How long erase and export requests wait for the engine before answering 202. */
  waitMs?: number;
  /** How long an export is kept (ms); older ones are gone even before housekeeping deletes them. */
  exportTtl: number;
  /** The store's country, for phone numbers typed without a country code. */
  phoneCountry?: string;
}

/** Lookup parameters and the identifier type each one names. */
export const LOOKUPS: ReadonlyMap<string, IdentifierType> = new Map<string, IdentifierType>([
  ['email', 'email'],
  ['phone', 'phone'],
  ['anonymous_id', 'anonymousId'],
  ['customer_id', 'customerId'],
  ['client_id', 'clientId'],
  ['browser_id', 'browserId'],
]);

/**
 * `/admin/v1/profiles/…`: look a shopper up, erase them everywhere (with a receipt), export their data.
 * Erase and export go through the event log, so they are ordered with every other event.
 */
export const profileRoutes: FastifyPluginAsync<ProfileRoutesOptions> = (app, opts) => {
  const { store, sections } = opts;
  const waitMs = opts.waitMs ?? 10_000;

  app.get('/admin/v1/profiles/lookup', async (req) => {
    const query = new Map(Object.entries(req.query as Record<string, unknown>));
    const given = [...LOOKUPS].flatMap(([param, type]) => {
      const value = query.get(param);
      return typeof value === 'string' && value !== '' ? [{ param, type, value }] : [];
    });
    if (given.length !== 1) {
      throw apiError('RECLAIM_ERR_BAD_REQUEST', `give exactly one of ${[...LOOKUPS.keys()].join(', ')}`);
    }
    const { param, type, value } = given[0]!;
    const found = await findProfile(store.db, type, value, opts.phoneCountry);
    if (found.status === 'invalid')
      throw apiError('RECLAIM_ERR_BAD_REQUEST', invalidLookup(param, type, opts.phoneCountry), param);
    if (found.status === 'shared') {
      throw apiError(
        'RECLAIM_ERR_NOT_FOUND',
        `that ${param} is shared by several shoppers and identifies none of them`,
      );
    }
    const view =
      found.status === 'found' &&
      (await buildProfileView(store.db, found.profileId, { timelineLimit: 200, sections }));
    if (!view) throw apiError('RECLAIM_ERR_NOT_FOUND', `no profile with that ${param}`);
    return view;
  });

  app.get<{ Params: { id: string } }>('/admin/v1/profiles/:id', async (req) => {
    const profileId = await currentProfileId(store.db, req.params.id);
    const view = profileId && (await buildProfileView(store.db, profileId, { timelineLimit: 200, sections }));
    if (!view) throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such profile');
    return view;
  });

  const command = async (
    kind: 'erase_customer' | 'data_request',
    profileId: string,
  ): Promise<CanonicalEvent> => {
    const event = adminCommandEvent(kind, profileId, opts.clock.now(), 'api');
    await opts.log.append([event]);
    opts.wake();
    return event;
  };

  const waitFor = async <T>(find: () => Promise<T | undefined>): Promise<T | undefined> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const found = await find();
      if (found !== undefined || Date.now() >= deadline) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  app.post<{ Params: { id: string } }>('/admin/v1/profiles/:id/erase', async (req, reply) => {
    const profileId = await currentProfileId(store.db, req.params.id);
    if (!profileId) throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such profile');
    const event = await command('erase_customer', profileId);
    const receiptId = receiptIdFor(event);
    const receipt = await waitFor(() => loadReceipt(store.db, receiptId));
    if (!receipt) return reply.status(202).send({ status: 'accepted', receiptId });
    return {
      status: 'erased',
      receipt: readReceipt(receipt),
    };
  });

  app.post<{ Params: { id: string } }>('/admin/v1/profiles/:id/export', async (req, reply) => {
    const profileId = await currentProfileId(store.db, req.params.id);
    if (!profileId) throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such profile');
    const exportId = exportIdFor(await command('data_request', profileId));
    const done = await waitFor(() =>
      store.db.selectFrom('data_exports').select('id').where('id', '=', exportId).executeTakeFirst(),
    );
    return reply
      .status(done ? 201 : 202)
      .send({ status: done ? 'ready' : 'accepted', exportId, url: `/admin/v1/exports/${exportId}` });
  });

  const keptSince = () => opts.clock.now() - opts.exportTtl;

  app.get<{ Params: { id: string } }>('/admin/v1/exports/:id', async (req) => {
    const found = await findExport(store.db, req.params.id, keptSince());
    if (!found) throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such export (deleted, expired or erased)');
    return found;
  });

  app.delete<{ Params: { id: string } }>('/admin/v1/exports/:id', async (req, reply) => {
    if (!(await deleteExport(store.db, req.params.id)))
      throw apiError('RECLAIM_ERR_NOT_FOUND', 'no such export');
    return reply.status(204).send();
  });

  app.get('/admin/v1/exports', async () => ({ exports: await listExports(store.db, keptSince()) }));
  return Promise.resolve();
};

/** Why a lookup value was refused, with what would make it work. */
export function invalidLookup(param: string, type: IdentifierType, phoneCountry?: string): string {
  if (type !== 'phone') return `${param} is not a valid ${type}`;
  return phoneCountry
    ? `${param} is not a valid phone number in ${phoneCountry} or in international form (+44 20 7946 0958)`
    : `${param} is not a valid phone number in international form (+44 20 7946 0958); set RECLAIM_STORE_COUNTRY to look up numbers written without a country code`;
}
