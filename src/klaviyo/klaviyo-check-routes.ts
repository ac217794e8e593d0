import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { klaviyoSettings } from '../destinations/klaviyo/settings.ts';
import { KlaviyoApi } from './klaviyo-api.ts';
import { checkKlaviyo } from './klaviyo-check.ts';

export interface KlaviyoCheckRoutesOptions {
  config: Config;
  /** Injected in tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

/**
 * `GET /admin/v1/klaviyo/check`: the same answer as `reclaim klaviyo check --json`. It is 200 whatever
 * Klaviyo says (`ok`, `api` and `problems` tell); it does not wait out a throttled Klaviyo for long.
 */
export const klaviyoCheckRoutes: FastifyPluginAsync<KlaviyoCheckRoutesOptions> = (app, { config, fetch }) => {
  app.get('/admin/v1/klaviyo/check', () => {
    const settings = klaviyoSettings(config);
    return checkKlaviyo(
      settings && new KlaviyoApi(settings, { maxWaitMs: 5_000, ...(fetch ? { fetch } : {}) }),
    );
  });
  return Promise.resolve();
};
