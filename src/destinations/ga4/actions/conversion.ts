import { payloadInvalid } from '../../kit/delivery-errors.ts';
import type { Conversion, ConversionAction, ConversionName } from '../../kit/destination.ts';
import type { Ga4Settings } from '../settings.ts';

/** GA4's recommended e-commerce event names. */
const EVENT_NAMES: Record<ConversionName, string> = {
  view_content: 'view_item',
  add_to_cart: 'add_to_cart',
  initiate_checkout: 'begin_checkout',
  purchase: 'purchase',
};

/** The Measurement Protocol backdates events by at most 72 hours. */
const MAX_AGE = 72 * 3_600_000;
/** Parameter values are cut at 100 characters. */
const text = (value: string | undefined) => (value === undefined ? undefined : value.slice(0, 100));

function ga4Event(conversion: Conversion, now: number) {
  if (now - conversion.at > MAX_AGE)
    throw payloadInvalid('more than 72 hours old; the Measurement Protocol cannot backdate it');
  return {
    name: EVENT_NAMES[conversion.name],
    params: {
      ...(conversion.currency && { currency: conversion.currency }),
      ...(conversion.value !== undefined && { value: Number(conversion.value) }),
      // GA4 counts a purchase once per transaction id, which makes a resent purchase harmless.
      ...(conversion.name === 'purchase' && { transaction_id: conversion.orderId ?? conversion.eventId }),
      items: conversion.items.slice(0, 200).map((l) => ({
        item_id: text(l.variantId ?? l.productId ?? l.sku ?? 'unknown'),
        ...(l.title && { item_name: text(l.title) }),
        ...(l.variantTitle && { item_variant: text(l.variantTitle) }),
        ...(l.price !== undefined && { price: Number(l.price) }),
        quantity: l.quantity,
      })),
      engagement_time_msec: 1,
    },
  };
}

/**
 * Commerce events to the GA4 Measurement Protocol under the browser's own `client_id` (from `_ga`), so
 * they join the visitor's sessions; only where the shopper allowed analytics, with Consent Mode's
 * `ad_user_data` and `ad_personalization`.
 */
export const conversion: ConversionAction<Ga4Settings> = {
  rateLimit: { perSecond: 50, perMinute: 2_000 },
  purchaseEvent: 'purchase',
  permits: (c) =>
    c.signals.google.analytics_storage !== 'granted'
      ? { ok: false, reason: 'no_consent' }
      : c.gaClientId
        ? { ok: true }
        : { ok: false, reason: 'missing_identifiers' },
  async perform(ctx, c) {
    const { settings } = ctx;
    const query = new URLSearchParams({
      measurement_id: settings.measurementId,
      api_secret: settings.apiSecret,
    });
    await ctx.request(`${settings.baseUrl}/mp/collect?${query.toString()}`, {
      json: {
        client_id: c.gaClientId,
        ...(c.customerId && { user_id: c.customerId }),
        timestamp_micros: c.at * 1000,
        consent: {
          ad_user_data: c.signals.google.ad_user_data.toUpperCase(),
          ad_personalization: c.signals.google.ad_personalization.toUpperCase(),
        },
        events: [ga4Event(c, ctx.now)],
      },
    });
    return { eventName: EVENT_NAMES[c.name] };
  },
};
