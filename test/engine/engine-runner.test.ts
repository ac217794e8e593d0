import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { EngineRunner, MAX_PROCESSING_LAG } from '../../src/engine/engine-runner.ts';
import type { CanonicalEvent } from '../../src/ingest/canonical-event.ts';
import { EventLog, eventIdFor } from '../../src/ingest/event-log.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';

const T0 = Date.UTC(2026, 10, 22, 12);

function views(clock: ManualClock, count: number, burst = 'runner'): CanonicalEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    id: eventIdFor(`${burst}-${n}`, clock.now()),
    kind: 'product_view',
    source: 'pixel',
    name: 'product_viewed',
    idempotencyKey: `${burst}-${n}`,
    eventTime: clock.now(),
    receivedAt: clock.now(),
    ids: { clientId: `browser-${n % 3}` },
    context: {},
  }));
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not reached within 5 s');
}

/** Several of the loop's looks at the log: long enough for it to have processed what it was going to. */
const severalLooks = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('the engine gives way to requests', () => {
  let store: Store;
  let engine: Engine;
  let clock: ManualClock;
  let runner: EngineRunner;
  let requestsKeepComing: boolean;
  /** Events processed by each of the runner's batches (transactions) that found any. */
  let batches: number[];
  const pending = () => engine.processor.pendingSince();

  beforeEach(async () => {
    store = await openTestSqlite();
    clock = new ManualClock(T0);
    const config = testConfig();
    const log = createLogger({ level: 'silent' });
    engine = createEngine({ config, store, log, clock });
    batches = [];
    const processBatch = engine.processor.processBatch.bind(engine.processor);
    engine.processor.processBatch = async (limit) => {
      const count = await processBatch(limit);
      if (count > 0) batches.push(count);
      return count;
    };
    requestsKeepComing = true;
    runner = new EngineRunner(engine, store, clock, log, undefined, () => requestsKeepComing);
    runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  it('keeps a burst in the log while requests keep coming, and processes it when they pause', async () => {
    await new EventLog(store).append(views(clock, 5));
    await severalLooks();
    expect(await pending()).toBe(T0);

    requestsKeepComing = false;
    await until(async () => (await pending()) === undefined);
    const profiles = await store.db.selectFrom('profile_events').select('event_seq').execute();
    expect(profiles).toHaveLength(5);
  });

  it('processes anyway once the oldest event has waited the longest lag it allows', async () => {
    await new EventLog(store).append(views(clock, 5));
    clock.advanceBy(MAX_PROCESSING_LAG - 1);
    await severalLooks();
    expect(await pending()).toBe(T0);

    clock.advanceBy(1);
    await until(async () => (await pending()) === undefined);
    expect(requestsKeepComing).toBe(true);
  });

  it('takes a backlog in large batches when requests pause, and in smaller ones while they keep coming', async () => {
    await new EventLog(store).append(views(clock, 2_500));
    requestsKeepComing = false;
    await until(async () => (await pending()) === undefined);
    expect(batches).toEqual([2_500]);

    batches = [];
    clock.advanceBy(60_000);
    await new EventLog(store).append(views(clock, 2_500, 'second'));
    requestsKeepComing = true;
    clock.advanceBy(MAX_PROCESSING_LAG);
    await until(async () => (await pending()) === undefined);
    expect(batches).toEqual([1_000, 1_000, 500]);
  });
});
