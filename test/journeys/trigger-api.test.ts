import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayFile } from '../../src/app/replay/replay.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { at, consentLine, ndjson, pixelLine } from '../support/replay-lines.ts';
import { ADMIN_TOKEN, scenarioEnv } from '../support/shop.ts';

const T0 = Date.UTC(2026, 10, 3, 10);
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the trigger admin API and `reclaim consent why`', () => {
  let dir: string;
  let store: Store;
  let t: TestApp;
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-triggers-'));
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    process.env.RECLAIM_DATABASE_URL = url;
    store = await openStore({ url });
    await migrateToLatest(store);
    const file = join(dir, 'lines.ndjson');
    writeFileSync(
      file,
      ndjson([
        consentLine(at(T0, 0), {
          subject: { email: 'eu@shop.example' },
          permission: 'email',
          state: 'granted',
          wording: 'Email me offers.',
        }),
        pixelLine(at(T0, 1), 'eu', 'product_added_to_cart', undefined, {
          country: 'FR',
          cart: 'cart-eu',
          customer: { id: '1', email: 'eu@shop.example' },
        }),
        pixelLine(at(T0, 2), 'nope', 'product_viewed', undefined, {
          country: 'FR',
          customer: { id: '2', email: 'nope@shop.example' },
        }),
      ]),
    );
    await replayFile({
      file,
      config: testConfig(scenarioEnv),
      store,
      log: createLogger({ level: 'silent' }),
    });
    t = await buildTestApp(store, testConfig(scenarioEnv));
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists fired triggers with stage, profile, recipient and the legal basis per channel', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/v1/triggers', headers: auth });
    expect(res.statusCode).toBe(200);
    const { triggers } = res.json();
    expect(triggers.map((x: any) => x.stage).sort()).toEqual(['browse', 'cart']);
    const cart = triggers.find((x: any) => x.stage === 'cart');
    expect(cart).toMatchObject({
      profileId: expect.stringMatching(/^pr_/),
      email: { recipient: 'eu@shop.example', allowed: true, basis: 'consent' },
      sms: { recipient: null, allowed: false, reason: 'no_contact' },
      jurisdiction: { regime: 'EU' },
    });
    const browse = triggers.find((x: any) => x.stage === 'browse');
    expect(browse.email).toMatchObject({
      recipient: 'nope@shop.example',
      allowed: false,
      reason: 'no_marketing_permission',
    });
  });

  it('filters by stage and time, and refuses a bad filter', async () => {
    const cartOnly = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/triggers?stage=cart',
      headers: auth,
    });
    expect(cartOnly.json().triggers).toHaveLength(1);
    const later = await t.app.inject({
      method: 'GET',
      url: `/admin/v1/triggers?from=${encodeURIComponent(at(T0, 24 * 60))}`,
      headers: auth,
    });
    expect(later.json().triggers).toEqual([]);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/v1/triggers?stage=winback', headers: auth }))
        .statusCode,
    ).toBe(400);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/v1/triggers?from=yesterday', headers: auth }))
        .statusCode,
    ).toBe(400);
    // Date.parse would read this as 10 January, local time.
    const slashed = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/triggers?to=01/10/2026',
      headers: auth,
    });
    expect(slashed.statusCode).toBe(400);
    expect(slashed.json().error).toMatchObject({ code: 'RECLAIM_ERR_BAD_REQUEST', path: 'to' });
    expect(slashed.json().error.message).toContain('YYYY-MM-DD');
  });

  it('answers why a trigger was sent, with the ledger records behind the decision', async () => {
    const { triggers } = (
      await t.app.inject({ method: 'GET', url: '/admin/v1/triggers?stage=cart', headers: auth })
    ).json();
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/v1/triggers/${triggers[0].id}`,
      headers: auth,
    });
    const { why, trigger } = res.json();
    // Times read the same on every admin endpoint: ISO-8601, never epoch milliseconds.
    expect(trigger.dueAt).toBe(triggers[0].dueAt);
    expect(trigger.firedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.body).not.toMatch(/"(at|\w+At)":\d/);
    expect(why.email.decision).toMatchObject({ allowed: true, basis: 'consent' });
    expect(why.email.records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          permission: 'email_marketing',
          action: 'grant',
          wording: { text: 'Email me offers.' },
          hash: expect.any(String),
        }),
      ]),
    );
    const fromCli = await cli('consent', 'why', triggers[0].id);
    expect(fromCli.code).toBe(0);
    expect(JSON.parse(fromCli.stdout)).toEqual(why);
  });
});
