import type { FastifyPluginAsync } from 'fastify';
import { EVENT_KINDS, EVENT_SOURCES } from '../event-log/canonical-event.ts';
import { countedOnly, liveEvents } from '../ingest/live-events.ts';
import type { Clock } from '../runtime/clock.ts';
import { apiError } from '../http/errors/api-error.ts';
import { oneOf, queryParams } from '../http/body/query-params.ts';
import type { Store } from '../store/store.ts';
import type { RefusalFeed } from './refusal-feed.ts';

export interface LiveRoutesOptions {
  store: Store;
  clock: Clock;
  refusals: RefusalFeed;
}

const whole = (value: string | undefined, name: string, min: number, max: number, fallback?: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw apiError('RECLAIM_ERR_BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`, name);
  return n;
};

/**
 * `GET /admin/v1/events/live?after&refusedAfter&source&kind&limit&reveal`: what arrived since the last
 * poll — stored events with the tracking gate's outcome (identifiers masked unless `reveal=true`), refused
 * ingest requests with their error code, and today's count of events kept without identifiers.
 */
export const liveRoutes: FastifyPluginAsync<LiveRoutesOptions> = (app, { store, clock, refusals }) => {
  app.get('/admin/v1/events/live', async (req) => {
    const param = queryParams(req);
    const source = oneOf('source', param('source') || undefined, EVENT_SOURCES);
    const kind = oneOf('kind', param('kind') || undefined, EVENT_KINDS);
    const reveal = param('reveal');
    if (reveal !== undefined && reveal !== 'true' && reveal !== 'false')
      throw apiError('RECLAIM_ERR_BAD_REQUEST', 'reveal must be true or false', 'reveal');
    const events = await liveEvents(store.db, {
      after: whole(param('after'), 'after', 0, Number.MAX_SAFE_INTEGER),
      limit: whole(param('limit'), 'limit', 1, 500, 100)!,
      source,
      kind,
      reveal: reveal === 'true',
    });
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    return {
      events,
      refused: refusals.since(whole(param('refusedAfter'), 'refusedAfter', 0, Number.MAX_SAFE_INTEGER, 0)!),
      countedWithoutIdentifiers: { day: today, byKind: await countedOnly(store.db, today) },
    };
  });
  return Promise.resolve();
};
