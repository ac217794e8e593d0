import { contractJson, contractText } from './contracts.ts';

/** Builders for replay NDJSON lines from the contract fixtures: real payloads, re-dated and re-identified. */

let counter = 0;
export const at = (base: number, minutes: number) => new Date(base + minutes * 60_000).toISOString();

export interface PixelOptions {
  customer?: { id: string; email: string } | null;
  cart?: string;
  privacy?: boolean;
  country?: string;
  region?: string;
  kla?: boolean;
}

/** A pixel request with one standard event from the fixtures. */
export function pixelLine(
  time: string,
  clientId: string,
  name: string,
  patch: (event: any) => void = () => undefined,
  options: PixelOptions = {},
) {
  const event = structuredClone(contractJson(`shopify/pixel-events/${name}.json`));
  event.id = `sh-line-${++counter}`;
  event.timestamp = time;
  event.clientId = clientId;
  patch(event);
  const allowed = options.privacy ?? true;
  return {
    at: time,
    kind: 'pixel',
    headers: {
      'cf-ipcountry': options.country ?? 'US',
      ...(options.region ? { 'cf-region-code': options.region } : {}),
    },
    body: {
      events: [event],
      customerPrivacy: {
        analyticsProcessingAllowed: allowed,
        marketingAllowed: allowed,
        preferencesProcessingAllowed: allowed,
        saleOfDataAllowed: allowed,
      },
      init: {
        data: {
          customer: options.customer ?? null,
          cart: options.cart ? { id: options.cart } : null,
          shop: { myshopifyDomain: 'northwind-demo.myshopify.com' },
        },
      },
      cookies: {
        ...(options.cart ? { cart: options.cart } : {}),
        ...(options.kla
          ? { __kla_id: Buffer.from('{"cid":"x","$exchange_id":"KX"}').toString('base64') }
          : {}),
      },
    },
  };
}

/** A Shopify webhook line from a sample payload (18-digit ids kept as exact strings). */
export function webhookLine(
  time: string,
  topic: string,
  file: string,
  patch: (body: any) => void = () => undefined,
) {
  const body = JSON.parse(
    contractText(`shopify/webhooks/${file}.json`).replace(/(:\s*)(\d{16,})/g, '$1"$2"'),
  );
  patch(body);
  return {
    at: time,
    kind: 'shopify',
    headers: {
      'X-Shopify-Topic': topic,
      'X-Shopify-Shop-Domain': 'northwind-demo.myshopify.com',
      'X-Shopify-Webhook-Id': `wh-line-${++counter}`,
    },
    body,
  };
}

export const ndjson = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

/** A consent decision as a banner, form or support tool posts it. */
export function consentLine(
  time: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return { at: time, kind: 'consent', headers, body: { timestamp: time, source: 'popup', ...body } };
}

/** A Segment call. */
export function segmentLine(
  time: string,
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return {
    at: time,
    kind: 'segment',
    path,
    headers,
    body: { messageId: `seg-line-${++counter}`, timestamp: time, ...body },
  };
}
