import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import { oneOf, queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import { ACCURACY_REASONS, accuracyReport, type ConversionDestination } from './accuracy-report.ts';
import { gapReport } from './gap-report.ts';
import { reportPeriod } from './report-period.ts';
import { stageDays } from './stage-days.ts';

export interface ReportRoutesOptions {
  store: Store;
  clock: Clock;
  /** `reports.attributionWindow` (ms). */
  attributionWindow: number;
  /** Every destination that receives purchases, on or off. */
  conversionDestinations: readonly ConversionDestination[];
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
  /** `GET /admin/v1/reports/accuracy?from&to&destination&reason&offset&limit`: orders seen vs purchases sent. */
  app.get('/admin/v1/reports/accuracy', async (req) => {
    const param = queryParams(req);
    const period = reportPeriod({ from: param('from'), to: param('to') }, options.clock.now());
    if (!period.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', period.message, period.field);
    const names = options.conversionDestinations.map((d) => d.name);
    const destination = param('destination');
    if (destination !== undefined && !names.includes(destination))
      throw apiError(
        'RECLAIM_ERR_BAD_REQUEST',
        `destination must be one of ${names.join(', ')}`,
        'destination',
      );
    const reason = oneOf('reason', param('reason'), ACCURACY_REASONS);
    const offset = integer(param('offset'), 0);
    if (offset === undefined || offset < 0)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'offset must be a whole number from 0', 'offset');
    const limit = integer(param('limit'), 50);
    if (limit === undefined || limit < 1 || limit > 500)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'limit must be a whole number from 1 to 500', 'limit');
    return accuracyReport(options.store.db, {
      ...period,
      destinations: options.conversionDestinations,
      destination,
      reason,
      offset,
      limit,
    });
  });
  return Promise.resolve();
};

/** A query parameter as a whole number, `fallback` when absent, undefined when it is not one. */
function integer(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}
