import { DeliveryError } from '../../kit/delivery-errors.ts';
import type { Action, ActionContext, AbandonmentSend, SendReceipt } from '../../kit/destination.ts';
import type { KlaviyoSettings } from '../settings.ts';

/** Klaviyo's published limits (`x-klaviyo-ratelimit` in the spec): `POST /api/events`, and the bulk job. */
const EVENTS_LIMIT = { perSecond: 350, perMinute: 3_500 };
const BULK_LIMIT = { perSecond: 10, perMinute: 150 };
/** Line items carried in the event's properties; the rest are counted in `item_count`. */
const MAX_ITEMS = 100;

type ProfileAttributes = Record<string, string>;

/**
 * The trigger as a Klaviyo event (`EventCreateQueryV2` attributes minus the profile): the metric of its
 * stage, `unique_id` so a retry is never a second event, value and currency, the items and recovery URL,
 * and the legal basis of each channel it may use. A test send carries `reclaim_test: true`, which real
 * triggers never carry, so a flow filter can leave tests out.
 */
function eventAttributes(send: AbandonmentSend, settings: KlaviyoSettings, uniqueId: string) {
  const t = send.trigger;
  const items = t.items.slice(0, MAX_ITEMS).map((item) => ({
    product_id: item.productId ?? null,
    variant_id: item.variantId ?? null,
    sku: item.sku ?? null,
    title: item.title ?? null,
    variant_title: item.variantTitle ?? null,
    url: item.url ?? null,
    image_url: item.imageUrl ?? null,
    price: item.price === undefined ? null : Number(item.price),
    quantity: item.quantity,
  }));
  return {
    properties: {
      reclaim_trigger_id: t.id,
      stage: t.stage,
      recovery_url: t.recoveryUrl ?? null,
      item_count: t.items.reduce((n, item) => n + item.quantity, 0),
      item_names: t.items.flatMap((item) => (item.title ? [item.title] : [])).slice(0, MAX_ITEMS),
      items,
      shop: t.shop ?? null,
      locale: t.locale ?? null,
      abandoned_at: new Date(t.dueAt).toISOString(),
      email_legal_basis: send.email?.basis ?? null,
      sms_legal_basis: send.phone?.basis ?? null,
      jurisdiction: t.jurisdiction.regime,
      native_flow_likely: t.native.klaviyoLikelySaw,
      ...(send.test && { reclaim_test: true }),
      $extra: {
        consent_records: { email: send.email?.recordIds ?? [], sms: send.phone?.recordIds ?? [] },
        withheld: send.withheld,
      },
    },
    time: new Date(t.firedAt).toISOString(),
    ...(t.value !== undefined && { value: Number(t.value) }),
    ...(t.currency !== undefined && { value_currency: t.currency }),
    unique_id: uniqueId,
    metric: { data: { type: 'metric', attributes: { name: settings.metrics[t.stage] } } },
  };
}

/**
 * Who the event is about. Email and phone only for the channels allowed now; `external_id` (the Shopify
 * customer id) and `_kx` only next to an allowed email, so an SMS-only send can never reach an email
 * profile through them.
 */
function profileAttributes(send: AbandonmentSend): ProfileAttributes {
  const ids = send.trigger.ids ?? {};
  return {
    ...(send.email && { email: send.email.address }),
    ...(send.email && ids.customerId && { external_id: ids.customerId }),
    ...(send.email && ids.kx && { _kx: ids.kx }),
    ...(send.phone && { phone_number: send.phone.number }),
  };
}

async function createEvent(
  ctx: ActionContext<KlaviyoSettings>,
  send: AbandonmentSend,
  profile: ProfileAttributes,
  uniqueId: string,
): Promise<void> {
  await ctx.request(`${ctx.settings.baseUrl}/api/events`, {
    json: {
      data: {
        type: 'event',
        attributes: {
          ...eventAttributes(send, ctx.settings, uniqueId),
          profile: { data: { type: 'profile', attributes: profile } },
        },
      },
    },
  });
}

const isDuplicateProfile = (error: unknown) =>
  error instanceof DeliveryError && error.status === 409 && error.code === 'duplicate_profile';

/**
 * Abandonment triggers to Klaviyo's Events API. When the email and the phone already belong to two
 * different Klaviyo profiles, Klaviyo refuses the pair (409 `duplicate_profile`); the trigger then goes as
 * two events, one to each profile, so the email flow reaches the email profile and the SMS flow the phone
 * profile — the phone event with its own `unique_id` (`<trigger>-sms`).
 */
export const abandonment: Action<KlaviyoSettings, AbandonmentSend> = {
  rateLimit: EVENTS_LIMIT,

  /** The receipt names the `unique_id`s only when they are not just the trigger id. */
  async perform(ctx, send): Promise<SendReceipt> {
    const id = send.trigger.id;
    const profile = profileAttributes(send);
    const channels = [...(send.email ? ['email'] : []), ...(send.phone ? ['sms'] : [])];
    try {
      await createEvent(ctx, send, profile, id);
      return { endpoint: 'events', channels, withheld: send.withheld };
    } catch (error) {
      if (!isDuplicateProfile(error) || !send.email || !send.phone) throw error;
    }
    const { phone_number, ...emailProfile } = profile;
    await createEvent(ctx, { ...send, phone: undefined }, emailProfile, id);
    await createEvent(ctx, { ...send, email: undefined }, { phone_number: phone_number! }, `${id}-sms`);
    return {
      endpoint: 'events',
      uniqueIds: [id, `${id}-sms`],
      channels,
      withheld: send.withheld,
      split: 'email and phone belong to different Klaviyo profiles',
    };
  },

  batch: {
    /** `POST /api/event-bulk-create-jobs` takes up to 1,000 events a request. */
    max: 1_000,
    minBacklog: (settings) => settings.bulkBacklog,
    /**
     * A bulk job is processed after Klaviyo answered, so a profile conflict could not be handled; sends
     * that carry both an email and a phone go one by one.
     */
    accepts: (send) => !(send.email && send.phone),
    rateLimit: BULK_LIMIT,
    async perform(ctx, sends): Promise<SendReceipt[]> {
      await ctx.request(`${ctx.settings.baseUrl}/api/event-bulk-create-jobs`, {
        json: {
          data: {
            type: 'event-bulk-create-job',
            attributes: {
              'events-bulk-create': {
                data: sends.map((send) => ({
                  type: 'event-bulk-create',
                  attributes: {
                    profile: { data: { type: 'profile', attributes: profileAttributes(send) } },
                    events: {
                      data: [
                        { type: 'event', attributes: eventAttributes(send, ctx.settings, send.trigger.id) },
                      ],
                    },
                  },
                })),
              },
            },
          },
        },
      });
      return sends.map((send) => ({
        endpoint: 'event-bulk-create-jobs',
        channels: [...(send.email ? ['email'] : []), ...(send.phone ? ['sms'] : [])],
        withheld: send.withheld,
      }));
    },
  },
};
