import { z } from 'zod';
import { isoTime } from '../validation.ts';

/** Largest pixel request; the pixel batches a handful of events per request. */
export const PIXEL_MAX_BODY_BYTES = 256 * 1024;
export const PIXEL_MAX_EVENTS = 100;

const record = z.record(z.string(), z.unknown());

/** Shopify's `CustomerPrivacyPayload.customerPrivacy` (Web Pixels API). */
export const customerPrivacySchema = z.looseObject({
  analyticsProcessingAllowed: z.boolean(),
  marketingAllowed: z.boolean(),
  preferencesProcessingAllowed: z.boolean(),
  saleOfDataAllowed: z.boolean(),
});
export type CustomerPrivacy = z.output<typeof customerPrivacySchema>;

/**
 * One standard pixel event exactly as the Web Pixels API delivers it. `seq` and `type` are optional
 * because real captures lack them; `id` and `clientId` are required by the types and by us.
 */
export const pixelEventSchema = z.looseObject({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  timestamp: isoTime,
  clientId: z.string().min(1).max(256),
  seq: z.number().int().optional(),
  type: z.string().max(64).optional(),
  context: record.optional().nullable(),
  data: record.optional().nullable(),
  /** Our pixel's `visitor_consent_collected` carries the new decision here. */
  customerPrivacy: customerPrivacySchema.optional(),
});
export type PixelEvent = z.output<typeof pixelEventSchema>;

/** `POST /v1/pixel`: CONTRACT.md "Shopify Web Pixel". */
export const pixelBodySchema = z.looseObject({
  events: z
    .array(z.unknown(), { error: 'events must be an array of pixel events' })
    .min(1, 'events is empty')
    .max(PIXEL_MAX_EVENTS, `at most ${PIXEL_MAX_EVENTS} events per request`),
  /** The latest Customer Privacy state, applying to every event in the request. */
  customerPrivacy: customerPrivacySchema.optional().nullable(),
  /** The `init` the pixel received: `data.customer`, `data.cart`, `data.shop`. */
  init: z.looseObject({ data: record.optional().nullable() }).optional().nullable(),
  /** First-party cookies the pixel read: `__kla_id`, `_fbp`, `_fbc`, `_ga`, `cart`. */
  cookies: z.record(z.string().max(128), z.string().max(4096)).optional().nullable(),
  /** Reclaim's own first-party browser id, kept by the pixel. */
  browserId: z.string().min(1).max(256).optional().nullable(),
});
export type PixelBody = z.output<typeof pixelBodySchema>;
