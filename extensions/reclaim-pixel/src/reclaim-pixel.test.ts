import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import type { ExtensionApi, RegisterInit } from '@shopify/web-pixels-extension';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrateToLatest } from '../../../src/store/migrator.ts';
import { openStore } from '../../../src/store/store.ts';
import { buildTestApp } from '../../../test/support/app.ts';
import { contractJson } from '../../../test/support/contracts.ts';
import { storedEvents } from '../../../test/support/events.ts';
import { buildCustomPixel } from '../../build-custom-pixel.ts';

type Callback = (event: any) => void;

/** A typed stand-in for Shopify's pixel sandbox: records subscriptions, keeps a cookie jar. */
function fakeRuntime(settings: Record<string, unknown>) {
  const subscribers = new Map<string, Callback[]>();
  const privacySubscribers = new Map<string, Callback[]>();
  const jar = new Map<string, string>();
  const storage = new Map<string, string>();
  const init = contractJson<RegisterInit>('shopify/pixel-events/init.json');
  const api: ExtensionApi = {
    settings,
    analytics: {
      subscribe: (name: string, callback: Callback) => {
        subscribers.set(name, [...(subscribers.get(name) ?? []), callback]);
        return () => true;
      },
    },
    browser: {
      cookie: {
        get: (name?: string) => Promise.resolve(jar.get(name ?? '') ?? ''),
        set: (cookie: string) => {
          const [pair] = cookie.split(';');
          const [name, value] = pair!.split('=');
          jar.set(name!.trim(), value!.trim());
          return Promise.resolve(cookie);
        },
      },
      localStorage: {
        getItem: (key: string) => Promise.resolve(storage.get(key) ?? null),
        setItem: (key: string, value: string) => {
          storage.set(key, value);
          return Promise.resolve();
        },
        removeItem: (key: string) => Promise.resolve(void storage.delete(key)),
        clear: () => Promise.resolve(storage.clear()),
        key: () => Promise.resolve(null),
        length: () => Promise.resolve(storage.size),
      },
      sessionStorage: {} as ExtensionApi['browser']['sessionStorage'],
      sendBeacon: () => Promise.resolve(true),
    },
    init,
    _pixelInfo: {},
    customerPrivacy: {
      subscribe: (name: string, callback: Callback) => {
        privacySubscribers.set(name, [...(privacySubscribers.get(name) ?? []), callback]);
        return () => true;
      },
    },
  };
  const publish = (event: { name: string }) => {
    for (const callback of subscribers.get('all_standard_events') ?? []) callback(event);
  };
  const collectConsent = (payload: object) => {
    for (const callback of privacySubscribers.get('visitorConsentCollected') ?? []) callback(payload);
  };
  return { api, jar, publish, collectConsent, subscribers };
}

const event = (name: string) => contractJson(`shopify/pixel-events/${name}.json`);

describe('the Reclaim app pixel, run through register()', () => {
  let posts: { url: string; init: RequestInit }[];
  beforeEach(() => {
    vi.useFakeTimers();
    posts = [];
    vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
      posts.push({ url, init });
      return Promise.resolve(new Response('{}'));
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  async function start(
    settings: Record<string, unknown> = { endpoint: 'https://reclaim.example.com/' },
    consenting = false,
  ) {
    let extend: ((api: ExtensionApi) => void) | undefined;
    vi.stubGlobal('shopify', {
      extend: (point: string, fn: (api: ExtensionApi) => void) =>
        point === 'WebPixel::Render' && (extend = fn),
    });
    await import('./index.ts');
    const runtime = fakeRuntime(settings);
    runtime.jar.set('__kla_id', Buffer.from('{"cid":"x","$exchange_id":"KX1"}').toString('base64'));
    runtime.jar.set('_fbp', 'fb.1.1.2');
    runtime.jar.set('cart', 'Z2NwLXVzLWVhc3QxOjAxSjNRNUZLVDhQNlc0WjlFOFpBUUo1S0tD?key=abc');
    if (consenting)
      Object.assign(runtime.api.init.customerPrivacy, { marketingAllowed: true, saleOfDataAllowed: true });
    extend!(runtime.api);
    return runtime;
  }

  const bodyOf = (i: number) => JSON.parse(posts[i]!.init.body as string);

  it('subscribes to the standard events and batches ordinary ones until the flush delay', async () => {
    const runtime = await start();
    expect([...runtime.subscribers.keys()]).toEqual(['all_standard_events']);
    runtime.publish(event('page_viewed'));
    runtime.publish(event('product_viewed'));
    await vi.advanceTimersByTimeAsync(500);
    expect(posts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('https://reclaim.example.com/v1/pixel');
    expect(posts[0]!.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    const body = bodyOf(0);
    expect(body.events.map((e: { name: string }) => e.name)).toEqual(['page_viewed', 'product_viewed']);
    expect(body.customerPrivacy).toEqual(contractJson('shopify/pixel-events/init.json').customerPrivacy);
    expect(body.cookies).toMatchObject({ _fbp: 'fb.1.1.2', cart: expect.stringContaining('Z2Nw') });
    expect(body.init.data.customer.id).toBe('7812345678901');
  });

  it('keeps one first-party browser id in a cookie across page loads', async () => {
    const runtime = await start();
    runtime.publish(event('checkout_started'));
    await vi.runAllTimersAsync();
    const id = bodyOf(0).browserId;
    expect(id).toMatch(/[0-9a-f-]{36}/);
    expect(runtime.jar.get('_reclaim_id')).toBe(id);
  });

  it('sends checkout events at once, and a consent decision with the new state', async () => {
    const runtime = await start();
    runtime.publish(event('checkout_contact_info_submitted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(posts).toHaveLength(1);
    const decision = {
      analyticsProcessingAllowed: true,
      marketingAllowed: true,
      preferencesProcessingAllowed: false,
      saleOfDataAllowed: false,
    };
    runtime.collectConsent({ customerPrivacy: decision });
    await vi.advanceTimersByTimeAsync(0);
    expect(posts).toHaveLength(2);
    expect(bodyOf(1).customerPrivacy).toEqual(decision);
    expect(bodyOf(1).events[0]).toMatchObject({
      name: 'visitor_consent_collected',
      clientId: event('page_viewed').clientId,
      customerPrivacy: decision,
    });
  });

  it('does nothing without an endpoint setting', async () => {
    const runtime = await start({});
    expect(runtime.subscribers.size).toBe(0);
  });

  it('posts bodies the Reclaim server accepts and stores', async () => {
    const runtime = await start(undefined, true);
    for (const name of ['page_viewed', 'product_viewed', 'product_added_to_cart', 'checkout_started'])
      runtime.publish(event(name));
    await vi.runAllTimersAsync();
    vi.useRealTimers();
    const store = await openStore({ url: 'sqlite::memory:' });
    await migrateToLatest(store);
    const { app } = await buildTestApp(store);
    for (const post of posts) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/pixel',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        payload: post.init.body as string,
      });
      expect(res.statusCode).toBe(200);
    }
    const stored = await storedEvents(store);
    expect(stored.map((e) => e.kind)).toEqual(['page_view', 'product_view', 'cart_add', 'checkout_started']);
    expect(stored[2]!.ids).toMatchObject({
      cartToken: 'Z2NwLXVzLWVhc3QxOjAxSjNRNUZLVDhQNlc0WjlFOFpBUUo1S0tD',
      kx: 'KX1',
    });
    await app.close();
    await store.close();
  });
});

describe('the paste-in custom pixel', () => {
  const file = new URL('../../custom-pixel/reclaim-custom-pixel.js', import.meta.url);

  it('is the current build of the pixel source', async () => {
    expect(readFileSync(file, 'utf8')).toBe(await buildCustomPixel());
  });

  it('runs with the custom-pixel globals and posts to the configured server', async () => {
    const runtime = fakeRuntime({});
    const posted: string[] = [];
    const code = readFileSync(file, 'utf8').replace(
      'https://reclaim.example.com',
      'https://reclaim.shop.test',
    );
    runInNewContext(code, {
      analytics: runtime.api.analytics,
      browser: runtime.api.browser,
      init: runtime.api.init,
      customerPrivacy: runtime.api.customerPrivacy,
      fetch: (url: string) => {
        posted.push(url);
        return Promise.resolve({});
      },
      setTimeout: (fn: () => void) => fn(),
      crypto: { randomUUID: () => '00000000-0000-4000-8000-000000000000' },
      JSON,
      Promise,
      Date,
    });
    runtime.publish(event('checkout_started'));
    await new Promise((r) => setTimeout(r, 10));
    expect(posted).toEqual(['https://reclaim.shop.test/v1/pixel']);
  });
});
