import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-schema.ts';
import { DestinationStates } from '../../src/delivery/destination-states.ts';
import { Outbox } from '../../src/delivery/outbox.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import type { Store } from '../../src/store/store.ts';
import type { Fault } from '../../src/stand-ins/fault-plan.ts';
import { testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';
import { until } from '../support/wait.ts';
import { Ga4StandIn } from '../../src/stand-ins/ga4-stand-in.ts';
import {
  deliveryRow,
  delivererFor,
  fireTriggers,
  ManualDeadlines,
  sampleConversion,
  sampleTrigger,
  startStandIn,
  type StandIn,
} from '../support/delivery.ts';

interface DestinationCase {
  name: 'klaviyo' | 'meta' | 'ga4';
  /** Queues one delivery; returns its id and the idempotency key it must carry. */
  enqueue(store: Store, config: Config, now: number): Promise<{ id: string; key: string }>;
  /** The idempotency key in a request body the partner received. */
  keyOf(body: any): string | undefined;
}

const CASES: DestinationCase[] = [
  {
    name: 'klaviyo',
    async enqueue(store, config, now) {
      const trigger = sampleTrigger();
      await fireTriggers(store, config, [trigger], now);
      return { id: `klaviyo:abandonment:${trigger.id}`, key: trigger.id };
    },
    keyOf: (body) => body?.data?.attributes?.unique_id,
  },
  {
    name: 'meta',
    async enqueue(store, _config, now) {
      const conversion = sampleConversion({ at: now - 60_000 });
      await store.db
        .transaction()
        .execute((trx) =>
          Outbox.enqueue(
            trx,
            [{ destination: 'meta', kind: 'conversion', subjectId: conversion.id, payload: conversion }],
            now,
          ),
        );
      return { id: `meta:conversion:${conversion.id}`, key: conversion.eventId };
    },
    keyOf: (body) => body?.data?.[0]?.event_id,
  },
  {
    name: 'ga4',
    async enqueue(store, _config, now) {
      const conversion = sampleConversion({ at: now - 60_000, name: 'purchase', orderId: '450789469' });
      await store.db
        .transaction()
        .execute((trx) =>
          Outbox.enqueue(
            trx,
            [{ destination: 'ga4', kind: 'conversion', subjectId: conversion.id, payload: conversion }],
            now,
          ),
        );
      return { id: `ga4:conversion:${conversion.id}`, key: '450789469' };
    },
    keyOf: (body) => body?.events?.[0]?.params?.transaction_id,
  },
];

const RETRYABLE: [string, Fault][] = [
  ['408', { status: 408 }],
  ['500', { status: 500 }],
  ['503', { status: 503 }],
  ['a timeout', { hang: true }],
  ['a connection reset', { reset: true }],
];

/**
 * Each test gets its own stand-in and database, so nothing one test leaves behind (a queued fault, a
 * request that never got its answer, a recorded event) reaches another. Requests time out only when the
 * test expires them (`ManualDeadlines`), after the stand-in has taken the request and gone silent.
 */
describe.each(CASES)('the $name destination, against its contract-enforcing stand-in', (c) => {
  let standIn: StandIn;
  let store: Store;
  let config: Config;
  let clock: ManualClock;
  let deadlines: ManualDeadlines;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 5));
    const started = await startStandIn(c.name, () => clock.now());
    standIn = started.standIn;
    store = await openTestSqlite();
    config = testConfig(started.env);
    deadlines = new ManualDeadlines();
  });
  afterEach(async () => {
    await standIn.close();
    await store.close();
  });

  const send = () => delivererFor(c.name, store, config, clock, undefined, deadlines.signal).deliverDue();
  /** Sends while the partner takes the request and never answers; it times out once the partner has it. */
  const sendIntoSilence = async () => {
    const hung = standIn.faults.hung;
    const sending = send();
    await until(() => standIn.faults.hung > hung, 'the stand-in took the request');
    deadlines.expire();
    return sending;
  };

  it('delivers, with its idempotency key, and the partner accepts the request', async () => {
    const { id, key } = await c.enqueue(store, config, clock.now());
    expect(await send()).toBe(1);
    expect(await deliveryRow(store, id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(standIn.requests).toHaveLength(1);
    expect(c.keyOf(standIn.requests[0]!.body)).toBe(key);
    expect(standIn.events).toHaveLength(1);
    if (standIn instanceof Ga4StandIn) expect(standIn.invalid).toEqual([]);
  });

  it('dead-letters a 400 at once: the request can never succeed', async () => {
    const { id } = await c.enqueue(store, config, clock.now());
    standIn.faults.failNext({ status: 400 });
    await send();
    const row = await deliveryRow(store, id);
    expect(row.status).toBe('dead');
    expect(JSON.parse(row.last_error_json!)).toMatchObject({ kind: 'payload_invalid', status: 400 });
    expect(await DestinationStates.isPaused(store.db, c.name)).toBe(false);
  });

  it.each([401, 403, 404])(
    'pauses the destination on %i and keeps the delivery until it is resumed',
    async (status) => {
      const { id } = await c.enqueue(store, config, clock.now());
      standIn.faults.failNext({ status });
      await send();
      expect(await DestinationStates.get(store.db, c.name)).toMatchObject({
        status: 'paused',
        reason: { kind: 'misconfigured', status },
      });
      expect(await deliveryRow(store, id)).toMatchObject({
        status: 'pending',
        attempts: 0,
        claimed_by: null,
      });
      const requests = standIn.requests.length;
      expect(await send()).toBe(0);
      expect(standIn.requests.length).toBe(requests);
      await DestinationStates.resume(store.db, c.name, clock.now());
      await send();
      expect((await deliveryRow(store, id)).status).toBe('delivered');
    },
  );

  it.each(RETRYABLE)(
    'retries after %s with backoff, and the retry carries the same key',
    async (_label, fault) => {
      const { id, key } = await c.enqueue(store, config, clock.now());
      standIn.faults.failNext(fault);
      await ('hang' in fault ? sendIntoSilence() : send());
      const row = await deliveryRow(store, id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.next_attempt_at).toBeGreaterThanOrEqual(clock.now() + 15_000);
      expect(JSON.parse(row.last_error_json!)).toMatchObject({
        kind: 'retryable',
        ...('hang' in fault && { code: 'timeout' }),
      });
      expect(await send()).toBe(0);
      clock.advanceTo(row.next_attempt_at);
      await send();
      expect(await deliveryRow(store, id)).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(c.keyOf(standIn.requests.at(-1)!.body)).toBe(key);
      expect(standIn.events).toHaveLength(1);
    },
  );

  it('waits as long as a 429 says in Retry-After', async () => {
    const { id } = await c.enqueue(store, config, clock.now());
    standIn.faults.failNext({ status: 429, retryAfter: 7 });
    await send();
    const row = await deliveryRow(store, id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.next_attempt_at).toBe(clock.now() + 7_000);
    expect(JSON.parse(row.last_error_json!)).toMatchObject({
      kind: 'throttled',
      status: 429,
      retryAfter: 7_000,
    });
  });

  it('dead-letters with the last error once retries pass the retry horizon', async () => {
    const { id } = await c.enqueue(store, config, clock.now());
    const start = clock.now();
    standIn.faults.down = () => ({ status: 503 });
    for (let i = 0; i < 200; i++) {
      await send();
      const row = await deliveryRow(store, id);
      if (row.status !== 'pending') break;
      clock.advanceTo(row.next_attempt_at);
    }
    const row = await deliveryRow(store, id);
    expect(row.status).toBe('dead');
    expect(JSON.parse(row.last_error_json!)).toMatchObject({ kind: 'retryable', status: 503 });
    expect(clock.now() - start).toBeGreaterThanOrEqual(config.delivery.retryHorizon - 30 * 60_000);
    expect(clock.now() - start).toBeLessThanOrEqual(config.delivery.retryHorizon);
  });
});
