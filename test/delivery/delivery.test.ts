import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-schema.ts';
import { DeliveryRunner } from '../../src/delivery/delivery-runner.ts';
import { fireAllDue } from '../../src/journeys/scheduler.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import {
  allow,
  deliveryRow,
  deny,
  fireTriggers,
  recordSmsOptIn,
  sampleTrigger,
  startStandIns,
} from '../support/delivery.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { ADMIN_TOKEN, pixelEvent, scenarioEnv, sendPixel, WRITE_KEY } from '../support/shop.ts';

type StandIns = Awaited<ReturnType<typeof startStandIns>>;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const HOUR = 3_600_000;

describeEachDialect('delivery to Klaviyo, Meta and GA4', (dialect) => {
  let standIns: StandIns;
  let store: Store;
  let config: Config;
  let t: TestApp;
  let runner: DeliveryRunner;

  beforeAll(async () => {
    standIns = await startStandIns(() => t.clock.now());
  });
  afterAll(() => standIns.close());
  beforeEach(async () => {
    store = await dialect.open();
    config = testConfig({ ...scenarioEnv, ...standIns.env });
    t = await buildTestApp(store, config);
    runner = new DeliveryRunner({
      destinations: t.engine.destinations,
      store,
      clock: t.clock,
      log: createLogger({ level: 'silent' }),
      settings: config.delivery,
    });
    for (const s of [standIns.klaviyo, standIns.meta, standIns.ga4]) s.faults.down = () => undefined;
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  /** Processes what was ingested, lets the clock pass every window, fires and delivers. */
  async function abandonAndDeliver(after = 3 * HOUR) {
    await t.engine.processor.drain();
    t.clock.advanceBy(after);
    await fireAllDue(t.engine.scheduler, t.clock.now());
    await runner.drain();
  }

  async function triggers() {
    const res = await t.app.inject({ method: 'GET', url: '/admin/v1/triggers', headers: auth });
    return res.json().triggers as any[];
  }

  it('sends an abandoned cart to Klaviyo once, with what the flow needs and the legal basis', async () => {
    const at = new Date(t.clock.now()).toISOString();
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', at, 'c-cart')], {
      customer: { id: '7812345678901', email: 'jo@shop.example' },
      cart: 'cart-e2e',
    });
    await abandonAndDeliver();
    const [trigger] = await triggers();
    expect(trigger.deliveries.klaviyo).toMatchObject({ status: 'delivered', attempts: 1 });
    const events = standIns.klaviyo.eventsFor(trigger.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      metric: 'Reclaim Cart Abandonment',
      uniqueId: trigger.id,
      value: 64,
      valueCurrency: 'USD',
      profile: { email: 'jo@shop.example', external_id: '7812345678901' },
      properties: {
        reclaim_trigger_id: trigger.id,
        stage: 'cart',
        recovery_url: 'https://northwind-demo.myshopify.com/cart/47102938475612:2',
        email_legal_basis: 'can_spam_opt_out',
        sms_legal_basis: null,
        jurisdiction: 'US',
        native_flow_likely: false,
        items: [expect.objectContaining({ title: 'Organic Cotton Tee', quantity: 2 })],
      },
    });
    expect(events[0]!.profile).not.toHaveProperty('phone_number');
    await runner.drain();
    expect(standIns.klaviyo.eventsFor(trigger.id)).toHaveLength(1);
  });

  it('stops a send when the shopper unsubscribes between the trigger and its delivery', async () => {
    const at = new Date(t.clock.now()).toISOString();
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', at, 'c-withdraw')], {
      customer: { id: '7812345678902', email: 'wd@shop.example' },
      cart: 'cart-withdraw',
    });
    standIns.klaviyo.faults.down = () => ({ status: 503 });
    await abandonAndDeliver();
    const [fired] = await triggers();
    expect(fired.email).toMatchObject({ allowed: true, basis: 'can_spam_opt_out' });
    expect(fired.deliveries.klaviyo).toMatchObject({ status: 'pending', attempts: 1 });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/consent',
      headers: {
        'content-type': 'application/json',
        'cf-ipcountry': 'US',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      payload: {
        subject: { email: 'wd@shop.example' },
        permission: 'email',
        state: 'withdrawn',
        source: 'unsubscribe_link',
        wording: 'Unsubscribe',
        timestamp: new Date(t.clock.now()).toISOString(),
      },
    });
    expect(res.statusCode).toBe(200);
    await t.engine.processor.drain();
    standIns.klaviyo.faults.down = () => undefined;
    t.clock.advanceBy(HOUR);
    await runner.drain();
    const [after] = await triggers();
    expect(after.deliveries.klaviyo).toMatchObject({
      status: 'skipped',
      outcome: { withheld: { email: 'withdrawn' } },
    });
    expect(standIns.klaviyo.eventsFor(fired.id)).toEqual([]);
  });

  it('sends one event per Klaviyo profile when the email and the phone belong to two of them', async () => {
    const trigger = sampleTrigger({
      email: 'split@shop.example',
      phone: '+12125550123',
      decisions: { email: allow('can_spam_opt_out'), sms: allow('consent') },
      firedAt: Date.UTC(2026, 10, 22, 15),
    });
    // Klaviyo already knows the email and the phone, as two different profiles.
    for (const profile of [{ email: 'split@shop.example' }, { phone_number: '+12125550123' }]) {
      const res = await fetch(`${standIns.klaviyo.url}/api/events`, {
        method: 'POST',
        headers: {
          authorization: `Klaviyo-API-Key ${standIns.env.KLAVIYO_API_KEY}`,
          revision: '2026-07-15',
          'content-type': 'application/vnd.api+json',
        },
        body: JSON.stringify({
          data: {
            type: 'event',
            attributes: {
              properties: {},
              metric: { data: { type: 'metric', attributes: { name: 'Active on Site' } } },
              profile: { data: { type: 'profile', attributes: profile } },
            },
          },
        }),
      });
      expect(res.status).toBe(202);
    }
    t.clock.advanceTo(Date.UTC(2026, 10, 22, 15));
    await recordSmsOptIn(store, '+12125550123');
    await fireTriggers(store, config, [trigger], t.clock.now());
    await runner.drain();
    const events = standIns.klaviyo.eventsFor(trigger.id);
    expect(events.map((e) => [e.uniqueId, e.profile])).toEqual([
      [trigger.id, { email: 'split@shop.example', external_id: '207119551' }],
      [`${trigger.id}-sms`, { phone_number: '+12125550123' }],
    ]);
    expect(events[0]!.profileId).not.toBe(events[1]!.profileId);
    const row = await deliveryRow(store, `klaviyo:abandonment:${trigger.id}`);
    expect(row.status).toBe('delivered');
    expect(JSON.parse(row.outcome_json!)).toMatchObject({ uniqueIds: [trigger.id, `${trigger.id}-sms`] });
  });

  it('drains a backlog through the bulk endpoint, and sends email-and-phone triggers one by one', async () => {
    t.clock.advanceTo(Date.UTC(2026, 10, 22, 16));
    const bulk = Array.from({ length: 150 }, (_, n) => sampleTrigger({ email: `bulk${n}@shop.example` }));
    const both = sampleTrigger({
      email: 'both@shop.example',
      phone: '+12125550199',
      decisions: { email: allow('can_spam_opt_out'), sms: allow('consent') },
    });
    await recordSmsOptIn(store, '+12125550199');
    await fireTriggers(store, config, [...bulk, both], t.clock.now());
    const before = standIns.klaviyo.requests.length;
    await runner.drain();
    const requests = standIns.klaviyo.requests.slice(before);
    expect(requests.filter((r) => r.path === '/api/event-bulk-create-jobs')).toHaveLength(1);
    expect(requests.filter((r) => r.path === '/api/events')).toHaveLength(1);
    for (const trigger of [...bulk, both]) expect(standIns.klaviyo.eventsFor(trigger.id)).toHaveLength(1);
    expect(standIns.klaviyo.eventsFor(bulk[0]!.id)[0]!.endpoint).toBe('event-bulk-create-jobs');
  });

  it('holds a night-time SMS-only trigger until the recipient’s morning', async () => {
    // 03:00 in New York.
    t.clock.advanceTo(Date.UTC(2026, 10, 23, 8));
    const trigger = sampleTrigger({
      email: undefined,
      phone: '+12125550142',
      decisions: { email: deny(), sms: allow('consent') },
      firedAt: t.clock.now(),
    });
    await recordSmsOptIn(store, '+12125550142');
    await fireTriggers(store, config, [trigger], t.clock.now());
    await runner.drain();
    const waiting = await deliveryRow(store, `klaviyo:abandonment:${trigger.id}`);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(new Date(waiting.next_attempt_at).toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(standIns.klaviyo.eventsFor(trigger.id)).toEqual([]);
    t.clock.advanceTo(waiting.next_attempt_at);
    await runner.drain();
    expect(standIns.klaviyo.eventsFor(trigger.id).map((e) => e.profile)).toEqual([
      { phone_number: '+12125550142' },
    ]);
  });

  it('records a trigger no channel may use as skipped, and sends nothing', async () => {
    const trigger = sampleTrigger({ decisions: { email: deny('no_marketing_permission'), sms: deny() } });
    await fireTriggers(store, config, [trigger], t.clock.now());
    await runner.drain();
    const shown = (await triggers()).find((x) => x.id === trigger.id);
    expect(shown.deliveries.klaviyo).toMatchObject({
      status: 'skipped',
      attempts: 0,
      outcome: { withheld: { email: 'no_marketing_permission', sms: 'no_contact' } },
    });
    expect(standIns.klaviyo.eventsFor(trigger.id)).toEqual([]);
  });

  it('sends commerce events to Meta and GA4 with the browser’s ids, hashed contacts and consent', async () => {
    const at = new Date(t.clock.now()).toISOString();
    const event = pixelEvent('product_added_to_cart', at, 'c-conv');
    await sendPixel(t.app, [event], {
      customer: { id: '7812345678903', email: 'Conv@Shop.example' },
      cart: 'cart-conv',
      cookies: { _ga: 'GA1.1.1234567890.1700000000', _fbp: 'fb.1.1700000000000.987654321' },
    });
    await t.engine.processor.drain();
    await runner.drain();
    const meta = standIns.meta.events.find((e) => e.eventId === event.id);
    expect(meta).toMatchObject({ eventName: 'AddToCart' });
    expect(meta!.body).toMatchObject({
      action_source: 'website',
      user_data: {
        em: [createHash('sha256').update('conv@shop.example').digest('hex')],
        client_user_agent: expect.stringContaining('Mozilla/5.0'),
        fbp: 'fb.1.1700000000000.987654321',
      },
      custom_data: { currency: 'USD', value: 64 },
      data_processing_options: [],
    });
    expect(JSON.stringify(meta!.body)).not.toContain('conv@shop.example');
    const ga4 = standIns.ga4.events.find((e) => e.clientId === '1234567890.1700000000');
    expect(ga4).toMatchObject({
      name: 'add_to_cart',
      consent: { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
      params: { currency: 'USD', value: 64 },
    });
    expect(standIns.ga4.invalid).toEqual([]);
  });

  it('sends nothing to Meta or GA4 for a visitor who refused tracking', async () => {
    const at = new Date(t.clock.now()).toISOString();
    const event = pixelEvent('product_added_to_cart', at, 'c-refused');
    await sendPixel(t.app, [event], {
      cart: 'cart-refused',
      privacy: false,
      cookies: { _ga: 'GA1.1.555.1700000000', _fbp: 'fb.1.1700000000000.555' },
      headers: { 'cf-ipcountry': 'DE', 'cf-region-code': '' },
    });
    await t.engine.processor.drain();
    await runner.drain();
    const queued = await store.db
      .selectFrom('deliveries')
      .select('id')
      .where('kind', '=', 'conversion')
      .execute();
    expect(queued).toEqual([]);
    expect(standIns.meta.events.find((e) => e.eventId === event.id)).toBeUndefined();
  });

  it('asks Klaviyo to delete an erased shopper, and forgets the request once it is delivered', async () => {
    const at = new Date(t.clock.now()).toISOString();
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', at, 'c-erase')], {
      customer: { id: '7812345678904', email: 'erase@shop.example' },
      cart: 'cart-erase',
    });
    await t.engine.processor.drain();
    const found = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/profiles/lookup?email=erase@shop.example',
      headers: auth,
    });
    const erase = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${found.json().id}/erase`,
      headers: auth,
    });
    expect(erase.statusCode).toBeLessThan(300);
    await t.engine.processor.drain();
    await runner.drain();
    expect(standIns.klaviyo.deletions).toContainEqual(
      expect.objectContaining({ email: 'erase@shop.example' }),
    );
    const rows = await store.db.selectFrom('deliveries').selectAll().execute();
    expect(rows.filter((r) => r.kind !== 'erasure')).toEqual([]);
    const request = rows.find((r) => r.kind === 'erasure');
    expect(request).toMatchObject({ status: 'delivered', payload_json: '{}' });
    expect(JSON.stringify(rows)).not.toContain('erase@shop.example');
  });

  it('lets an operator list, retry and drop deliveries and resume a paused destination', async () => {
    const [a, b] = [sampleTrigger(), sampleTrigger()];
    await fireTriggers(store, config, [a, b], t.clock.now());
    standIns.klaviyo.faults.failNext({ status: 400 }, 2);
    await runner.drain();
    const dead = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/deliveries?status=dead',
      headers: auth,
    });
    expect(
      dead
        .json()
        .deliveries.map((d: any) => d.subjectId)
        .sort(),
    ).toEqual([a.id, b.id].sort());
    expect(dead.json().deliveries[0]).not.toHaveProperty('payload');
    const retried = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/deliveries/klaviyo:abandonment:${a.id}/retry`,
      headers: auth,
    });
    expect(retried.json()).toEqual({ retried: 1 });
    const dropped = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/deliveries/klaviyo:abandonment:${b.id}/drop`,
      headers: auth,
    });
    expect(dropped.json()).toEqual({ dropped: 1 });
    standIns.klaviyo.faults.failNext({ status: 401 });
    await runner.drain();
    const paused = await t.app.inject({ method: 'GET', url: '/admin/v1/destinations', headers: auth });
    expect(paused.json().destinations.find((d: any) => d.destination === 'klaviyo')).toMatchObject({
      status: 'paused',
      enabled: true,
      reason: { kind: 'misconfigured', status: 401 },
      deliveries: { pending: 1, dropped: 1 },
    });
    const resumed = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/destinations/klaviyo/resume',
      headers: auth,
    });
    expect(resumed.json()).toEqual({ destination: 'klaviyo', resumed: true });
    await runner.drain();
    expect(standIns.klaviyo.eventsFor(a.id)).toHaveLength(1);
    expect(standIns.klaviyo.eventsFor(b.id)).toEqual([]);
    const bad = await t.app.inject({ method: 'GET', url: '/admin/v1/deliveries?status=lost', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
    const badKind = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/deliveries?kind=refund',
      headers: auth,
    });
    expect(badKind.statusCode).toBe(400);
    expect(badKind.json().error.path).toBe('kind');
    const missing = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/deliveries/nope/retry',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
  });
});
