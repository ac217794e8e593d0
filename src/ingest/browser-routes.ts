import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Clock } from '../runtime/clock.ts';
import { ApiError, apiError } from '../server/api-error.ts';
import { consentEvent } from './consent-endpoint/consent-mapper.ts';
import { asDict } from './fields.ts';
import type { EventLog } from './event-log.ts';
import type { CallPreparer } from './ingest-workers.ts';
import type { Ingestor } from './ingestor.ts';
import { pixelRoutes } from './pixel/pixel-routes.ts';
import { RateLimiter } from './rate-limiter.ts';
import { readRequestSignals } from './request-signals.ts';
import { requireWriteKey } from './write-key-auth.ts';

export interface BrowserRoutesOptions {
  config: Config;
  clock: Clock;
  ingestor: Ingestor;
  eventLog: EventLog;
  preparer: CallPreparer;
}

/**
 * The endpoints browsers call directly — `/v1/pixel` and `/v1/consent` — with CORS for the store's
 * origins (a browser's request from any other origin is refused) and a per-IP rate limit.
 */
export const browserRoutes: FastifyPluginAsync<BrowserRoutesOptions> = async (
  app,
  { config, clock, ingestor, eventLog, preparer },
) => {
  const origins = config.pixel.allowedOrigins;
  const anyOrigin = origins.includes('*');
  await app.register(cors, {
    origin: anyOrigin ? '*' : origins,
    methods: ['POST'],
    allowedHeaders: ['content-type', 'authorization'],
    maxAge: 86_400,
  });
  const limiter = new RateLimiter(clock, config.pixel.rateLimitPerMinute);
  app.addHook('onRequest', (req, _reply, done) => {
    const origin = req.headers.origin;
    if (!anyOrigin && origin !== undefined && !origins.includes(origin.toLowerCase())) {
      done(apiError('RECLAIM_ERR_ORIGIN_FORBIDDEN', 'requests from this origin are not accepted'));
      return;
    }
    const wait = req.method === 'OPTIONS' ? 0 : limiter.take(req.ip);
    done(
      wait > 0
        ? new ApiError('RECLAIM_ERR_RATE_LIMITED', 'too many requests from this address', undefined, {
            'retry-after': String(wait),
          })
        : undefined,
    );
  });

  await app.register(pixelRoutes, { config, clock, eventLog, preparer });

  app.post('/v1/consent', { bodyLimit: 64 * 1024 }, async (req) => {
    const raw = asDict(req.body);
    requireWriteKey(req, config.writeKeys, raw.writeKey);
    const event = consentEvent(raw, readRequestSignals(req, config.geo, clock.now()));
    const result = await ingestor.accept([event]);
    return { status: result.stored ? 'recorded' : 'duplicate', id: event.id };
  });
};
