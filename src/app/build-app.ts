import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type RawServerDefault,
} from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { bannerMetrics, type IngestSource, type Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { ApiError, apiError } from '../http/errors/api-error.ts';
import { clientErrorHandler } from '../http/errors/client-error.ts';
import { healthRoutes } from './health-routes.ts';
import { requireAdmin } from '../http/auth/admin-auth.ts';
import { withIsoTimes } from '../http/body/iso-times.ts';
import { profileRoutes } from '../identity/profile-routes.ts';
import { triggerRoutes } from '../journeys/trigger-routes.ts';
import type { Engine } from './engine.ts';
import { deliveryRoutes } from '../delivery/delivery-routes.ts';
import { browserRoutes } from '../ingest/browser-routes.ts';
import { EventLog } from '../event-log/event-log.ts';
import { IngestWorkers, inProcessPreparer } from '../ingest/ingest-workers.ts';
import { Ingestor } from '../ingest/ingestor.ts';
import { segmentRoutes } from '../ingest/segment/segment-routes.ts';
import { SEGMENT_BATCH_PATHS } from '../ingest/segment/segment-ingest.ts';
import { SEGMENT_TYPES } from '../ingest/segment/segment-schema.ts';
import { webhookRoutes } from '../ingest/shopify/webhook-routes.ts';
import { consentTrackingGate } from '../consent/tracking-gate.ts';
import { parseJsonExact } from '../http/body/json-body.ts';
import { reportRoutes } from '../reports/report-routes.ts';
import { conversionDestinations, sendLimits } from '../destinations/registry.ts';
import { shopifyStatusRoutes } from '../shopify/shopify-status-routes.ts';
import { shopifyOAuthRoutes } from '../shopify/shopify-oauth-routes.ts';
import { klaviyoCheckRoutes } from '../klaviyo/klaviyo-check-routes.ts';
import type { ErrorCode } from '../http/errors/error-codes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { resolveJurisdiction } from '../consent/jurisdiction.ts';
import { BannerCounts } from '../storefront/banner-counts.ts';
import { decisionKind } from '../storefront/consent-mode.ts';
import { consentRatesRoutes } from '../storefront/consent-rates-routes.ts';
import {
  bannerDecisionCounter,
  storefrontRoutes,
  type StorefrontHooks,
} from '../storefront/storefront-routes.ts';
import { scanRoutes } from '../scanner/scan-routes.ts';
import fastifyCookie from '@fastify/cookie';
import { consentRecordRoutes } from '../consent/consent-record-routes.ts';
import { DashboardSessions } from '../web/dashboard-sessions.ts';
import { dashboardStatic } from '../web/dashboard-static.ts';
import { liveRoutes } from '../web/live-routes.ts';
import { RefusalFeed } from '../web/refusal-feed.ts';
import { sessionRoutes, signInRoutes } from '../web/session-routes.ts';

/** What the HTTP app needs from its caller. Every outside effect is passed in. */
export interface AppDeps {
  config: Config;
  store: Store;
  log: Logger;
  clock: Clock;
  /** The processing side; the admin API reads through it. */
  engine: Engine;
  /** Asks the engine to process the log now (after admin commands). */
  wakeEngine?: () => void;
  /** Asks the delivery workers to look for due rows now (after an operator's retry or resume). */
  wakeDelivery?: () => void;
  /** Called as each request arrives (the engine gives way to requests). */
  requestArrived?: () => void;
  /** The process's metrics: counted per ingest request and served at `/metrics`; none when disabled. */
  metrics?: Metrics;
  /** Observers of the consent banner's impressions and decisions; default: the metrics' banner counters. */
  storefront?: StorefrontHooks;
  /** Where the storefront bundles are (default `dist/storefront`). */
  storefrontDist?: string;
  /** Where the built dashboard is; default `dist/dashboard` in the package. */
  dashboardDir?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's exact bytes, kept for signature checks (Shopify webhook HMAC). */
    rawBody?: Buffer;
    /** The code of the error this request was answered with, for the refusal's log line and metrics. */
    errorCode?: ErrorCode;
  }
  interface FastifyContextConfig {
    /** false: the route prepares `rawBody` itself (Segment API and pixel calls, see `CallPreparer`). */
    parseBody?: boolean;
  }
}

/** The ingest endpoints, by route, as `reclaim_ingest_requests_total` names their source. */
const INGEST_SOURCES = new Map<string, IngestSource>([
  ...[...SEGMENT_BATCH_PATHS, ...SEGMENT_TYPES.map((type) => `/v1/${type}`)].map(
    (route) => [route, 'segment'] as const,
  ),
  ['/v1/pixel', 'pixel'],
  ['/v1/consent', 'consent'],
  ['/webhooks/shopify', 'shopify_webhook'],
]);

/** Largest body any endpoint accepts; endpoints set tighter limits of their own. */
export const MAX_BODY_BYTES = 1_048_576;

/** Builds the Fastify app without listening, so tests can `inject()` and the server can `listen()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    // One logger for every request: a pino child per request re-runs redaction on its bindings, which
    // costs more than the request. Lines that need the request id carry it explicitly.
    childLoggerFactory: (logger) => logger,
    bodyLimit: MAX_BODY_BYTES,
    // A client that trickles its headers or body holds a connection and its buffers: Node answers 408 and
    // closes the connection once either limit passes, checking at a quarter of the shorter one.
    requestTimeout: deps.config.requestTimeout,
    http: {
      headersTimeout: Math.min(deps.config.headersTimeout, deps.config.requestTimeout),
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(deps.config.headersTimeout, deps.config.requestTimeout) / 4,
      ),
    },
    clientErrorHandler,
    trustProxy: proxyTrust(deps.config.trustProxy),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // The router's own refusals answer in the API's shape too: a path segment longer than the router
    // reads (`/admin/v1/exports/<200 characters>`) names nothing; a path that is not percent-encoding
    // (`/%zz`) is malformed.
    frameworkErrors: (error, req, reply) => {
      const known =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? apiError('RECLAIM_ERR_NOT_FOUND', 'no resource has an id that long')
          : apiError('RECLAIM_ERR_BAD_REQUEST', 'the path is not valid percent-encoding');
      req.errorCode = known.code;
      void (reply as FastifyReply).status(known.status).send(known.toBody());
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'buffer' },
    (req, body: Buffer, done) => {
      req.rawBody = body;
      if (body.length === 0) {
        done(
          apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is empty; a JSON document was expected'),
          undefined,
        );
        return;
      }
      if (req.routeOptions.config.parseBody === false) {
        done(null, undefined);
        return;
      }
      try {
        done(null, parseJsonExact(body));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );

  // Without a Content-Type and without a body no parser runs; a route that reads `rawBody` itself then
  // answers as the parser does for an empty body.
  app.addHook('preHandler', (req, _reply, done) => {
    if (req.routeOptions.config.parseBody === false && req.rawBody === undefined)
      done(apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is empty; a JSON document was expected'));
    else done();
  });

  const requestArrived = deps.requestArrived;
  if (requestArrived)
    app.addHook('onRequest', (_req, _reply, done) => {
      requestArrived();
      done();
    });
  const metrics = deps.metrics;
  const refusals = new RefusalFeed();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    if (metrics) {
      const source = req.method === 'POST' ? INGEST_SOURCES.get(route) : undefined;
      if (source) metrics.ingest(source, status, req.errorCode);
    }
    // The route's pattern, never the URL: a query string can carry an email address.
    const line = { reqId: req.id, method: req.method, route, status, ms: Math.round(reply.elapsedTime) };
    if (status >= 400 && status < 500)
      req.log.info({ ...line, code: req.errorCode ?? `HTTP_${status}` }, 'request refused');
    else req.log.debug(line, 'request');
    if (req.errorCode)
      refusals.note({
        at: deps.clock.now(),
        method: req.method,
        path: req.url.split('?')[0]!,
        status,
        code: req.errorCode,
      });
    done();
  });

  app.setErrorHandler((error: FastifyError | ApiError, req, reply) => {
    const known = error instanceof ApiError ? error : fromFastifyError(error);
    req.errorCode = known.code;
    if (known.status >= 500) req.log.error({ reqId: req.id, err: error }, 'request failed');
    void reply.status(known.status).headers(known.headers).send(known.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const error = apiError('RECLAIM_ERR_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`);
    req.errorCode = error.code;
    void reply.status(error.status).send(error.toBody());
  });

  await app.register(healthRoutes, { store: deps.store });
  if (metrics)
    await app.register(metricsRoutes, {
      metrics,
      store: deps.store,
      clock: deps.clock,
      tokens: [deps.config.adminToken, deps.config.metrics.token],
      destinations: deps.engine.destinations.map((d) => d.definition.name),
    });
  const eventLog = new EventLog(deps.store);
  const ingestor = new Ingestor(eventLog, consentTrackingGate);
  const preparer =
    deps.config.ingest.workers > 0
      ? await IngestWorkers.start(deps.config.ingest.workers, consentTrackingGate)
      : inProcessPreparer(consentTrackingGate);
  app.addHook('onClose', () => preparer.close());
  const ingest = { config: deps.config, clock: deps.clock, ingestor, eventLog, preparer };
  await app.register(segmentRoutes, ingest);
  const counts = new BannerCounts(deps.store.db);
  const hooks = deps.storefront ?? bannerMetrics(metrics);
  app.addHook('onClose', () => counts.flush());
  const countDecision = bannerDecisionCounter(counts, deps.clock, hooks);
  await app.register(browserRoutes, {
    ...ingest,
    extraRoutes: async (browser) => {
      await browser.register(storefrontRoutes, {
        ...hooks,
        config: deps.config,
        clock: deps.clock,
        counts,
        log: deps.log,
        distDir: deps.storefrontDist,
      });
    },
    consentRecorded: (body, event) =>
      countDecision(
        body,
        resolveJurisdiction([event.context.geo]).regime,
        event.consent?.categories ? decisionKind(event.consent.categories) : undefined,
      ),
  });
  await app.register(webhookRoutes, ingest);
  await app.register(shopifyOAuthRoutes, { store: deps.store, config: deps.config, clock: deps.clock });
  await app.register(fastifyCookie);
  const sessions = new DashboardSessions(deps.store.db, deps.config.dashboard.sessionTtl);
  const auth = { token: deps.config.adminToken, sessions, clock: deps.clock };
  await app.register(signInRoutes, { ...auth, attemptsPerMinute: deps.config.dashboard.signInsPerMinute });
  await app.register(dashboardStatic, { dir: deps.dashboardDir });
  await app.register(async (admin) => {
    requireAdmin(admin, auth);
    admin.addHook('preSerialization', (_req, _reply, payload, done) => done(null, withIsoTimes(payload)));
    await admin.register(triggerRoutes, { store: deps.store, details: deps.engine.triggerDetails });
    await admin.register(profileRoutes, {
      store: deps.store,
      log: eventLog,
      clock: deps.clock,
      sections: deps.engine.profileSections,
      wake: deps.wakeEngine ?? (() => undefined),
      exportTtl: deps.config.exports.ttl,
      phoneCountry: deps.config.store.country,
    });
    await admin.register(deliveryRoutes, {
      store: deps.store,
      clock: deps.clock,
      destinations: deps.engine.destinations.map((d) => d.definition.name),
      sendLimits: Object.fromEntries(deps.engine.destinations.map((d) => [d.definition.name, sendLimits(d)])),
      wake: deps.wakeDelivery ?? (() => undefined),
    });
    await admin.register(reportRoutes, {
      store: deps.store,
      clock: deps.clock,
      attributionWindow: deps.config.reports.attributionWindow,
      conversionDestinations: conversionDestinations(deps.engine.destinations),
    });
    await admin.register(shopifyStatusRoutes, { store: deps.store, config: deps.config });
    await admin.register(consentRatesRoutes, { counts, clock: deps.clock });
    await admin.register(klaviyoCheckRoutes, { config: deps.config, store: deps.store, clock: deps.clock });
    await admin.register(scanRoutes, { store: deps.store });
    await admin.register(sessionRoutes, { sessions });
    await admin.register(liveRoutes, { store: deps.store, clock: deps.clock, refusals });
    await admin.register(consentRecordRoutes, { store: deps.store, phoneCountry: deps.config.store.country });
  });
  return app;
}

/**
 * Fastify's form of `RECLAIM_TRUST_PROXY`. A hop count becomes "the nearest N peers", which Fastify itself
 * no longer offers because a client that reaches Reclaim directly could then name its own address; the
 * docs say to use a hop count only where the proxies are the only way in.
 */
function proxyTrust(
  trust: Config['trustProxy'],
): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** Fastify's own errors (bad JSON, body too large, wrong media type) in Reclaim's error shape. */
function fromFastifyError(error: FastifyError): ApiError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError('RECLAIM_ERR_BODY_TOO_LARGE', 'body exceeds the size limit of this endpoint');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return apiError('RECLAIM_ERR_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return apiError('RECLAIM_ERR_MALFORMED_JSON', 'body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return apiError('RECLAIM_ERR_BAD_REQUEST', 'Content-Length does not match the body');
    case 'FST_ERR_VALIDATION':
      return apiError('RECLAIM_ERR_INVALID_SHAPE', error.message);
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return apiError('RECLAIM_ERR_BAD_REQUEST', error.message);
      }
      return apiError('RECLAIM_ERR_INTERNAL', 'internal error; nothing from this request was stored');
  }
}
