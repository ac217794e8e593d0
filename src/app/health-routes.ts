import type { FastifyPluginAsync } from 'fastify';
import { isReachable, type Store } from '../store/store.ts';
import { pendingMigrations } from '../store/migrator.ts';
import { apiError } from '../http/errors/api-error.ts';

/** `GET /healthz`: the process is alive. `GET /readyz`: the database answers and is fully migrated. */
export const healthRoutes: FastifyPluginAsync<{ store: Store }> = (app, { store }) => {
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async () => {
    if (!(await isReachable(store))) throw apiError('RECLAIM_ERR_UNAVAILABLE', 'database is not reachable');
    const pending = await pendingMigrations(store);
    if (pending.length > 0) {
      throw apiError(
        'RECLAIM_ERR_UNAVAILABLE',
        `database has ${pending.length} pending migration(s); run reclaim migrate`,
      );
    }
    return { status: 'ready', database: store.dialect };
  });
  return Promise.resolve();
};
