import { payloadInvalid } from '../../kit/delivery-errors.ts';
import type { ActionContext, Conversion, ConversionAction, ConversionName } from '../../kit/destination.ts';
import { META_API_VERSION, type MetaSettings } from '../settings.ts';
import { userData } from '../user-data.ts';

const EVENT_NAMES: Record<ConversionName, string> = {
  view_content: 'ViewContent',
  add_to_cart: 'AddToCart',
  initiate_checkout: 'InitiateCheckout',
  purchase: 'Purchase',
};

/** Meta refuses a whole request when any event in it is older than this. */
const MAX_AGE = 7 * 86_400_000;

/** One server event (Meta "server event parameters"), with the shopper's data processing options. */
function serverEvent(conversion: Conversion, now: number) {
  if (now - conversion.at > MAX_AGE)
    throw payloadInvalid('event_time is more than 7 days in the past; Meta refuses it');
  if (!conversion.userAgent || !conversion.pageUrl)
    throw payloadInvalid('website events need the client user agent and the page URL');
  if (conversion.name === 'purchase' && (conversion.value === undefined || !conversion.currency))
    throw payloadInvalid('a purchase needs a value and a currency');
  const lines = conversion.items;
  const ids = lines.flatMap((l) => ((l.variantId ?? l.productId) ? [(l.variantId ?? l.productId)!] : []));
  return {
    event_name: EVENT_NAMES[conversion.name],
    event_time: Math.floor(conversion.at / 1000),
    event_id: conversion.eventId,
    action_source: 'website',
    event_source_url: conversion.pageUrl,
    user_data: userData(conversion),
    custom_data: {
      ...(conversion.value !== undefined && { value: Number(conversion.value) }),
      ...(conversion.currency && { currency: conversion.currency }),
      ...(ids.length > 0 && { content_ids: ids, content_type: 'product' }),
      ...(lines.length > 0 && {
        contents: lines.map((l) => ({
          id: l.variantId ?? l.productId ?? l.sku ?? 'unknown',
          quantity: l.quantity,
          ...(l.price !== undefined && { item_price: Number(l.price) }),
        })),
        num_items: lines.reduce((n, l) => n + l.quantity, 0),
      }),
      ...(conversion.orderId && { order_id: conversion.orderId }),
    },
    ...conversion.signals.meta,
  };
}

async function send(ctx: ActionContext<MetaSettings>, conversions: Conversion[]) {
  const { settings } = ctx;
  const data = conversions.map((c) => serverEvent(c, ctx.now));
  await ctx.request(`${settings.baseUrl}/${META_API_VERSION}/${settings.pixelId}/events`, {
    json: {
      data,
      access_token: settings.accessToken,
      ...(settings.testEventCode && { test_event_code: settings.testEventCode }),
    },
  });
  return conversions.map((c) => ({ eventName: EVENT_NAMES[c.name] }));
}

/**
 * Commerce events to the Conversions API, deduplicated against the browser pixel by `event_name` and
 * `event_id`. Sent only where the shopper allowed marketing, or as Limited Data Use where a US shopper
 * opted out of sale or sharing.
 */
export const conversion: ConversionAction<MetaSettings> = {
  rateLimit: { perSecond: 20, perMinute: 1_000 },
  purchaseEvent: 'Purchase',
  permits: (c) =>
    c.signals.google.ad_user_data !== 'granted' && !c.signals.meta.data_processing_options.includes('LDU')
      ? { ok: false, reason: 'no_consent' }
      : c.userAgent && c.pageUrl
        ? { ok: true }
        : { ok: false, reason: 'missing_identifiers' },
  async perform(ctx, c) {
    return (await send(ctx, [c]))[0]!;
  },
  batch: {
    /** Meta takes up to 1,000 events a request and refuses all of them if one is invalid. */
    max: 1_000,
    minBacklog: () => 2,
    perform: send,
  },
};
