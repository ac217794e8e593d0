import { register } from '@shopify/web-pixels-extension';
import { startReclaimPixel } from './reclaim-pixel.ts';

register((api) => {
  const endpoint = typeof api.settings.endpoint === 'string' ? api.settings.endpoint : '';
  if (!endpoint) return;
  startReclaimPixel(api, {
    endpoint,
    fetch: (url, init) => fetch(url, init),
    schedule: (fn, ms) => setTimeout(fn, ms),
    randomId: () => crypto.randomUUID(),
  });
});
