import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { lookup, pixelEvent, scenarioEnv, sendPixel, sendSegment, sendWebhook } from '../support/shop.ts';

const day = (n: number, time = '10:00:00') => `2026-11-${String(n).padStart(2, '0')}T${time}.000Z`;

describeEachDialect('identity scenarios from real payloads', (dialect) => {
  let store: Store;
  let t: TestApp;
  const start = async (env: Record<string, string> = {}) => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig({ ...scenarioEnv, ...env }));
  };
  beforeEach(async () => start());
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });
  const process = () => t.engine.processor.drain();
  const profileOf = async (query: string) => {
    const res = await lookup(t.app, query);
    return res.status === 200 ? (res.body.id as string) : undefined;
  };
  const contact = (email: string, token: string) => (e: any) => {
    e.data.checkout.email = email;
    e.data.checkout.token = token;
  };

  it('links two devices through the email typed into checkout on each', async () => {
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(1), 'phone-1')], { cart: 'cart-phone' });
    await sendPixel(t.app, [
      pixelEvent(
        'checkout_contact_info_submitted',
        day(1, '10:05:00'),
        'phone-1',
        contact('Ana@Shop.Example', 'chk-1'),
      ),
    ]);
    await sendPixel(t.app, [
      pixelEvent('checkout_contact_info_submitted', day(4), 'laptop-1', contact('ana@shop.example', 'chk-2')),
    ]);
    await process();
    const phone = await profileOf('client_id=phone-1');
    expect(phone).toBeDefined();
    expect(await profileOf('client_id=laptop-1')).toBe(phone);
    expect(await profileOf('email=ANA@shop.example')).toBe(phone);
    const view = (await lookup(t.app, 'email=ana@shop.example')).body;
    expect(view.identifiers.map((i: any) => `${i.type}:${i.value}`)).toEqual(
      expect.arrayContaining([
        'cartToken:cart-phone',
        'checkoutToken:chk-1',
        'checkoutToken:chk-2',
        'clientId:laptop-1',
        'clientId:phone-1',
        'email:ana@shop.example',
      ]),
    );
    expect(view.links.length).toBeGreaterThan(0);
    expect(view.timeline.map((e: any) => e.kind)).toEqual([
      'checkout_contact',
      'checkout_contact',
      'cart_add',
    ]);
  });

  it('joins an in-app browser and Safari once the shopper logs in on both', async () => {
    const customer = { id: '7812345678901', email: 'jo@shop.example', phone: null };
    await sendPixel(t.app, [pixelEvent('product_viewed', day(2), 'instagram-webview')], { customer });
    await sendPixel(t.app, [pixelEvent('product_viewed', day(3), 'safari-1')], { customer });
    await process();
    expect(await profileOf('client_id=safari-1')).toBe(await profileOf('client_id=instagram-webview'));
    expect(await profileOf('customer_id=7812345678901')).toBe(await profileOf('client_id=safari-1'));
  });

  it('recognises a Klaviyo email click (_kx) on a new device', async () => {
    const landing = (kx: string) => (e: any) =>
      (e.context.document.location.href = `https://northwind-demo.myshopify.com/products/tee?_kx=${kx}`);
    await sendPixel(t.app, [pixelEvent('page_viewed', day(1), 'phone-2', landing('KX.ana'))]);
    await sendPixel(t.app, [
      pixelEvent(
        'checkout_contact_info_submitted',
        day(1, '10:02:00'),
        'phone-2',
        contact('ana@shop.example', 'chk-9'),
      ),
    ]);
    await sendPixel(t.app, [pixelEvent('page_viewed', day(9), 'desktop-2', landing('KX.ana'))]);
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(9, '10:01:00'), 'desktop-2')], {
      cart: 'cart-desktop',
    });
    await process();
    const ana = await profileOf('email=ana@shop.example');
    expect(await profileOf('client_id=desktop-2')).toBe(ana);
  });

  it('treats the same email in different case as one identifier', async () => {
    await sendSegment(t.app, 'identify', {
      anonymousId: 'a-1',
      traits: { email: 'Mixed.Case@Shop.Example' },
    });
    await sendSegment(t.app, 'identify', {
      anonymousId: 'a-2',
      traits: { email: '  mixed.case@shop.example ' },
    });
    await process();
    const view = (await lookup(t.app, 'email=MIXED.CASE@SHOP.EXAMPLE')).body;
    expect(view.identifiers.filter((i: any) => i.type === 'email')).toHaveLength(1);
    expect(await profileOf('anonymous_id=a-1')).toBe(await profileOf('anonymous_id=a-2'));
  });

  it('finds a shopper by a phone number typed the way the store’s country writes it', async () => {
    await t.app.close();
    await store.close();
    await start({ RECLAIM_STORE_COUNTRY: 'gb' });
    await sendSegment(t.app, 'identify', { anonymousId: 'uk-1', traits: { phone: '+44 20 7946 0958' } });
    await process();
    expect(await profileOf('phone=020%207946%200958')).toBe(await profileOf('anonymous_id=uk-1'));
  });

  it('says how to look up a national-format number when the store’s country is not set', async () => {
    const res = await lookup(t.app, 'phone=020%207946%200958');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('RECLAIM_STORE_COUNTRY');
  });

  it('treats a phone in three formats as one E.164 number', async () => {
    await sendSegment(t.app, 'identify', {
      anonymousId: 'p-1',
      traits: { phone: '(415) 555-0123', address: { country: 'US' } },
    });
    await sendSegment(t.app, 'identify', { anonymousId: 'p-2', traits: { phone: '+1 415-555-0123' } });
    await sendSegment(t.app, 'identify', { anonymousId: 'p-3', traits: { phone: '+14155550123' } });
    await process();
    const view = (await lookup(t.app, 'phone=%2B1%20415%20555%200123')).body;
    expect(view.identifiers.filter((i: any) => i.type === 'phone').map((i: any) => i.value)).toEqual([
      '+14155550123',
    ]);
    expect(
      new Set([
        await profileOf('anonymous_id=p-1'),
        await profileOf('anonymous_id=p-2'),
        await profileOf('anonymous_id=p-3'),
      ]).size,
    ).toBe(1);
  });

  it('never merges two customers sharing a family tablet, and stops the tablet linking anyone', async () => {
    const alice = { id: '1001', email: 'alice@family.example', phone: null };
    const bob = { id: '1002', email: 'bob@family.example', phone: null };
    await sendPixel(t.app, [pixelEvent('product_viewed', day(1), 'tablet')], { customer: alice });
    await sendPixel(t.app, [pixelEvent('product_viewed', day(2), 'tablet')], { customer: bob });
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(3), 'tablet')], {
      cart: 'cart-anonymous',
    });
    await process();
    const a = await profileOf('customer_id=1001');
    const b = await profileOf('customer_id=1002');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    expect(await profileOf('email=alice@family.example')).toBe(a);
    expect(await profileOf('email=bob@family.example')).toBe(b);
    const tablet = (await lookup(t.app, 'customer_id=1001')).body;
    expect(tablet.identifiers.find((i: any) => i.value === 'tablet').status).toBe('shared');
    expect((await lookup(t.app, 'client_id=tablet')).body.error.message).toContain(
      'shared by several shoppers',
    );
    // The anonymous cart on the shared tablet belongs to neither of them.
    expect((await lookup(t.app, 'customer_id=1001')).body.identifiers.map((i: any) => i.value)).not.toContain(
      'cart-anonymous',
    );
    expect((await lookup(t.app, 'customer_id=1002')).body.identifiers.map((i: any) => i.value)).not.toContain(
      'cart-anonymous',
    );
    expect(await profileOf('client_id=tablet')).toBeUndefined();
    expect((await lookup(t.app, 'customer_id=1002')).body.refusals.map((r: any) => r.reason)).toContain(
      'different_customer',
    );
  });

  it('never merges through a placeholder email shared by many checkouts', async () => {
    for (const [i, cart] of ['cart-a', 'cart-b', 'cart-c'].entries()) {
      await sendWebhook(t.app, 'checkouts/update', 'checkouts_update', (c) => {
        c.token = `chk-placeholder-${i}`;
        c.cart_token = cart;
        c.email = 'test@test.com';
        c.customer = null;
        c.phone = null;
      });
    }
    await process();
    expect(await profileOf('email=test@test.com')).toBeUndefined();
    const rows = await store.db
      .selectFrom('identifiers')
      .select(['key', 'profile_id'])
      .where('type', '=', 'cartToken')
      .execute();
    expect(new Set(rows.map((r) => r.profile_id)).size).toBe(3);
  });

  it('does not use a link idle for longer than the lookback', async () => {
    await t.app.close();
    await store.close();
    await start({ RECLAIM_IDENTITY_LOOKBACK: '7d' });
    await sendPixel(t.app, [
      pixelEvent(
        'checkout_contact_info_submitted',
        day(1),
        'old-browser',
        contact('kim@shop.example', 'chk-old'),
      ),
    ]);
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(5), 'old-browser')], {
      cart: 'cart-within',
    });
    // Processed as it arrives, so the browser is stored with Kim's profile when it comes back.
    await process();
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(20), 'old-browser')], {
      cart: 'cart-after',
    });
    await process();
    const kim = await profileOf('email=kim@shop.example');
    const identifiers = (await lookup(t.app, 'email=kim@shop.example')).body.identifiers.map(
      (i: any) => i.value,
    );
    expect(identifiers).toContain('cart-within');
    expect(identifiers).not.toContain('cart-after');
    expect(await profileOf('client_id=old-browser')).not.toBe(kim);
  });

  it('resolves the same way when events arrive out of order', async () => {
    await sendPixel(t.app, [
      pixelEvent('checkout_contact_info_submitted', day(6), 'laptop-9', contact('lee@shop.example', 'chk-l')),
    ]);
    await sendWebhook(t.app, 'orders/create', 'orders_create', (o) => {
      o.id = '9900000000001';
      o.email = 'lee@shop.example';
      o.checkout_token = 'chk-l';
      o.customer = { id: 555001, email: 'lee@shop.example' };
      o.created_at = day(6, '10:10:00');
    });
    await sendPixel(t.app, [pixelEvent('product_added_to_cart', day(2), 'phone-9')], { cart: 'cart-l' });
    await sendWebhook(t.app, 'checkouts/update', 'checkouts_update', (c) => {
      c.token = 'chk-l';
      c.cart_token = 'cart-l';
      c.email = 'lee@shop.example';
      c.customer = null;
      c.updated_at = day(6, '10:00:00');
    });
    await process();
    const lee = await profileOf('customer_id=555001');
    expect(lee).toBeDefined();
    for (const q of ['email=lee@shop.example', 'client_id=laptop-9', 'client_id=phone-9'])
      expect(await profileOf(q)).toBe(lee);
  });
});
