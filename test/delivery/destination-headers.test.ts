import { afterEach, describe, expect, it } from 'vitest';
import { Deliverer, USER_AGENT } from '../../src/delivery/deliverer.ts';
import { Outbox } from '../../src/delivery/outbox.ts';
import { createPartnerRequest } from '../../src/delivery/create-partner-request.ts';
import { enabledDestinations } from '../../src/destinations/registry.ts';
import { KLAVIYO_REVISION } from '../../src/destinations/klaviyo/settings.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import type { Store } from '../../src/store/store.ts';
import { testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';
import {
  deliveryRow,
  fireTriggers,
  sampleConversion,
  sampleTrigger,
  startStandIn,
  type StandIn,
} from '../support/delivery.ts';

/** A `fetch` that hands every request on and keeps the headers it carried, in the order sent. */
function recordingFetch() {
  const sent: [string, string][][] = [];
  const record: typeof fetch = (input, init) => {
    sent.push(Object.entries(init?.headers as Record<string, string>));
    return fetch(input, init);
  };
  return { sent, fetch: record };
}

describe('the headers a destination declares', () => {
  it('go on every request, after the user agent and content type and before the request’s own', async () => {
    const sent: [string, string][][] = [];
    const request = createPartnerRequest({
      timeout: 5_000,
      userAgent: 'reclaim/test',
      headers: { authorization: 'Bearer destination', 'content-type': 'application/vnd.api+json' },
      fetch: (_input, init) => {
        sent.push(Object.entries(init?.headers as Record<string, string>));
        return Promise.resolve(new Response('{}', { status: 200 }));
      },
    });
    await request('http://127.0.0.1/a', { json: {} });
    await request('http://127.0.0.1/b', { method: 'GET', headers: { authorization: 'Bearer request' } });
    expect(sent).toEqual([
      [
        ['user-agent', 'reclaim/test'],
        ['content-type', 'application/vnd.api+json'],
        ['authorization', 'Bearer destination'],
      ],
      [
        ['user-agent', 'reclaim/test'],
        ['authorization', 'Bearer request'],
        ['content-type', 'application/vnd.api+json'],
      ],
    ]);
  });
});

const EXPECTED: Record<'klaviyo' | 'meta' | 'ga4', [string, string][]> = {
  klaviyo: [
    ['user-agent', USER_AGENT],
    ['content-type', 'application/vnd.api+json'],
    ['authorization', `Klaviyo-API-Key ${KlaviyoStandIn.DEFAULT_KEY}`],
    ['revision', KLAVIYO_REVISION],
    ['accept', 'application/vnd.api+json'],
  ],
  meta: [
    ['user-agent', USER_AGENT],
    ['content-type', 'application/json'],
  ],
  ga4: [
    ['user-agent', USER_AGENT],
    ['content-type', 'application/json'],
  ],
};

describe.each(['klaviyo', 'meta', 'ga4'] as const)('a %s delivery', (name) => {
  let standIn: StandIn | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await standIn?.close();
    await store?.close();
  });

  it('carries exactly the destination’s headers, and the stand-in accepts it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 5));
    const started = await startStandIn(name, () => clock.now());
    standIn = started.standIn;
    store = await openTestSqlite();
    const config = testConfig(started.env);
    let id: string;
    if (name === 'klaviyo') {
      const trigger = sampleTrigger();
      await fireTriggers(store, config, [trigger], clock.now());
      id = `klaviyo:abandonment:${trigger.id}`;
    } else {
      const conversion = sampleConversion({
        at: clock.now() - 60_000,
        name: 'purchase',
        orderId: '450789469',
      });
      await store.db
        .transaction()
        .execute((trx) =>
          Outbox.enqueue(
            trx,
            [{ destination: name, kind: 'conversion', subjectId: conversion.id, payload: conversion }],
            clock.now(),
          ),
        );
      id = `${name}:conversion:${conversion.id}`;
    }
    const recorded = recordingFetch();
    const deliverer = new Deliverer({
      destination: enabledDestinations(config).find((d) => d.definition.name === name)!,
      store,
      clock,
      log: createLogger({ level: 'silent' }),
      settings: config.delivery,
      holder: 'test-worker',
      fetch: recorded.fetch,
    });
    expect(await deliverer.deliverDue()).toBe(1);
    expect(await deliveryRow(store, id)).toMatchObject({ status: 'delivered' });
    expect(recorded.sent).toEqual([EXPECTED[name]]);
  });
});
