import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { countEvents, storedEvents } from '../support/events.ts';

const KEY = 'consent_key';
const grant = {
  subject: { email: 'Ana@Example.org', anonymousId: 'anon-7' },
  permission: 'email',
  state: 'granted',
  source: 'popup',
  wording: 'Email me news and offers. Unsubscribe any time.',
  initialState: 'unchecked',
  timestamp: '2026-11-21T08:30:00Z',
  country: 'de',
};

describeEachDialect('POST /v1/consent', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig({ RECLAIM_WRITE_KEYS: KEY }));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  const post = (body: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/consent',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`,
        'user-agent': 'UA/1',
      },
      payload: JSON.stringify(body),
    });

  it('records a grant with its proof', async () => {
    const res = await post(grant);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('recorded');
    const [event] = await storedEvents(store);
    expect(event).toMatchObject({
      kind: 'consent',
      source: 'consent',
      eventTime: Date.parse('2026-11-21T08:30:00Z'),
      ids: { email: 'ana@example.org', anonymousId: 'anon-7' },
      context: { userAgent: 'UA/1', geo: { country: 'DE' } },
      consent: { permission: 'email', state: 'granted', source: 'popup', wording: grant.wording },
    });
  });

  it('keeps the checkbox’s initial state in the ledger record, beside the wording shown', async () => {
    const sms = {
      ...grant,
      subject: { phone: '+1 415 555 0134' },
      permission: 'sms',
      wordingVersion: 'sms-popup-v3',
      country: 'US',
    };
    expect((await post(sms)).statusCode).toBe(200);
    await t.engine.processor.drain();
    const rows = await store.db.selectFrom('consent_ledger').select('record_json').execute();
    const records = rows.map((r) => JSON.parse(r.record_json));
    expect(records).toContainEqual(
      expect.objectContaining({
        permission: 'sms_marketing',
        action: 'grant',
        wording: { id: 'sms-popup-v3', text: grant.wording, initialState: 'unchecked' },
      }),
    );
  });

  it('never records a pre-ticked box as a grant', async () => {
    const res = await post({ ...grant, initialState: 'checked' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'RECLAIM_ERR_CONSENT_UNPROVEN', path: 'initialState' });
    expect(await countEvents(store)).toBe(0);
  });

  it('records the same decision once', async () => {
    await post(grant);
    expect((await post(grant)).json().status).toBe('duplicate');
    expect(await countEvents(store)).toBe(1);
  });

  it.each([
    ['without wording', { wording: undefined }, 'RECLAIM_ERR_CONSENT_UNPROVEN', 'wording'],
    ['with a pre-ticked box', { initialState: 'checked' }, 'RECLAIM_ERR_CONSENT_UNPROVEN', 'initialState'],
    ['for SMS without a phone', { permission: 'sms' }, 'RECLAIM_ERR_INVALID_SHAPE', 'subject.phone'],
    [
      'with an unreadable email',
      { subject: { email: 'not-an-email' } },
      'RECLAIM_ERR_INVALID_SHAPE',
      'subject.email',
    ],
    ['without a subject', { subject: {} }, 'RECLAIM_ERR_INVALID_SHAPE', 'subject'],
    ['with an unknown permission', { permission: 'fax' }, 'RECLAIM_ERR_INVALID_SHAPE', 'permission'],
  ])('refuses a grant %s and stores nothing', async (_name, change, code, path) => {
    const res = await post({ ...grant, ...change });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code, path });
    expect(await countEvents(store)).toBe(0);
  });

  it('records a withdrawal without wording', async () => {
    const res = await post({
      subject: { email: 'ana@example.org' },
      permission: 'email',
      state: 'withdrawn',
      source: 'unsubscribe_link',
      timestamp: '2026-11-21T10:00:00Z',
    });
    expect(res.statusCode).toBe(200);
  });

  it('needs a write key', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/consent',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(grant),
    });
    expect(res.statusCode).toBe(401);
  });
});
