import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import { EngineRunner, MAX_PROCESSING_LAG } from '../../src/app/engine-runner.ts';
import type { CanonicalEvent, EventKind } from '../../src/event-log/canonical-event.ts';
import { EventLog, eventIdFor } from '../../src/event-log/event-log.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { until } from '../support/wait.ts';

const T0 = Date.UTC(2026, 10, 22, 12);
const CART_AFTER = 3_600_000;

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

/** One shopper's cart add or purchase, as the Segment API stores it: a US shopper with an email. */
function shopperEvent(clock: ManualClock, key: string, kind: EventKind = 'cart_add'): CanonicalEvent {
  return {
    id: eventIdFor(key, clock.now()),
    kind,
    source: 'segment',
    name: kind === 'cart_add' ? 'Product Added' : 'Order Completed',
    idempotencyKey: key,
    eventTime: clock.now(),
    receivedAt: clock.now(),
    ids: { anonymousId: 'anon-1', cartToken: 'cart-1', email: 'runner@shop.example' },
    context: { geo: { country: 'US' } },
    commerce: {
      lines: [{ productId: 'p1', title: 'Tee', price: '10.00', quantity: 1 }],
      value: '10.00',
      currency: 'USD',
      ...(kind === 'order_completed' && { orderId: 'order-1' }),
    },
  };
}

describe('the engine runner', () => {
  let store: Store;
  let engine: Engine;
  let clock: ManualClock;
  let runner: EngineRunner;
  let requestsKeepComing: boolean;
  /** How many times the runner has asked whether requests keep coming: once per look at the log. */
  let looks: number;
  /** How many times the runner said it did work that may have queued deliveries. */
  let afterWork: number;
  /** Events processed by each of the runner's batches (transactions) that found any. */
  let batches: number[];

  const pending = () => engine.processor.pendingSince();
  const count = async (table: 'profile_events' | 'triggers') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const journeys = () => store.db.selectFrom('journeys').select(['status', 'due_at']).execute();
  /** Lets the runner look at the log `n` more times: long enough to do whatever it was going to do. */
  const moreLooks = async (n = 5) => {
    const target = looks + n;
    await until(() => looks >= target, `${n} more looks`);
  };

  beforeEach(async () => {
    store = await openTestSqlite();
    clock = new ManualClock(T0);
    const config = testConfig({ RECLAIM_CART_AFTER: '1h' });
    const log = createLogger({ level: 'silent' });
    engine = createEngine({ config, store, log, clock });
    batches = [];
    const processBatch = engine.processor.processBatch.bind(engine.processor);
    engine.processor.processBatch = async (limit) => {
      const n = await processBatch(limit);
      if (n > 0) batches.push(n);
      return n;
    };
    requestsKeepComing = true;
    looks = 0;
    afterWork = 0;
    runner = new EngineRunner(
      engine,
      store,
      clock,
      log,
      () => afterWork++,
      () => {
        looks++;
        return requestsKeepComing;
      },
    );
    runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  it('keeps a burst in the log while requests keep coming, and processes it when they pause', async () => {
    await new EventLog(store).append(views(clock, 5));
    await moreLooks();
    expect(await pending()).toBe(T0);
    expect(await count('profile_events')).toBe(0);

    requestsKeepComing = false;
    await until(async () => (await pending()) === undefined, 'log drained');
    expect(await count('profile_events')).toBe(5);
    expect(batches).toEqual([5]);
    expect(afterWork).toBeGreaterThan(0);
  });

  it('processes anyway once the oldest event has waited the longest lag it allows', async () => {
    await new EventLog(store).append(views(clock, 5));
    clock.advanceBy(MAX_PROCESSING_LAG - 1);
    await moreLooks();
    expect(await pending()).toBe(T0);
    expect(await count('profile_events')).toBe(0);

    clock.advanceBy(1);
    await until(async () => (await pending()) === undefined, 'log drained under load');
    expect(await count('profile_events')).toBe(5);
  });

  it('takes a backlog in large batches when requests pause, and in smaller ones while they keep coming', async () => {
    await new EventLog(store).append(views(clock, 2_500));
    requestsKeepComing = false;
    await until(async () => (await pending()) === undefined, 'first backlog drained');
    expect(batches).toEqual([2_500]);

    batches = [];
    clock.advanceBy(60_000);
    await new EventLog(store).append(views(clock, 2_500, 'second'));
    requestsKeepComing = true;
    clock.advanceBy(MAX_PROCESSING_LAG);
    await until(async () => (await pending()) === undefined, 'second backlog drained');
    expect(batches).toEqual([1_000, 1_000, 500]);
    expect(await count('profile_events')).toBe(5_000);
  });

  it('fires an abandoned cart when the clock passes its due time, and not before', async () => {
    requestsKeepComing = false;
    await new EventLog(store).append([shopperEvent(clock, 'cart-add-1')]);
    await until(async () => (await journeys()).length === 1, 'journey opened');
    expect(await journeys()).toEqual([{ status: 'open', due_at: T0 + CART_AFTER }]);

    clock.advanceTo(T0 + CART_AFTER - 1);
    await moreLooks();
    expect(await count('triggers')).toBe(0);

    const workBefore = afterWork;
    clock.advanceTo(T0 + CART_AFTER);
    await until(async () => (await count('triggers')) === 1, 'trigger fired');
    expect((await journeys()).map((j) => j.status)).toEqual(['fired']);
    expect(afterWork).toBeGreaterThan(workBefore);
    await moreLooks();
    expect(await count('triggers')).toBe(1);
  });

  it('holds a due cart while an older purchase waits in the log, and the purchase cancels it', async () => {
    requestsKeepComing = false;
    await new EventLog(store).append([shopperEvent(clock, 'cart-add-2')]);
    await until(async () => (await journeys()).length === 1, 'journey opened');

    // The shopper buys a second before the cart comes due; requests keep the purchase waiting in the
    // log while the clock passes the due time.
    requestsKeepComing = true;
    clock.advanceTo(T0 + CART_AFTER - 1_000);
    await new EventLog(store).append([shopperEvent(clock, 'order-2', 'order_completed')]);
    clock.advanceTo(T0 + CART_AFTER + 1_000);
    await moreLooks();
    expect(await pending()).toBe(T0 + CART_AFTER - 1_000);
    expect(await count('triggers')).toBe(0);

    requestsKeepComing = false;
    await until(async () => (await pending()) === undefined, 'purchase processed');
    await moreLooks();
    expect(await count('triggers')).toBe(0);
    expect((await journeys()).map((j) => j.status)).not.toContain('open');
  });
});
