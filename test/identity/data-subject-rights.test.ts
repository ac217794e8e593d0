import { afterEach, beforeEach, expect, it } from 'vitest';
import { fireAllDue } from '../../src/journeys/scheduler.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { countEvents } from '../support/events.ts';
import { ADMIN_TOKEN, lookup, pixelEvent, scenarioEnv, sendPixel, sendWebhook } from '../support/shop.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDialect('data-subject rights', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig(scenarioEnv));
    // Two shoppers: Jane (customer 191167, john@example.com in Shopify's redact sample) and Ola.
    const customer = { id: '191167', email: 'john@example.com', phone: null };
    await sendPixel(t.app, [pixelEvent('product_viewed', '2026-11-01T10:00:00.000Z', 'john-phone')], {
      customer,
    });
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', '2026-11-01T10:01:00.000Z', 'john-phone')], {
      customer,
      cart: 'cart-john',
    });
    await sendPixel(t.app, [
      pixelEvent('checkout_contact_info_submitted', '2026-11-02T10:00:00.000Z', 'ola-laptop', (e) => {
        e.data.checkout.email = 'ola@shop.example';
        e.data.checkout.token = 'chk-ola';
      }),
    ]);
    await t.engine.processor.drain();
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  it('erases a shopper on customers/redact, with a receipt that holds no personal data', async () => {
    expect((await lookup(t.app, 'email=john@example.com')).status).toBe(200);
    const before = await countEvents(store);
    await sendWebhook(t.app, 'customers/redact', 'customers_redact');
    await t.engine.processor.drain();
    expect((await lookup(t.app, 'email=john@example.com')).status).toBe(404);
    expect((await lookup(t.app, 'client_id=john-phone')).status).toBe(404);
    expect((await lookup(t.app, 'email=ola@shop.example')).status).toBe(200);
    const receipts = await store.db.selectFrom('erasure_receipts').selectAll().execute();
    expect(receipts).toHaveLength(1);
    const text = JSON.stringify(receipts[0]);
    expect(text).not.toMatch(/john|example\.com|191167|john-phone|cart-john/);
    expect(JSON.parse(receipts[0]!.counts_json).counts).toMatchObject({ events: 2, identifiers: 4 });
    expect(receipts[0]!.source).toBe('shopify:customers/redact');
    // Ola's event, and the scrubbed request itself, remain.
    expect(await countEvents(store)).toBe(before - 2 + 1);
    const all = await store.db.selectFrom('events').select('body_json').execute();
    expect(all.map((r) => r.body_json).join()).not.toContain('john@example.com');
  });

  it('erases through the admin API and answers with the receipt', async () => {
    const profile = (await lookup(t.app, 'email=ola@shop.example')).body.id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${profile}/erase`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'erased',
      receipt: { source: 'admin', profileIds: [profile], counts: { events: 1 } },
    });
    expect((await lookup(t.app, 'email=ola@shop.example')).status).toBe(404);
    expect((await lookup(t.app, 'email=john@example.com')).status).toBe(200);
  });

  it('exports a shopper’s data on customers/data_request', async () => {
    await sendWebhook(t.app, 'customers/data_request', 'customers_data_request');
    await t.engine.processor.drain();
    const list = await t.app.inject({ method: 'GET', url: '/admin/v1/exports', headers: auth });
    const [entry] = list.json().exports;
    expect(entry.source).toBe('shopify:customers/data_request');
    const exported = (
      await t.app.inject({ method: 'GET', url: `/admin/v1/exports/${entry.id}`, headers: auth })
    ).json();
    expect(exported.requestId).toBe('9999');
    expect(exported.profiles).toHaveLength(1);
    const [profile] = exported.profiles;
    expect(profile.identifiers.map((i: any) => i.value)).toEqual(
      expect.arrayContaining(['191167', 'john@example.com', 'john-phone', 'cart-john']),
    );
    expect(profile.timeline).toHaveLength(2);
    expect(profile.timeline[0].commerce.lines[0].title).toBe('Organic Cotton Tee');
  });

  it('exports through the admin API', async () => {
    const profile = (await lookup(t.app, 'email=ola@shop.example')).body.id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${profile}/export`,
      headers: auth,
    });
    expect(res.statusCode).toBe(201);
    const exported = (await t.app.inject({ method: 'GET', url: res.json().url, headers: auth })).json();
    expect(exported.profiles[0].id).toBe(profile);
  });

  async function exportOf(email: string): Promise<{ profile: string; url: string }> {
    const profile = (await lookup(t.app, `email=${email}`)).body.id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${profile}/export`,
      headers: auth,
    });
    expect(res.statusCode).toBe(201);
    return { profile, url: res.json().url };
  }
  const fetchExport = (url: string) => t.app.inject({ method: 'GET', url, headers: auth });

  it('deletes a shopper’s earlier exports when the shopper is erased', async () => {
    const ola = await exportOf('ola@shop.example');
    const john = await exportOf('john@example.com');
    expect((await fetchExport(ola.url)).body).toContain('ola@shop.example');
    const erased = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/profiles/${ola.profile}/erase`,
      headers: auth,
    });
    expect(erased.json().receipt.counts).toMatchObject({ data_exports: 1 });
    const gone = await fetchExport(ola.url);
    expect(gone.statusCode).toBe(404);
    const listed = (await fetchExport('/admin/v1/exports')).json().exports;
    expect(listed.map((e: { profileId: string }) => e.profileId)).toEqual([john.profile]);
    const rows = await store.db.selectFrom('data_exports').select('body_json').execute();
    expect(rows.map((r) => r.body_json).join()).not.toContain('ola@shop.example');
  });

  it('lets the merchant delete an export, and expires exports after RECLAIM_EXPORT_TTL', async () => {
    const ola = await exportOf('ola@shop.example');
    const deleted = await t.app.inject({ method: 'DELETE', url: ola.url, headers: auth });
    expect(deleted.statusCode).toBe(204);
    expect((await fetchExport(ola.url)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: ola.url, headers: auth })).statusCode).toBe(404);

    const john = await exportOf('john@example.com');
    t.clock.advanceBy(29 * 86_400_000);
    expect((await fetchExport(john.url)).statusCode).toBe(200);
    expect(await t.engine.housekeep(t.clock.now())).toBe(0);
    t.clock.advanceBy(2 * 86_400_000);
    expect((await fetchExport(john.url)).statusCode).toBe(404);
    expect(await t.engine.housekeep(t.clock.now())).toBe(1);
    expect(await store.db.selectFrom('data_exports').selectAll().execute()).toEqual([]);
  });

  it('keeps the admin API closed without the bearer token', async () => {
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/v1/profiles/lookup?email=ola@shop.example' }))
        .statusCode,
    ).toBe(401);
    const wrong = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/exports',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('RECLAIM_ERR_UNAUTHORIZED');
  });

  it('erases the whole shop on shop/redact', async () => {
    await sendWebhook(t.app, 'shop/redact', 'shop_redact');
    await t.engine.processor.drain();
    expect(await countEvents(store)).toBe(0);
    expect(await store.db.selectFrom('identifiers').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    const [receipt] = await store.db.selectFrom('erasure_receipts').selectAll().execute();
    expect(receipt!.source).toBe('shopify:shop/redact');
    const { counts } = JSON.parse(receipt!.counts_json) as { counts: Record<string, number> };
    expect(counts.webhook_deliveries).toBeGreaterThanOrEqual(1);
  });

  it('keeps processing after a shop/redact: a shopper who comes afterwards is recognised and their journey fires', async () => {
    await sendWebhook(t.app, 'shop/redact', 'shop_redact');
    await t.engine.processor.drain();
    await sendPixel(t.app, [pixelEvent('product_viewed', '2026-11-22T12:00:00.000Z', 'new-phone')], {
      customer: { id: '7812345678999', email: 'new@shop.example', phone: null },
    });
    await t.engine.processor.drain();
    expect((await lookup(t.app, 'email=new@shop.example')).status).toBe(200);
    t.clock.advanceBy(3 * 3_600_000);
    await fireAllDue(t.engine.scheduler, t.clock.now());
    const triggers = await store.db.selectFrom('triggers').select(['stage']).execute();
    expect(triggers).toEqual([{ stage: 'browse' }]);
  });

  it('never hands out an erased event’s sequence number again', async () => {
    const newest = await store.db
      .selectFrom('events')
      .select('seq')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    // An erasure removes a shopper's events wherever they stand in the log, the newest included.
    await store.db.deleteFrom('events').where('seq', '=', newest.seq).execute();
    await sendPixel(t.app, [pixelEvent('page_viewed', '2026-11-22T12:00:00.000Z', 'other-phone')]);
    const after = await store.db
      .selectFrom('events')
      .select('seq')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(Number(after.seq)).toBeGreaterThan(Number(newest.seq));
  });
});
