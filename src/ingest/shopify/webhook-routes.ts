import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config-schema.ts';
import type { Clock } from '../../runtime/clock.ts';
import { apiError } from '../../server/api-error.ts';
import { parseJsonExact } from '../../server/json-body.ts';
import type { Ingestor } from '../ingestor.ts';
import { parseTime } from '../validation.ts';
import { text } from '../fields.ts';
import { verifyShopifyHmac, type HmacCheck } from './webhook-hmac.ts';
import { mapWebhook } from './webhook-mapper.ts';

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
    const topic = header(req, 'x-shopify-topic');
    if (!topic)
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'X-Shopify-Topic header is missing', 'X-Shopify-Topic');
    if (raw.length === 0)
      throw apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is empty; a JSON document was expected');
    const shop = text(header(req, 'x-shopify-shop-domain'), 255) ?? 'unknown-shop';
    const webhookId =
      text(header(req, 'x-shopify-webhook-id'), 256) ??
      `sha256:${createHash('sha256').update(topic).update(raw).digest('hex')}`;
    const receivedAt = clock.now();
    const triggeredAt = parseTime(header(req, 'x-shopify-triggered-at'));
    const events = mapWebhook(parseJsonExact(raw), {
      topic,
      shop,
      webhookId,
      receivedAt,
      ...(triggeredAt ? { triggeredAt } : {}),
    });
    if (!events) {
      req.log.info({ topic }, 'webhook topic not used; ignored');
      return { status: 'ignored', topic };
    }
    const result = await ingestor.accept(events, async (trx) => {
      const inserted = await trx
        .insertInto('webhook_deliveries')
        .values({ shop, webhook_id: webhookId, topic, received_at: receivedAt })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
    });
    return result.stored === 0 && result.duplicates > 0
      ? { status: 'duplicate' }
      : { status: 'accepted', events: result.stored };
  });
  return Promise.resolve();
};

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.length <= 1024 ? text : undefined;
}
