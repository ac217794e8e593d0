import type { FastifyPluginAsync } from 'fastify';
import { reportPeriod } from '../reports/report-period.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import { queryParams } from '../http/body/query-params.ts';
import type { BannerCounts } from './banner-counts.ts';

export interface ConsentRatesRoutesOptions {
  counts: BannerCounts;
  clock: Clock;
}

/**
 * `GET /admin/v1/consent/rates?from&to`: the banner's impressions and decisions per UTC day and regime,
 * `{ from, to, days: [{ day, regime, impressions, decisions, acceptAll, rejectAll, custom }] }`. `from` and
 * `to` are read as the gap report reads them (default: the last 30 days).
 */
export const consentRatesRoutes: FastifyPluginAsync<ConsentRatesRoutesOptions> = (app, { counts, clock }) => {
  app.get('/admin/v1/consent/rates', async (req) => {
    const param = queryParams(req);
    const period = reportPeriod({ from: param('from'), to: param('to') }, clock.now());
    if (!period.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', period.message, period.field);
    return {
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      days: await counts.rates(period.from, period.to),
    };
  });
  return Promise.resolve();
};
