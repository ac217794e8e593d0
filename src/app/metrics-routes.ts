import type { FastifyInstance } from 'fastify';
import { ledgerLength } from '../consent/consent-ledger.ts';
import { Outbox } from '../delivery/outbox.ts';
import { processorBacklog } from '../pipeline/event-processor.ts';
import { countOpenJourneys } from '../journeys/journey-repository.ts';
import type { Clock } from '../runtime/clock.ts';
import type { DatabaseFigures, Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { requireBearerToken } from '../http/auth/admin-auth.ts';

export interface MetricsRouteDeps {
  metrics: Metrics;
  store: Store;
  clock: Clock;
  /** `RECLAIM_ADMIN_TOKEN` and `RECLAIM_METRICS_TOKEN`; either opens `/metrics`. */
  tokens: readonly (string | undefined)[];
  /** Destinations enabled in this process: their outbox gauges are reported even at 0. */
  destinations: readonly string[];
}

/** `GET /metrics`: Prometheus' text format, the database gauges read at the time of the scrape. */
export function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): Promise<void> {
  requireBearerToken(app, deps.tokens, {
    disabled: '/metrics is closed: set RECLAIM_METRICS_TOKEN (or RECLAIM_ADMIN_TOKEN)',
    wrong: 'missing or wrong metrics bearer token',
  });
  app.get('/metrics', async (_req, reply) => {
    const now = deps.clock.now();
    deps.metrics.setDatabaseFigures(await readDatabaseFigures(deps.store, now, deps.destinations), now);
    return reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.text());
  });
  return Promise.resolve();
}

/**
 * What the database gauges show, from one short read per figure: the processor's position against the
 * log's head, the partial index of open journeys, the outbox's index of waiting and dead rows, the ledger's
 * head. None of them reads the tables that grow with traffic (see `bench/metrics.ts`).
 */
export async function readDatabaseFigures(
  store: Store,
  now: number,
  destinations: readonly string[] = [],
): Promise<DatabaseFigures> {
  const db = store.db;
  const [processor, journeys, outbox, ledgerRecords] = await Promise.all([
    processorBacklog(db),
    countOpenJourneys(db, now),
    Outbox.depth(db),
    ledgerLength(db),
  ]);
  for (const destination of destinations)
    for (const state of ['pending', 'dead'] as const)
      if (!outbox.some((r) => r.destination === destination && r.state === state))
        outbox.push({ destination, state, rows: 0 });
  return { processor, journeys, outbox, ledgerRecords };
}
