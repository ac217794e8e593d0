import '@shopify/shopify-api/adapters/node';
import { LogSeverity, shopifyApi, ShopifyError, type Shopify } from '@shopify/shopify-api';
import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import type { Store } from '../store/store.ts';
import { SHOPIFY_ADMIN_API_VERSION } from './shopify-admin-api.ts';
import { REQUIRED_SCOPES } from './shopify-requirements.ts';
import { TokenCipher } from './token-cipher.ts';

export interface ShopifyOAuthRoutesOptions {
  store: Store;
  config: Config;
  clock: Clock;
}

export const INSTALL_PATH = '/shopify/install';
export const CALLBACK_PATH = '/shopify/callback';

/**
 * Shopify's OAuth through `@shopify/shopify-api` (the authorization code grant,
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant),
 * or undefined while `SHOPIFY_API_KEY`, `SHOPIFY_WEBHOOK_SECRET`, `RECLAIM_PUBLIC_URL` or
 * `RECLAIM_ENCRYPTION_KEY` is unset.
 */
function oauthFor(config: Config): { api: Shopify; cipher: TokenCipher } | undefined {
  const secret = config.shopify.webhookSecrets[0];
  if (!config.shopify.apiKey || !secret || !config.publicUrl || !config.encryptionKey) return undefined;
  const publicUrl = new URL(config.publicUrl);
  const api = shopifyApi({
    apiKey: config.shopify.apiKey,
    apiSecretKey: secret,
    scopes: REQUIRED_SCOPES.map((s) => s.handle),
    hostName: publicUrl.host,
    hostScheme: publicUrl.protocol === 'http:' ? 'http' : 'https',
    apiVersion: SHOPIFY_ADMIN_API_VERSION as Shopify['config']['apiVersion'],
    isEmbeddedApp: false,
    // The library's log lines name shops and carry request details; Reclaim logs its own, without PII.
    logger: {
      level: LogSeverity.Error,
      log: () => Promise.resolve(),
      httpRequests: false,
      timestamps: false,
    },
  });
  const base = config.shopify.adminBaseUrl;
  if (base)
    // Staging and tests: the token exchange goes to the Admin API origin configured for the stand-in, as
    // every other Admin API call does.
    setAbstractFetchFunc((input, init) =>
      fetch(urlOf(input).replace(/^https:\/\/[^/]+\/admin\/oauth\//, `${base}/admin/oauth/`), init),
    );
  return { api, cipher: new TokenCipher(config.encryptionKey) };
}

const urlOf = (input: string | URL | Request) =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

const refused = (message: string) => apiError('RECLAIM_ERR_SHOPIFY_REFUSED', message);

/**
 * The install route of an app distributed from Shopify's dashboard. `GET /shopify/install?shop=` checks the
 * shop domain and redirects the merchant to Shopify's grant screen with a signed, one-minute `state`
 * cookie; `GET /shopify/callback` checks the HMAC of Shopify's redirect (and its age), the `state` against
 * the cookie and the shop domain again, exchanges the code for an offline access token and stores it
 * encrypted (`shopify_installations`). Anything refused answers `RECLAIM_ERR_SHOPIFY_REFUSED`.
 */
export const shopifyOAuthRoutes: FastifyPluginAsync<ShopifyOAuthRoutesOptions> = (
  app,
  { store, config, clock },
) => {
  const oauth = oauthFor(config);
  const notConfigured = () =>
    apiError(
      'RECLAIM_ERR_NOT_FOUND',
      'the Shopify install route is off: set SHOPIFY_API_KEY, SHOPIFY_WEBHOOK_SECRET, RECLAIM_PUBLIC_URL and RECLAIM_ENCRYPTION_KEY',
    );

  app.get<{ Querystring: Record<string, string | undefined> }>(INSTALL_PATH, async (req, reply) => {
    if (!oauth) throw notConfigured();
    const shop = oauth.api.utils.sanitizeShop(String(req.query.shop ?? ''), false);
    if (!shop)
      throw refused('shop must be the store’s myshopify.com domain, such as northwind-demo.myshopify.com');
    reply.hijack();
    await oauth.api.auth.begin({
      shop,
      callbackPath: CALLBACK_PATH,
      isOnline: false,
      rawRequest: req.raw,
      rawResponse: reply.raw,
    });
  });

  app.get(CALLBACK_PATH, async (req, reply) => {
    if (!oauth) throw notConfigured();
    let session;
    let headers: Record<string, string | string[]> = {};
    try {
      const result = await oauth.api.auth.callback({ rawRequest: req.raw, rawResponse: reply.raw });
      session = result.session;
      headers = (result.headers ?? {}) as Record<string, string | string[]>;
    } catch (error) {
      if (!(error instanceof ShopifyError)) throw error;
      throw refused(`install refused (${error.constructor.name}): start it again from the Shopify admin`);
    }
    if (!session.accessToken) throw refused('Shopify answered the code exchange without an access token');
    const now = clock.now();
    const row = {
      shop: session.shop,
      scopes: session.scope ?? '',
      token_encrypted: oauth.cipher.encrypt(session.accessToken, session.shop),
      installed_at: now,
      updated_at: now,
    };
    await store.db
      .insertInto('shopify_installations')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('shop')
          .doUpdateSet({ scopes: row.scopes, token_encrypted: row.token_encrypted, updated_at: now }),
      )
      .execute();
    req.log.info({ scopes: row.scopes }, 'shopify app installed');
    return reply
      .headers(headers)
      .type('text/plain; charset=utf-8')
      .send(
        `Reclaim is installed on ${session.shop} (scopes ${row.scopes}).\nNext: reclaim shopify connect, then reclaim shopify import.\n`,
      );
  });
  return Promise.resolve();
};
