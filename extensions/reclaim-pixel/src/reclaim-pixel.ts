/**
 * The pixel's behaviour, independent of how it is loaded: as an app web pixel (`index.ts`, through
 * `register`) or pasted into the store admin as a custom pixel (`custom-pixel-entry.ts`).
 *
 * It subscribes to Shopify's standard events, keeps Reclaim's own first-party browser id, attaches
 * the latest Customer Privacy state and the first-party cookies Reclaim reads (Klaviyo, Meta, Google,
 * Shopify cart), and posts small batches to `POST /v1/pixel` with `fetch` + `keepalive`.
 */

/** The slice of Shopify's pixel `ExtensionApi` this pixel uses (a custom pixel has the same globals). */
export interface PixelRuntime {
  /** Shopify types each event by name; the pixel forwards them, reading only `name` and `clientId`. */
  analytics: { subscribe(name: string, callback: (event: unknown) => void): unknown };
  browser: {
    cookie: { get(name: string): Promise<string>; set(cookie: string, value?: string): Promise<string> };
    localStorage: {
      getItem(key: string): Promise<string | null>;
      setItem(key: string, value: string): Promise<void>;
    };
  };
  init: {
    data?: { customer?: unknown; cart?: { id?: string | null } | null; shop?: unknown };
    customerPrivacy?: CustomerPrivacy;
  };
  customerPrivacy?: {
    subscribe(name: string, callback: (payload: { customerPrivacy: CustomerPrivacy }) => void): unknown;
  };
}

export interface CustomerPrivacy {
  analyticsProcessingAllowed: boolean;
  marketingAllowed: boolean;
  preferencesProcessingAllowed: boolean;
  saleOfDataAllowed: boolean;
}

export interface PixelOptions {
  /** Origin of the Reclaim server. */
  endpoint: string;
  fetch: (
    url: string,
    init: {
      method: string;
      body: string;
      keepalive: boolean;
      headers: Record<string, string>;
      credentials: 'omit';
    },
  ) => Promise<unknown>;
  /** Schedules a flush; the runtime's `setTimeout`. */
  schedule: (fn: () => void, ms: number) => unknown;
  randomId: () => string;
  /** Events queued before a flush is forced. */
  maxBatch?: number;
  /** How long an event may wait for company before it is sent. */
  flushAfterMs?: number;
}

/** Name of Reclaim's first-party browser-id cookie (and localStorage key). */
export const BROWSER_ID_KEY = '_reclaim_id';
/** Cookies forwarded to the server: Klaviyo's identity, Meta's and Google's click/browser ids, Shopify's cart. */
export const FORWARDED_COOKIES = ['__kla_id', '_fbp', '_fbc', '_ga', 'cart'] as const;
/** `keepalive` requests may carry at most 64 KB; batches stay below it. */
const MAX_BATCH_BYTES = 60_000;
/** Events worth sending at once rather than waiting for company. */
const URGENT = new Set([
  'checkout_started',
  'checkout_contact_info_submitted',
  'checkout_completed',
  'visitor_consent_collected',
]);

export function startReclaimPixel(runtime: PixelRuntime, options: PixelOptions): { flush(): Promise<void> } {
  const maxBatch = options.maxBatch ?? 10;
  const flushAfterMs = options.flushAfterMs ?? 1_000;
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/pixel`;
  let privacy = runtime.init.customerPrivacy;
  let queue: unknown[] = [];
  let timer: unknown;
  let inFlight: Promise<void> = Promise.resolve();
  /** Shopify's `clientId`, learnt from the first event, so consent decisions name the same browser. */
  let clientId: string | undefined;
  const browserId = ensureBrowserId(runtime, options.randomId);

  const flush = async (): Promise<void> => {
    timer = undefined;
    if (queue.length === 0) return;
    const events = queue;
    queue = [];
    const [id, cookies] = await Promise.all([browserId, readCookies(runtime)]);
    for (const batch of splitBySize(events)) {
      const body = JSON.stringify({
        events: batch,
        ...(privacy ? { customerPrivacy: privacy } : {}),
        init: {
          data: {
            customer: runtime.init.data?.customer ?? null,
            cart: runtime.init.data?.cart ? { id: runtime.init.data.cart.id ?? null } : null,
            shop: runtime.init.data?.shop ?? null,
          },
        },
        cookies,
        ...(id ? { browserId: id } : {}),
      });
      try {
        await options.fetch(url, {
          method: 'POST',
          body,
          keepalive: true,
          headers: { 'content-type': 'text/plain;charset=UTF-8' },
          credentials: 'omit',
        });
      } catch {
        // Offline or blocked: the events are dropped client-side; Shopify's webhooks still carry checkouts and orders.
      }
    }
  };

  const enqueue = (event: unknown, urgent: boolean) => {
    queue.push(event);
    if (urgent || queue.length >= maxBatch) {
      inFlight = inFlight.then(flush);
    } else if (timer === undefined) {
      timer = options.schedule(() => {
        inFlight = inFlight.then(flush);
      }, flushAfterMs);
    }
  };

  runtime.analytics.subscribe('all_standard_events', (event) => {
    const { name, clientId: eventClientId } = event as { name?: string; clientId?: string };
    clientId ??= eventClientId;
    enqueue(event, URGENT.has(name ?? ''));
  });
  runtime.customerPrivacy?.subscribe('visitorConsentCollected', (payload) => {
    privacy = payload.customerPrivacy;
    void browserId.then((id) =>
      enqueue(
        {
          id: `consent-${options.randomId()}`,
          name: 'visitor_consent_collected',
          timestamp: new Date().toISOString(),
          clientId: clientId ?? id ?? options.randomId(),
          customerPrivacy: payload.customerPrivacy,
        },
        true,
      ),
    );
  });

  return { flush: () => (inFlight = inFlight.then(flush)) };
}

/** Reads Reclaim's browser id from its cookie (or localStorage), creating and storing one when missing. */
async function ensureBrowserId(runtime: PixelRuntime, randomId: () => string): Promise<string | undefined> {
  try {
    const existing =
      (await runtime.browser.cookie.get(BROWSER_ID_KEY)) ||
      (await runtime.browser.localStorage.getItem(BROWSER_ID_KEY));
    const id = existing || randomId();
    await runtime.browser.cookie.set(
      `${BROWSER_ID_KEY}=${id}; path=/; max-age=31536000; SameSite=Lax; Secure`,
    );
    await runtime.browser.localStorage.setItem(BROWSER_ID_KEY, id);
    return id;
  } catch {
    return undefined;
  }
}

async function readCookies(runtime: PixelRuntime): Promise<Record<string, string>> {
  const cookies: Record<string, string> = {};
  for (const name of FORWARDED_COOKIES) {
    try {
      const value = await runtime.browser.cookie.get(name);
      if (value) cookies[name] = value;
    } catch {
      // A cookie the sandbox will not read is simply not forwarded.
    }
  }
  return cookies;
}

function splitBySize(events: unknown[]): unknown[][] {
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  let size = 0;
  for (const event of events) {
    const bytes = JSON.stringify(event).length;
    if (current.length > 0 && size + bytes > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(event);
    size += bytes;
  }
  if (current.length) batches.push(current);
  return batches;
}
