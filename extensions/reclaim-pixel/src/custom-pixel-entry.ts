// Entry point of the paste-in custom pixel: Shopify's custom pixel sandbox provides `analytics`,
// `browser`, `init` and `customerPrivacy` as globals instead of through `register`.
import { startReclaimPixel, type PixelRuntime } from './reclaim-pixel.ts';

declare const analytics: PixelRuntime['analytics'];
declare const browser: PixelRuntime['browser'];
declare const init: PixelRuntime['init'];
declare const customerPrivacy: PixelRuntime['customerPrivacy'];

/** Replace with your Reclaim server's origin before pasting into Settings → Customer events. */
const RECLAIM_URL = 'https://reclaim.example.com';

startReclaimPixel(
  {
    analytics,
    browser,
    init,
    customerPrivacy: typeof customerPrivacy === 'undefined' ? undefined : customerPrivacy,
  },
  {
    endpoint: RECLAIM_URL,
    fetch: (url, options) => fetch(url, options),
    schedule: (fn, ms) => setTimeout(fn, ms),
    randomId: () => crypto.randomUUID(),
  },
);
