import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Store } from '../store/store.ts';
import { adminClientFor } from './shopify-admin-api.ts';
import { shopifyStatus } from './shopify-status.ts';

export interface ShopifyStatusRoutesOptions {
  store: Store;
  config: Config;
  /** Injected in tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

/**
 * `GET /admin/v1/shopify/status`: the same answer as `reclaim shopify status --json`. It is 200 even when
 * Shopify cannot be asked (`api.ok: false` says why); the local half (last deliveries, last pixel event)
 * is always there.
 */
export const shopifyStatusRoutes: FastifyPluginAsync<ShopifyStatusRoutesOptions> = (
  app,
  { store, config, fetch },
) => {
  app.get('/admin/v1/shopify/status', () =>
    shopifyStatus({
      db: store.db,
      shop: config.shopify.shop,
      publicUrl: config.publicUrl,
      client: adminClientFor(config.shopify, fetch ? { fetch } : {}),
    }),
  );
  return Promise.resolve();
};
