import { CompiledQuery, type KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createEngine } from '../../src/app/engine.ts';
import { PROCESSOR_CURSOR } from '../../src/pipeline/event-processor.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { readDatabaseFigures } from '../../src/app/metrics-routes.ts';
import type { Database, DeliveryStatus } from '../../src/store/schema.ts';
import type { Store } from '../../src/store/store.ts';
import { testConfig } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { metric, parsePrometheus } from '../support/prometheus.ts';
import { ADMIN_TOKEN } from '../support/shop.ts';

const NOW = Date.UTC(2026, 11, 5, 12);
const MIN = 60_000;

/** The statements a scrape runs, as their SQL, recorded on the way to the database. */
function recording(store: Store): { store: Store; statements: CompiledQuery[] } {
  const statements: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      statements.push(store.db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
  return { store: { ...store, db: store.db.withPlugin(plugin) }, statements };
}

async function seed(store: Store): Promise<void> {
  const db = store.db;
  await db
    .insertInto('events')
    .values(
      [1, 2, 3, 4, 5].map((n) => ({
        id: `ev-${n}`,
        idempotency_key: `key-${n}`,
        kind: 'page',
        source: 'pixel',
        event_time: NOW - 10 * MIN + n,
        received_at: NOW - (6 - n) * MIN,
        body_json: '{}',
      })),
    )
    .execute();
  const seqs = await db.selectFrom('events').select('seq').orderBy('seq').execute();
  await db.insertInto('cursors').values({ name: PROCESSOR_CURSOR, position: seqs[1]!.seq }).execute();
  const journey = (id: string, status: 'open' | 'fired' | 'purchased', dueAt: number | null) => ({
    id,
    profile_id: `pr-${id}`,
    status,
    stage: 'cart' as const,
    started_at: NOW - 3 * 60 * MIN,
    last_activity_at: NOW - 2 * 60 * MIN,
    updated_received_at: NOW - 2 * 60 * MIN,
    due_at: dueAt,
    outcome: status === 'open' ? null : 'triggered',
    trigger_id: null,
    state_json: '{}',
  });
  await db
    .insertInto('journeys')
    .values([
      journey('j1', 'open', NOW - 5 * MIN),
      journey('j2', 'open', NOW),
      journey('j3', 'open', NOW + 30 * MIN),
      journey('j4', 'fired', null),
      journey('j5', 'purchased', null),
    ])
    .execute();
  const delivery = (n: number, destination: string, status: DeliveryStatus): Database['deliveries'] => ({
    id: `${destination}:abandonment:tr-${n}`,
    destination,
    kind: 'abandonment',
    subject_id: `tr-${n}`,
    profile_id: null,
    status,
    attempts: 1,
    created_at: NOW - 60 * MIN,
    updated_at: NOW - 60 * MIN,
    next_attempt_at: NOW,
    retry_from: NOW - 60 * MIN,
    claimed_by: null,
    delivered_at: status === 'delivered' ? NOW : null,
    last_error_json: null,
    payload_json: '{}',
    outcome_json: null,
  });
  await db
    .insertInto('deliveries')
    .values([
      delivery(1, 'klaviyo', 'pending'),
      delivery(2, 'klaviyo', 'pending'),
      delivery(3, 'klaviyo', 'dead'),
      delivery(4, 'klaviyo', 'delivered'),
      delivery(5, 'klaviyo', 'delivered'),
      delivery(6, 'klaviyo', 'skipped'),
      delivery(7, 'meta', 'pending'),
    ])
    .execute();
  await db
    .insertInto('consent_chain')
    .values({ id: 1, position: 7, hash: 'ab'.repeat(32) })
    .execute();
}

describeEachDialect('the database gauges of /metrics', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
  });
  afterEach(() => store.close());

  it('read zeros from an empty database', async () => {
    expect(await readDatabaseFigures(store, NOW, ['klaviyo'])).toEqual({
      processor: { behind: 0, oldestReceivedAt: undefined },
      journeys: { open: 0, due: 0 },
      outbox: [
        { destination: 'klaviyo', state: 'pending', rows: 0 },
        { destination: 'klaviyo', state: 'dead', rows: 0 },
      ],
      ledgerRecords: 0,
    });
  });

  it('count the backlog, due journeys, waiting and dead rows and the ledger, in six index reads', async () => {
    await seed(store);
    const { store: recorded, statements } = recording(store);
    const figures = await readDatabaseFigures(recorded, NOW, ['klaviyo', 'meta']);
    expect(figures.processor).toEqual({ behind: 3, oldestReceivedAt: NOW - 3 * MIN });
    expect(figures.journeys).toEqual({ open: 3, due: 2 });
    expect(
      [...figures.outbox].sort((a, b) =>
        `${a.destination}${a.state}`.localeCompare(`${b.destination}${b.state}`),
      ),
    ).toEqual([
      { destination: 'klaviyo', state: 'dead', rows: 1 },
      { destination: 'klaviyo', state: 'pending', rows: 2 },
      { destination: 'meta', state: 'dead', rows: 0 },
      { destination: 'meta', state: 'pending', rows: 1 },
    ]);
    expect(figures.ledgerRecords).toBe(7);
    // Cursor, log head, oldest pending event, open journeys, outbox depth, ledger head.
    expect(statements).toHaveLength(6);
    if (dialect.name === 'sqlite') {
      for (const statement of statements) {
        const plan = await store.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, [...statement.parameters]),
        );
        for (const { detail } of plan.rows) expect(detail, statement.sql).not.toMatch(/^SCAN (?!CONSTANT)/);
      }
    }
  });

  it('are what a scrape of /metrics shows', async () => {
    await seed(store);
    const config = testConfig({ RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN });
    const log = createLogger({ level: 'silent' });
    const clock = new ManualClock(NOW);
    const engine = createEngine({ config, store, log, clock });
    const app = await buildApp({
      config,
      store,
      log,
      clock,
      engine,
      metrics: new Metrics({ process: false }),
    });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.statusCode).toBe(200);
      const samples = parsePrometheus(res.body);
      expect(metric(samples, 'reclaim_processor_lag_events')).toBe(3);
      expect(metric(samples, 'reclaim_processor_lag_seconds')).toBe(180);
      expect(metric(samples, 'reclaim_journeys_open')).toBe(3);
      expect(metric(samples, 'reclaim_journeys_due')).toBe(2);
      expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'pending' })).toBe(2);
      expect(metric(samples, 'reclaim_outbox_rows', { destination: 'klaviyo', state: 'dead' })).toBe(1);
      expect(metric(samples, 'reclaim_outbox_rows', { destination: 'meta', state: 'pending' })).toBe(1);
      expect(metric(samples, 'reclaim_consent_ledger_records')).toBe(7);
    } finally {
      await app.close();
    }
  });
});
