import type { FastifyPluginAsync } from 'fastify';
import { apiError } from '../http/errors/api-error.ts';
import { queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import { ScanRepository } from './scan-repository.ts';

export interface ScanRoutesOptions {
  store: Store;
}

/** `GET /admin/v1/scans?limit=N`: the scheduled scans, newest first (`docs/scanner.md`). */
export const scanRoutes: FastifyPluginAsync<ScanRoutesOptions> = (app, options) => {
  const scans = new ScanRepository(options.store);
  app.get('/admin/v1/scans', async (req) => {
    const given = queryParams(req)('limit');
    const limit = given === undefined ? 20 : Number(given);
    if (!/^\d+$/.test(given ?? '20') || !Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'limit must be an integer from 1 to 1000', 'limit');
    return { scans: await scans.list(limit) };
  });
  return Promise.resolve();
};
