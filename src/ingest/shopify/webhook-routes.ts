import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import { apiError } from '../../http/errors/api-error.ts';
import { parseJsonExact } from '../../http/body/json-body.ts';
import type { Ingestor } from '../ingestor.ts';
import { verifyShopifyHmac, type HmacCheck } from './webhook-hmac.ts';
import { acceptWebhook } from './webhook-ingest.ts';

/** Shopify order payloads can be large; this is far above any real one. */
export const WEBHOOK_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface WebhookRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
}

const REFUSALS: Record<Exclude<HmacCheck, { ok: true }>['reason'], string> = {
  no_secret_configured: 'webhooks are disabled: SHOPIFY_WEBHOOK_SECRET is not set',
  missing_signature: 'X-Shopify-Hmac-Sha256 header is missing',
  malformed_signature: 'X-Shopify-Hmac-Sha256 is not a base64 SHA-256 digest',
  signature_mismatch: 'X-Shopify-Hmac-Sha256 does not match the body',
};

/**
 * `POST /webhooks/shopify`: verifies the HMAC over the raw bytes before anything else, then persists the
 * canonical events and the delivery id in one transaction (processing happens after the answer, well
 * within Shopify's 5 s). A redelivery of the same `X-Shopify-Webhook-Id` is accepted and ignored.
 */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = (app, { config, clock, ingestor }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body: Buffer, done) => done(null, body));

  app.post('/webhooks/shopify', { bodyLimit: WEBHOOK_MAX_BODY_BYTES }, async (req) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyShopifyHmac(raw, header(req, 'x-shopify-hmac-sha256'), config.shopify.webhookSecrets);
    if (!check.ok) throw apiError('RECLAIM_ERR_SIGNATURE_INVALID', REFUSALS[check.reason]);
    if (raw.length === 0)
      throw apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is empty; a JSON document was expected');
    const result = await acceptWebhook(
      ingestor,
      req.headers,
      raw.toString('utf8'),
      parseJsonExact(raw),
      clock.now(),
    );
    if (result.status === 'ignored') req.log.info({ topic: result.topic }, 'webhook topic not used; ignored');
    return result;
  });
  return Promise.resolve();
};

function header(req: FastifyRequest, name: string): string | undefined {
  const value = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.length <= 1024 ? text : undefined;
}
