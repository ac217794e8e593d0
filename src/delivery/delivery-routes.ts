import type { FastifyPluginAsync } from 'fastify';
import { DELIVERY_KINDS, type DeliveryKind, type RateLimit } from '../destinations/kit/destination.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import { oneOf, queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import {
  DELIVERY_STATUSES,
  destinationOverview,
  dropDeliveries,
  listDeliveries,
  retryDeliveries,
} from './delivery-admin.ts';
import { DestinationStates } from './destination-states.ts';

export interface DeliveryRoutesOptions {
  store: Store;
  clock: Clock;
  /** The destinations this config turns on. */
  destinations: readonly string[];
  /** Each enabled destination's send limits per kind of delivery. */
  sendLimits?: Readonly<Record<string, Partial<Record<DeliveryKind, RateLimit>>>>;
  /** Asks the delivery workers to look for due rows now. */
  wake: () => void;
}

/**
 * `GET /admin/v1/deliveries`, `POST /admin/v1/deliveries/{id}/retry|drop`, `GET /admin/v1/destinations`,
 * `POST /admin/v1/destinations/{name}/resume`: the outbox and the destinations, for operators.
 */
export const deliveryRoutes: FastifyPluginAsync<DeliveryRoutesOptions> = (app, options) => {
  const { store, clock, destinations, wake } = options;

  app.get('/admin/v1/deliveries', async (req) => {
    const param = queryParams(req);
    const status = oneOf('status', param('status'), DELIVERY_STATUSES);
    const kind = oneOf('kind', param('kind'), DELIVERY_KINDS);
    const given = param('limit');
    const limit = given === undefined ? 100 : Number(given);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'limit must be an integer from 1 to 10000', 'limit');
    return {
      deliveries: await listDeliveries(store.db, {
        status,
        destination: param('destination'),
        kind,
        limit,
      }),
    };
  });

  app.post<{ Params: { id: string } }>('/admin/v1/deliveries/:id/retry', async (req) => {
    const changed = await retryDeliveries(store.db, { ids: [req.params.id] }, clock.now());
    if (changed === 0)
      throw apiError('RECLAIM_ERR_NOT_FOUND', 'no pending or dead-lettered delivery with this id');
    wake();
    return { retried: changed };
  });

  app.post<{ Params: { id: string } }>('/admin/v1/deliveries/:id/drop', async (req) => {
    const changed = await dropDeliveries(store.db, [req.params.id], clock.now());
    if (changed === 0)
      throw apiError('RECLAIM_ERR_NOT_FOUND', 'no pending or dead-lettered delivery with this id');
    return { dropped: changed };
  });

  app.get('/admin/v1/destinations', async () => ({
    destinations: await destinationOverview(store.db, destinations, clock.now(), options.sendLimits ?? {}),
  }));

  app.post<{ Params: { name: string } }>('/admin/v1/destinations/:name/resume', async (req) => {
    if (!destinations.includes(req.params.name))
      throw apiError('RECLAIM_ERR_NOT_FOUND', `${req.params.name} is not an enabled destination`);
    const resumed = await DestinationStates.resume(store.db, req.params.name, clock.now());
    wake();
    return { destination: req.params.name, resumed };
  });
  return Promise.resolve();
};
