import type { Action, ErasureRequest } from '../../kit/destination.ts';
import type { KlaviyoSettings } from '../settings.ts';

/**
 * Asks Klaviyo to delete every profile holding an erased shopper's email or phone
 * (`POST /api/data-privacy-deletion-jobs`, one identifier per request: Klaviyo refuses several).
 */
export const erasure: Action<KlaviyoSettings, ErasureRequest> = {
  rateLimit: { perSecond: 3, perMinute: 60 },
  async perform(ctx, subject) {
    const attributes = subject.email ? { email: subject.email } : { phone_number: subject.phone };
    await ctx.request(`${ctx.settings.baseUrl}/api/data-privacy-deletion-jobs`, {
      json: {
        data: {
          type: 'data-privacy-deletion-job',
          attributes: { profile: { data: { type: 'profile', attributes } } },
        },
      },
    });
    return { endpoint: 'data-privacy-deletion-jobs', identifier: subject.email ? 'email' : 'phone' };
  },
};
