import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { replayFile } from '../../src/app/replay/replay.ts';
import type { TriggerBody } from '../../src/journeys/firing.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { testConfig } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { at, ndjson, pixelLine, webhookLine } from '../support/replay-lines.ts';

const T0 = Date.UTC(2026, 10, 2, 9, 0);
const MIN = 60_000;
const jo = { id: '7812345678901', email: 'jo@shop.example' };
const alice = { id: '7812345678902', email: 'alice@family.example' };
const bob = { id: '7812345678903', email: 'bob@family.example' };

const contact = (email: string, token: string) => (e: any) => {
  e.data.checkout.email = email;
  e.data.checkout.token = token;
};
const checkoutWebhook = (token: string, cart: string, email: string) => (c: any) => {
  c.token = token;
  c.cart_token = cart;
  c.email = email;
  c.customer = null;
  c.updated_at = undefined;
  c.created_at = undefined;
};

/** Each case: the lines a store sends, and the triggers that must come out (by stage, in firing order). */
const CASES: {
  name: string;
  lines: (base: number, scale: number) => object[];
  expect: string[];
  check?: (triggers: TriggerBody[], scale: number) => void;
}[] = [
  {
    name: 'view only → one browse trigger, two hours after the last view',
    lines: (b) => [
      pixelLine(at(b, 0), 'c1', 'product_viewed', undefined, { customer: jo }),
      pixelLine(at(b, 20), 'c1', 'page_viewed', undefined, { customer: jo }),
    ],
    expect: ['browse'],
    check: ([t], scale) => {
      expect(t!.dueAt).toBe(T0 + 20 * MIN * scale + 120 * MIN * scale);
      expect(t!.items[0]!.title).toBe('Organic Cotton Tee');
      expect(t!.recipient.email).toEqual({ value: 'jo@shop.example', reason: 'most_recently_seen' });
      expect(t!.decisions.email).toMatchObject({ allowed: true, basis: 'can_spam_opt_out' });
    },
  },
  {
    name: 'view then cart → only the deeper cart trigger, with a cart permalink',
    lines: (b) => [
      pixelLine(at(b, 0), 'c2', 'product_viewed', undefined, { customer: jo }),
      pixelLine(at(b, 5), 'c2', 'product_added_to_cart', undefined, { customer: jo, cart: 'cart-2' }),
    ],
    expect: ['cart'],
    check: ([t]) => {
      expect(t!.recoveryUrl).toBe('https://northwind-demo.myshopify.com/cart/47102938475612:2');
      expect(t!.value).toBe('64.00');
    },
  },
  {
    name: 'cart, then checkout, then leave → one checkout trigger with the abandoned-checkout URL',
    lines: (b) => [
      pixelLine(at(b, 0), 'c3', 'product_added_to_cart', undefined, { cart: 'cart-3' }),
      pixelLine(at(b, 4), 'c3', 'checkout_started', (e) => (e.data.checkout.token = 'chk-3'), {
        cart: 'cart-3',
      }),
      pixelLine(at(b, 6), 'c3', 'checkout_contact_info_submitted', contact('ana@shop.example', 'chk-3'), {
        cart: 'cart-3',
      }),
      webhookLine(
        at(b, 7),
        'checkouts/update',
        'checkouts_update',
        checkoutWebhook('chk-3', 'cart-3', 'ana@shop.example'),
      ),
    ],
    expect: ['checkout'],
    check: ([t]) => {
      expect(t!.recoveryUrl).toContain('/recover?key=');
      expect(t!.recipient.email).toEqual({ value: 'ana@shop.example', reason: 'asserted_in_journey' });
      expect(t!.native).toEqual({ klaviyoLikelySaw: true, reason: 'email_typed_in_checkout' });
    },
  },
  {
    name: 'checkout then order → no trigger',
    lines: (b) => [
      pixelLine(at(b, 0), 'c4', 'checkout_contact_info_submitted', contact('bo@shop.example', 'chk-4')),
      pixelLine(at(b, 3), 'c4', 'checkout_completed', (e) => {
        e.data.checkout.email = 'bo@shop.example';
        e.data.checkout.token = 'chk-4';
      }),
    ],
    expect: [],
  },
  {
    name: 'the order webhook arrives before the pixel’s checkout events → no trigger',
    lines: (b) => [
      webhookLine(at(b, 10), 'orders/create', 'orders_create', (o) => {
        o.id = '9100000000001';
        o.email = 'cy@shop.example';
        o.checkout_token = 'chk-5';
        o.customer = null;
        o.processed_at = at(b, 10);
      }),
      pixelLine(at(b, 11), 'c5', 'checkout_started', (e) => {
        e.timestamp = at(b, 2);
        e.data.checkout.token = 'chk-5';
      }),
      pixelLine(at(b, 11), 'c5', 'checkout_contact_info_submitted', (e) => {
        contact('cy@shop.example', 'chk-5')(e);
        e.timestamp = at(b, 5);
      }),
    ],
    expect: [],
  },
  {
    name: 'views spread over days → one browse trigger per visit',
    lines: (b) => [
      pixelLine(at(b, 0), 'c6', 'product_viewed', undefined, { customer: jo }),
      pixelLine(at(b, 3 * 24 * 60), 'c6', 'product_viewed', undefined, { customer: jo }),
    ],
    expect: ['browse', 'browse'],
  },
  {
    name: 'two carts in one day → a cart trigger for each',
    lines: (b) => [
      pixelLine(at(b, 0), 'c7', 'product_added_to_cart', undefined, { customer: jo, cart: 'cart-7a' }),
      pixelLine(at(b, 5 * 60), 'c7', 'product_added_to_cart', undefined, { customer: jo, cart: 'cart-7b' }),
    ],
    expect: ['cart', 'cart'],
  },
  {
    name: 'a cross-device journey → the phone’s cart and the laptop’s checkout are one journey, one trigger',
    lines: (b) => [
      pixelLine(at(b, 0), 'phone', 'product_added_to_cart', undefined, { cart: 'cart-8' }),
      pixelLine(at(b, 30), 'laptop', 'checkout_contact_info_submitted', contact('dee@shop.example', 'chk-8')),
      webhookLine(
        at(b, 31),
        'checkouts/update',
        'checkouts_update',
        checkoutWebhook('chk-8', 'cart-8', 'dee@shop.example'),
      ),
    ],
    expect: ['checkout'],
    check: ([t]) => expect(t!.recipient.email).toMatchObject({ value: 'dee@shop.example' }),
  },
  {
    name: 'two shoppers carting on one family tablet → each cart trigger goes to its own shopper',
    lines: (b) => [
      pixelLine(at(b, 0), 'tablet', 'product_added_to_cart', undefined, { customer: alice, cart: 'cart-9a' }),
      pixelLine(at(b, 10), 'tablet', 'product_added_to_cart', undefined, { customer: bob, cart: 'cart-9b' }),
    ],
    expect: ['cart', 'cart'],
    check: ([first, second]) => {
      expect(first!.recipient.email).toMatchObject({ value: 'alice@family.example' });
      expect(second!.recipient.email).toMatchObject({ value: 'bob@family.example' });
      expect(first!.profileId).not.toBe(second!.profileId);
    },
  },
];

describeEachDialect('journeys from real payloads, replayed in event time', (dialect) => {
  let dir: string;
  let stores: Store[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-journeys-'));
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(lines: object[], env: Record<string, string> = {}) {
    const file = join(dir, `replay-${stores.length}.ndjson`);
    writeFileSync(file, ndjson(lines));
    const store = await dialect.open();
    stores.push(store);
    const summary = await replayFile({
      file,
      config: testConfig(env),
      store,
      log: createLogger({ level: 'silent' }),
    });
    const rows = await store.db
      .selectFrom('triggers')
      .select('body_json')
      .orderBy('fired_at')
      .orderBy('id')
      .execute();
    return { summary, triggers: rows.map((r) => JSON.parse(r.body_json) as TriggerBody) };
  }

  it.each(CASES)('$name', async ({ lines, expect: stages, check }) => {
    const { triggers, summary } = await run(lines(T0, 1));
    expect(summary.rejected).toEqual({});
    expect(triggers.map((t) => t.stage)).toEqual(stages);
    check?.(triggers, 1);
  });

  it('behaves the same with 45-second windows as with two-hour ones, in event time', async () => {
    const seconds = { RECLAIM_BROWSE_AFTER: '45s', RECLAIM_CART_AFTER: '45s', RECLAIM_CHECKOUT_AFTER: '45s' };
    const hours = { RECLAIM_BROWSE_AFTER: '2h', RECLAIM_CART_AFTER: '2h', RECLAIM_CHECKOUT_AFTER: '2h' };
    // The same story with every gap measured in windows (`unit` minutes each).
    const kai = { id: '55', email: 'kai@shop.example' };
    const story = (unit: number) => [
      pixelLine(at(T0, 0), 'w1', 'product_viewed', undefined, { customer: jo }),
      pixelLine(at(T0, 0.25 * unit), 'w1', 'product_added_to_cart', undefined, {
        customer: jo,
        cart: 'cart-w',
      }),
      pixelLine(at(T0, 5 * unit), 'w2', 'product_viewed', undefined, { customer: kai }),
      pixelLine(at(T0, 5.5 * unit), 'w2', 'product_viewed', undefined, { customer: kai }),
      pixelLine(at(T0, 5.9 * unit), 'w1', 'checkout_completed', undefined, { customer: jo }),
    ];
    const fast = await run(story(0.75), seconds);
    const slow = await run(story(120), hours);
    const shape = (ts: TriggerBody[], window: number) =>
      ts.map((t) => ({ stage: t.stage, dueInWindows: (t.dueAt - T0) / window, late: t.firedAt - t.dueAt }));
    expect(shape(fast.triggers, 45_000)).toEqual([
      { stage: 'cart', dueInWindows: 1.25, late: 0 },
      { stage: 'browse', dueInWindows: 6.5, late: 0 },
    ]);
    expect(shape(slow.triggers, 2 * 3_600_000)).toEqual(shape(fast.triggers, 45_000));
  });

  it('gives identical triggers when the same file is replayed twice into fresh databases', async () => {
    const lines = CASES.flatMap((c, i) => c.lines(T0 + i * 7 * 24 * 60 * MIN, 1));
    const first = await run(lines);
    const second = await run(lines);
    expect(first.triggers.length).toBeGreaterThan(5);
    expect(second.triggers).toEqual(first.triggers);
    expect(second.summary).toEqual(first.summary);
  });
});
