import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { klaviyoSettings } from '../destinations/klaviyo/settings.ts';
import { klaviyoSentByStage } from '../reports/klaviyo-sent.ts';
import { reportPeriod } from '../reports/report-period.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import { queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import { KlaviyoApi } from './klaviyo-api.ts';
import { checkKlaviyo } from './klaviyo-check.ts';
import { klaviyoResults } from './klaviyo-results.ts';

export interface KlaviyoCheckRoutesOptions {
  config: Config;
  store: Store;
  clock: Clock;
  /** Injected in tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

/**
 * `GET /admin/v1/klaviyo/check`: the same answer as `reclaim klaviyo check --json`. It is 200 whatever
 * Klaviyo says (`ok`, `api` and `problems` tell); it does not wait out a throttled Klaviyo for long.
 *
 * `GET /admin/v1/klaviyo/results?from&to`: the same answer as `reclaim klaviyo results --json`; 200
 * whatever Klaviyo says (`ok` and `failure` tell), 400 for a bad period.
 */
export const klaviyoCheckRoutes: FastifyPluginAsync<KlaviyoCheckRoutesOptions> = (
  app,
  { config, store, clock, fetch },
) => {
  const api = () => {
    const settings = klaviyoSettings(config);
    return settings && new KlaviyoApi(settings, { maxWaitMs: 5_000, ...(fetch ? { fetch } : {}) });
  };
  app.get('/admin/v1/klaviyo/check', () => checkKlaviyo(api()));
  app.get('/admin/v1/klaviyo/results', async (req) => {
    const param = queryParams(req);
    const period = reportPeriod({ from: param('from'), to: param('to') }, clock.now());
    if (!period.ok) throw apiError('RECLAIM_ERR_BAD_REQUEST', period.message, period.field);
    const sent = await klaviyoSentByStage(store.db, period);
    return klaviyoResults(api(), { ...period, sent });
  });
  return Promise.resolve();
};
