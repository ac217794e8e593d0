import type { SubscriptionChange } from '../../../consent/subscription-change.ts';
import type { Action, ActionContext, SendReceipt } from '../../kit/destination.ts';
import type { KlaviyoSettings } from '../settings.ts';

/** Klaviyo takes up to 1,000 profiles per subscription job. */
const JOB_MAX = 1000;

/**
 * Carries a ledger opt-in or withdrawal to Klaviyo's subscription state: `POST
 * /api/profile-subscription-bulk-create-jobs` (marketing consent `SUBSCRIBED` with `consented_at`, which
 * Klaviyo accepts only as a `historical_import`: the consent was collected by Reclaim, not by Klaviyo)
 * or `…-bulk-delete-jobs` (`UNSUBSCRIBED`). Subscribes of a backlog go together, up to 1,000 a job.
 */
export const subscription: Action<KlaviyoSettings, SubscriptionChange> = {
  rateLimit: { perSecond: 75, perMinute: 750 },
  async perform(ctx, change) {
    if (change.action === 'subscribe') return (await subscribe(ctx, [change]))[0]!;
    const attributes = {
      ...(change.channel === 'sms' ? { phone_number: change.phone } : { email: change.email }),
      subscriptions: { [change.channel]: { marketing: { consent: 'UNSUBSCRIBED' } } },
    };
    await ctx.request(`${ctx.settings.baseUrl}/api/profile-subscription-bulk-delete-jobs`, {
      json: {
        data: {
          type: 'profile-subscription-bulk-delete-job',
          attributes: { profiles: { data: [{ type: 'profile', attributes }] } },
        },
      },
    });
    return receipt(change);
  },
  batch: {
    max: JOB_MAX,
    minBacklog: (settings) => settings.bulkBacklog,
    accepts: (change) => change.action === 'subscribe',
    perform: subscribe,
  },
};

async function subscribe(
  ctx: ActionContext<KlaviyoSettings>,
  changes: SubscriptionChange[],
): Promise<SendReceipt[]> {
  await ctx.request(`${ctx.settings.baseUrl}/api/profile-subscription-bulk-create-jobs`, {
    json: {
      data: {
        type: 'profile-subscription-bulk-create-job',
        attributes: {
          custom_source: 'Reclaim consent ledger',
          historical_import: true,
          profiles: {
            data: changes.map((c) => ({
              type: 'profile',
              attributes: {
                ...(c.channel === 'sms' ? { phone_number: c.phone } : { email: c.email }),
                subscriptions: {
                  [c.channel]: {
                    marketing: { consent: 'SUBSCRIBED', consented_at: new Date(c.at).toISOString() },
                  },
                },
              },
            })),
          },
        },
      },
    },
  });
  return changes.map(receipt);
}

const receipt = (c: SubscriptionChange): SendReceipt => ({
  endpoint:
    c.action === 'subscribe'
      ? 'profile-subscription-bulk-create-jobs'
      : 'profile-subscription-bulk-delete-jobs',
  channel: c.channel,
  recordId: c.recordId,
});
