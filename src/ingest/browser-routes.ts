import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { browserKey, requirePublishableKey } from '../http/auth/browser-key-auth.ts';
import { requireWriteKey } from '../http/auth/write-key-auth.ts';
import { apiError } from '../http/errors/api-error.ts';
import { originCheck } from '../http/origin/origin-check.ts';
import { rateLimitHook } from '../http/rate-limit/rate-limit-hook.ts';
import { RateLimiter } from '../http/rate-limit/rate-limiter.ts';
import type { Clock } from '../runtime/clock.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { consentEvent } from './consent-endpoint/consent-mapper.ts';
import { asDict } from './fields.ts';
import type { EventLog } from '../event-log/event-log.ts';
import type { CallPreparer } from './ingest-workers.ts';
import type { Ingestor } from './ingestor.ts';
import { pixelRoutes } from './pixel/pixel-routes.ts';
import { readRequestSignals } from './request-signals.ts';

export interface BrowserRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
  eventLog: EventLog;
  preparer: CallPreparer;
  /**
   * More browser endpoints (`/v1/consent/*`), registered behind the same CORS, origin check and rate
   * limit.
   */
  extraRoutes?: FastifyPluginAsync;
  /** Called once a new consent decision is stored (not for a duplicate), with the body it came from. */
  consentRecorded?: (body: Record<string, unknown>, event: CanonicalEvent) => void;
}

/**
 * The endpoints browsers call directly — `/v1/pixel` and `/v1/consent` — with CORS for the store's
 * origins (a browser's request from any other origin is refused) and a per-IP rate limit.
 */
export const browserRoutes: FastifyPluginAsync<BrowserRoutesOptions> = async (
  app,
  { config, clock, ingestor, eventLog, preparer, extraRoutes, consentRecorded },
) => {
  const origins = config.pixel.allowedOrigins;
  const anyOrigin = origins.includes('*');
  await app.register(cors, {
    origin: anyOrigin ? '*' : origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-reclaim-key'],
    maxAge: 86_400,
  });
  app.addHook('onRequest', originCheck(origins));
  app.addHook(
    'onRequest',
    rateLimitHook(
      new RateLimiter(clock, config.pixel.rateLimitPerMinute),
      'too many requests from this address',
    ),
  );

  // A page's pixel may name its publishable key; one that names another key is refused. Without a key the
  // pixel endpoint stays open, as Shopify's pixel sandbox has always called it.
  app.addHook('preHandler', (req, _reply, done) => {
    const key = req.routeOptions.url === '/v1/pixel' ? browserKey(req) : undefined;
    try {
      if (key !== undefined) requirePublishableKey(req, config.publishableKeys, key);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  await app.register(pixelRoutes, { config, clock, eventLog, preparer });
  if (extraRoutes) await app.register(extraRoutes);

  app.post('/v1/consent', { bodyLimit: 64 * 1024 }, async (req) => {
    const raw = asDict(req.body);
    const key = browserKey(req, raw.key);
    if (key !== undefined) requirePublishableKey(req, config.publishableKeys, key);
    else requireWriteKey(req, config.writeKeys, raw.writeKey, config.publishableKeys);
    const event = consentEvent(raw, readRequestSignals(req, config.geo, clock.now()));
    if (typeof raw.revision === 'number' && raw.revision > config.consent.revision)
      throw apiError(
        'RECLAIM_ERR_CONSENT_REVISION_UNKNOWN',
        `revision ${raw.revision} is newer than the store's banner revision ${config.consent.revision}`,
        'revision',
      );
    const result = await ingestor.accept([event]);
    if (result.stored && consentRecorded) consentRecorded(raw, event);
    return { status: result.stored ? 'recorded' : 'duplicate', id: event.id };
  });
};
