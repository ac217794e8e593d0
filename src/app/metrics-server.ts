import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { ApiError, apiError } from '../http/errors/api-error.ts';
import { metricsRoutes } from './metrics-routes.ts';

export interface MetricsServerDeps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Destinations this process delivers to. */
  destinations: readonly string[];
  port: number;
}

/** A process without the HTTP API (`reclaim worker`) serving its own `/metrics`, and nothing else. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on `port` (0: any free port), with the same tokens as the main server. */
export async function startMetricsServer(deps: MetricsServerDeps): Promise<MetricsServer> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((error, req, reply) => {
    const known =
      error instanceof ApiError ? error : apiError('RECLAIM_ERR_INTERNAL', 'the metrics could not be read');
    if (known.status >= 500) req.log.error({ err: error }, 'metrics scrape failed');
    else
      req.log.info(
        { method: req.method, route: '/metrics', status: known.status, code: known.code },
        'request refused',
      );
    void reply.status(known.status).send(known.toBody());
  });
  app.setNotFoundHandler((_req, reply) => {
    const error = apiError('RECLAIM_ERR_NOT_FOUND', 'this port serves GET /metrics only');
    void reply.status(error.status).send(error.toBody());
  });
  await app.register(metricsRoutes, {
    metrics: deps.metrics,
    store: deps.store,
    clock: deps.clock,
    tokens: [deps.config.adminToken, deps.config.metrics.token],
    destinations: deps.destinations,
  });
  await app.listen({ port: deps.port, host: deps.config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  const host = deps.config.host === '0.0.0.0' ? '127.0.0.1' : deps.config.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
