import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../server/api-error.ts';
import { queryParams } from '../server/query-params.ts';
import type { Store } from '../store/store.ts';
import { gapReport } from './gap-report.ts';
import { reportPeriod } from './report-period.ts';
import { stageDays } from './stage-days.ts';

export interface ReportRoutesOptions {
  store: Store;
  clock: Clock;
  /** `reports.attributionWindow` (ms). */
  attributionWindow: number;
}

/** `GET /admin/v1/reports/gap?from&to`: the gap report as JSON (`docs/reports.md`). */
export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = (app, options) => {
  app.get('/admin/v1/reports/gap', async (req) => {
    const param = queryParams(req);
    const period = reportPeriod({ from: param('from'), to: param('to') }, options.clock.now());
    if (!period.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', period.message, period.field);
    return gapReport(options.store.db, { ...period, attributionWindow: options.attributionWindow });
  });
  /** `GET /admin/v1/reports/stages-by-day?from&to`: abandonments per day and stage (same period rules). */
  app.get('/admin/v1/reports/stages-by-day', async (req) => {
    const param = queryParams(req);
    const period = reportPeriod({ from: param('from'), to: param('to') }, options.clock.now());
    if (!period.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', period.message, period.field);
    return stageDays(options.store.db, period.from, period.to);
  });
  return Promise.resolve();
};
