import { afterEach, beforeEach, expect, it } from 'vitest';
import { DeliveryRunner } from '../../src/delivery/delivery-runner.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { ADMIN_TOKEN, scenarioEnv, WRITE_KEY } from '../support/shop.ts';

const PHONE = '+14155550123';
const SMS_WORDING =
  'Text me offers and cart reminders at this number. Consent is not a condition of purchase. Msg & data rates may apply. Reply STOP to stop.';

describeEachDialect('carrying SMS and email consent to Klaviyo', (dialect) => {
  let store: Store;
  let standIn: KlaviyoStandIn;
  let t: TestApp;
  let runner: DeliveryRunner;

  const start = async (env: Record<string, string>) => {
    standIn = new KlaviyoStandIn({ rateLimits: false, clock: () => t.clock.now() });
    await standIn.start();
    const config = testConfig({
      ...scenarioEnv,
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: standIn.url,
      ...env,
    });
    t = await buildTestApp(store, config);
    runner = new DeliveryRunner({
      destinations: t.engine.destinations,
      store,
      clock: t.clock,
      log: createLogger({ level: 'silent' }),
      settings: config.delivery,
    });
  };
  beforeEach(async () => {
    store = await dialect.open();
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
    await standIn.close();
  });

  const decide = async (body: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/consent',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      payload: JSON.stringify({ source: 'popup', country: 'US', region: 'CA', ...body }),
    });
    expect(res.statusCode).toBe(200);
    await t.engine.processor.drain();
    await runner.drain();
  };
  const smsGrant = (timestamp: string) => ({
    subject: { phone: PHONE, anonymousId: 'anon-sms' },
    permission: 'sms',
    state: 'granted',
    wording: SMS_WORDING,
    initialState: 'unchecked',
    timestamp,
  });

  it('subscribes the phone with the time of the opt-in, and unsubscribes it on withdrawal', async () => {
    await start({ RECLAIM_KLAVIYO_SYNC_SMS_CONSENT: 'true' });
    await decide(smsGrant('2026-11-21T08:30:00Z'));
    expect(standIn.subscriptions).toEqual([
      expect.objectContaining({
        channel: 'sms',
        consent: 'SUBSCRIBED',
        phone_number: PHONE,
        consentedAt: '2026-11-21T08:30:00.000Z',
        customSource: 'Reclaim consent ledger',
      }),
    ]);
    const rows = await store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('kind', '=', 'subscription')
      .execute();
    expect(rows).toEqual([expect.objectContaining({ status: 'delivered', payload_json: '{}' })]);
    expect(JSON.stringify(rows)).not.toContain('4155550123');

    await decide({
      subject: { phone: PHONE },
      permission: 'sms',
      state: 'withdrawn',
      timestamp: '2026-11-22T09:00:00Z',
    });
    expect(standIn.subscriptions.map((s) => [s.channel, s.consent, s.phone_number])).toEqual([
      ['sms', 'SUBSCRIBED', PHONE],
      ['sms', 'UNSUBSCRIBED', PHONE],
    ]);
  });

  it('sends nothing while the store has not turned it on, and never an email opt-in unless that is on too', async () => {
    await start({});
    await decide(smsGrant('2026-11-21T08:30:00Z'));
    expect(standIn.subscriptions).toEqual([]);
    expect(await store.db.selectFrom('deliveries').selectAll().execute()).toEqual([]);
    await t.app.close();
    await standIn.close();

    await start({ RECLAIM_KLAVIYO_SYNC_SMS_CONSENT: 'true' });
    await decide({
      subject: { email: 'ana@example.org' },
      permission: 'email',
      state: 'granted',
      wording: 'Email me news and offers.',
      initialState: 'unchecked',
      timestamp: '2026-11-21T08:31:00Z',
    });
    expect(standIn.subscriptions).toEqual([]);
  });

  it('carries email opt-ins when RECLAIM_KLAVIYO_SYNC_EMAIL_CONSENT is on', async () => {
    await start({ RECLAIM_KLAVIYO_SYNC_EMAIL_CONSENT: 'true' });
    await decide({
      subject: { email: 'ana@example.org' },
      permission: 'email',
      state: 'granted',
      wording: 'Email me news and offers.',
      initialState: 'unchecked',
      timestamp: '2026-11-21T08:31:00Z',
    });
    expect(standIn.subscriptions).toEqual([
      expect.objectContaining({ channel: 'email', consent: 'SUBSCRIBED', email: 'ana@example.org' }),
    ]);
  });

  it('a Klaviyo outage delays the subscription; it is retried, not dropped', async () => {
    await start({ RECLAIM_KLAVIYO_SYNC_SMS_CONSENT: 'true' });
    standIn.faults.down = () => ({ status: 503 });
    await decide(smsGrant('2026-11-21T08:30:00Z'));
    expect(standIn.subscriptions).toEqual([]);
    const [waiting] = await store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('kind', '=', 'subscription')
      .execute();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });

    standIn.faults.down = () => undefined;
    t.clock.advanceTo(waiting!.next_attempt_at);
    await runner.drain();
    expect(standIn.subscriptions).toEqual([
      expect.objectContaining({ consent: 'SUBSCRIBED', phone_number: PHONE }),
    ]);
  });

  it('erasing the shopper deletes a subscription still waiting: it is never sent', async () => {
    await start({ RECLAIM_KLAVIYO_SYNC_SMS_CONSENT: 'true' });
    standIn.faults.down = () => ({ status: 503 });
    await decide(smsGrant('2026-11-21T08:30:00Z'));
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const found = await t.app.inject({
      url: `/admin/v1/profiles/lookup?phone=${encodeURIComponent(PHONE)}`,
      headers: auth,
    });
    expect(found.statusCode).toBe(200);
    const erase = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${found.json().id}/erase`,
      headers: auth,
    });
    expect(erase.statusCode).toBeLessThan(300);
    await t.engine.processor.drain();
    standIn.faults.down = () => undefined;
    t.clock.advanceBy(86_400_000);
    await runner.drain();
    expect(standIn.subscriptions).toEqual([]);
    expect(standIn.deletions).toContainEqual(expect.objectContaining({ phone_number: PHONE }));
    expect(
      await store.db.selectFrom('deliveries').selectAll().where('kind', '=', 'subscription').execute(),
    ).toEqual([]);
  });
});
