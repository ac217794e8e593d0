import { describe, expect, it } from 'vitest';
import type { EmailState, SmsState, TrackingState } from '../../src/consent/consent-state.ts';
import { consentSignals } from '../../src/consent/consent-signals.ts';
import { resolveJurisdiction } from '../../src/consent/jurisdiction.ts';
import { decide, type DecisionInput, type DecisionStage } from '../../src/consent/policy.ts';
import { nextAllowedTime, recipientZones } from '../../src/consent/quiet-hours.ts';

const settings = { usEmailRequiresOptIn: false, espServiceProviderDpa: false };
const NOON_UTC = Date.UTC(2026, 10, 20, 15, 0); // 10:00 in New York
const mark = (at: number, recordId: string) => ({ at, recordId });
const yes = { analytics: true, marketing: true, preferences: true, saleOfData: true };
const no = { analytics: false, marketing: false, preferences: false, saleOfData: false };

function input(
  geo: { country?: string; region?: string },
  stage: DecisionStage,
  patch: Partial<DecisionInput> = {},
  email: EmailState = {},
  tracking: TrackingState = {},
  sms?: SmsState,
): DecisionInput {
  return {
    stage,
    jurisdiction: resolveJurisdiction([geo]),
    tracking: { categories: yes, recorded: tracking, gpc: false },
    email: { address: 'shopper@shop.example', state: email },
    ...(sms ? { phone: { number: '+14155550123', state: sms } } : {}),
    ...patch,
  };
}

describe('jurisdiction (rule J)', () => {
  it('applies EU rules when nothing is known', () => {
    expect(resolveJurisdiction([undefined, {}])).toMatchObject({ regime: 'EU', unknown: true });
  });
  it('takes the strictest regime when signals conflict', () => {
    expect(resolveJurisdiction([{ country: 'US', region: 'US-CA', shippingCountry: 'DE' }]).regime).toBe(
      'EU',
    );
    expect(resolveJurisdiction([{ country: 'CH' }, { billingCountry: 'GB' }]).regime).toBe('UK');
    expect(
      resolveJurisdiction([{ country: 'US' }, { shippingCountry: 'CA', shippingRegion: 'CA-ON' }]).regime,
    ).toBe('CA');
  });
  it('treats Canada without a province as Quebec', () => {
    expect(resolveJurisdiction([{ country: 'CA' }]).regime).toBe('CA-QC');
    expect(resolveJurisdiction([{ country: 'CA', region: 'CA-ON' }]).regime).toBe('CA');
  });
  it('records every signal it used', () => {
    expect(
      resolveJurisdiction([{ country: 'FR', billingCountry: 'FR', customerCountry: 'BE' }]).signals,
    ).toEqual(['geo=FR', 'billing=FR', 'customer=BE']);
  });
});

describe('decide', () => {
  it('EU browse needs tracking consent and an email opt-in, and names the records', () => {
    const explicit = { explicit: mark(1, 'cr_optin') };
    expect(
      decide(
        input({ country: 'FR' }, 'browse', {}, explicit, {
          decision: { ...mark(0, 'cr_banner'), granted: true, saleOfData: true },
        }),
        'email',
        NOON_UTC,
        settings,
      ),
    ).toEqual({
      allowed: true,
      basis: 'consent',
      recordIds: ['cr_banner', 'cr_optin'],
    });
    expect(
      decide(
        input(
          { country: 'FR' },
          'browse',
          { tracking: { categories: no, recorded: {}, gpc: false } },
          explicit,
        ),
        'email',
        NOON_UTC,
        settings,
      ),
    ).toMatchObject({
      allowed: false,
      reason: 'no_tracking_consent',
    });
    expect(decide(input({ country: 'FR' }, 'browse'), 'email', NOON_UTC, settings)).toMatchObject({
      allowed: false,
      reason: 'no_marketing_permission',
    });
  });

  it('EU checkout does not depend on tracking, but needs an opt-in or soft opt-in', () => {
    const noTracking = { tracking: { categories: no, recorded: {}, gpc: false } };
    expect(
      decide(
        input({ country: 'ES' }, 'checkout', noTracking, { explicit: mark(1, 'cr_box') }),
        'email',
        NOON_UTC,
        settings,
      ),
    ).toMatchObject({ allowed: true, basis: 'consent' });
    expect(
      decide(
        input({ country: 'ES' }, 'checkout', noTracking, {
          soft: { ...mark(1, 'cr_soft'), kind: 'soft_opt_in' },
        }),
        'email',
        NOON_UTC,
        settings,
      ),
    ).toMatchObject({
      allowed: true,
      basis: 'soft_opt_in',
    });
    expect(
      decide(input({ country: 'ES' }, 'checkout', noTracking), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: false });
  });

  it('a withdrawal wins over every earlier basis, in every flow', () => {
    const state: EmailState = {
      explicit: mark(1, 'a'),
      soft: { ...mark(2, 'b'), kind: 'soft_opt_in' },
      withdrawn: mark(3, 'cr_unsub'),
    };
    for (const stage of ['browse', 'cart', 'checkout', 'winback'] as const) {
      expect(decide(input({ country: 'US' }, stage, {}, state), 'email', NOON_UTC, settings)).toEqual({
        allowed: false,
        reason: 'withdrawn',
        recordIds: ['cr_unsub'],
      });
    }
    const again: EmailState = { ...state, explicit: mark(4, 'cr_again') };
    expect(
      decide(input({ country: 'FR' }, 'checkout', {}, again), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: true, recordIds: ['cr_again'] });
  });

  it('US email follows CAN-SPAM unless the merchant requires an opt-in', () => {
    expect(
      decide(input({ country: 'US', region: 'US-NY' }, 'checkout'), 'email', NOON_UTC, settings),
    ).toEqual({ allowed: true, basis: 'can_spam_opt_out', recordIds: [] });
    expect(
      decide(input({ country: 'US' }, 'checkout'), 'email', NOON_UTC, {
        ...settings,
        usEmailRequiresOptIn: true,
      }),
    ).toMatchObject({ allowed: false });
  });

  it('US GPC stops browse and cart without a DPA, not checkout', () => {
    const gpc = { tracking: { categories: yes, recorded: {}, gpc: true } };
    expect(
      decide(input({ country: 'US', region: 'US-CA' }, 'cart', gpc), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: false, reason: 'gpc_opt_out' });
    expect(
      decide(input({ country: 'US', region: 'US-CA' }, 'cart', gpc), 'email', NOON_UTC, {
        ...settings,
        espServiceProviderDpa: true,
      }),
    ).toMatchObject({ allowed: true });
    expect(
      decide(input({ country: 'US', region: 'US-CA' }, 'checkout', gpc), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: true });
  });

  it('Canada needs express or implied (CASL) consent; implied consent expires', () => {
    const implied: EmailState = { implied: { ...mark(0, 'cr_order'), expiresAt: NOON_UTC + 1 } };
    expect(
      decide(input({ country: 'CA', region: 'CA-ON' }, 'checkout', {}, implied), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: true, basis: 'casl_implied_ebr' });
    expect(
      decide(
        input({ country: 'CA', region: 'CA-ON' }, 'checkout', {}, implied),
        'email',
        NOON_UTC + 2,
        settings,
      ),
    ).toMatchObject({ allowed: false });
    expect(
      decide(input({ country: 'CA', region: 'CA-ON' }, 'browse'), 'email', NOON_UTC, settings),
    ).toMatchObject({ allowed: false, reason: 'no_marketing_permission' });
  });

  it('rest of the world needs an explicit opt-in', () => {
    expect(
      decide(
        input({ country: 'JP' }, 'winback', { lastPurchaseAt: NOON_UTC - 60 * 86_400_000 }),
        'email',
        NOON_UTC,
        settings,
      ),
    ).toMatchObject({ allowed: false });
  });

  it('SMS needs its own opt-in, never email consent, and waits for daytime', () => {
    const emailOnly = input(
      { country: 'US', region: 'US-OH' },
      'checkout',
      {},
      { explicit: mark(1, 'e') },
      {},
      {},
    );
    expect(decide(emailOnly, 'sms', NOON_UTC, settings)).toMatchObject({
      allowed: false,
      reason: 'no_sms_consent',
    });
    const sms = input(
      { country: 'US', region: 'US-NY' },
      'checkout',
      {},
      {},
      {},
      { explicit: mark(1, 'cr_pewc') },
    );
    expect(decide(sms, 'sms', NOON_UTC, settings)).toEqual({
      allowed: true,
      basis: 'consent',
      recordIds: ['cr_pewc'],
    });
    const night = Date.UTC(2026, 10, 21, 3, 0); // 22:00 in New York
    const deferred = decide(sms, 'sms', night, settings);
    expect(deferred).toMatchObject({ reason: 'sms_quiet_hours', basis: 'consent' });
    expect(new Date((deferred as { defer: number }).defer).toISOString()).toBe('2026-11-21T13:00:00.000Z');
    expect(decide({ ...sms, phone: undefined }, 'sms', NOON_UTC, settings)).toMatchObject({
      allowed: false,
      reason: 'no_contact',
    });
  });

  it('quiet hours span every zone a number may be in', () => {
    expect(recipientZones('+14155550123', undefined)).toEqual([
      'America/New_York',
      'America/Los_Angeles',
      'Pacific/Honolulu',
    ]);
    expect(recipientZones('+14155550123', 'US-CA')).toEqual(['America/Los_Angeles']);
    expect(recipientZones('+442079460000', 'US-CA')).toEqual(['Europe/London']);
    expect(nextAllowedTime(Date.UTC(2026, 10, 20, 12), ['Europe/London'])).toBeUndefined();
  });
});

describe('consent signals for destinations', () => {
  it('maps tracking consent to Consent Mode v2', () => {
    const signals = consentSignals({
      jurisdiction: resolveJurisdiction([{ country: 'DE' }]),
      categories: { ...yes, marketing: false },
      recorded: {},
      gpc: false,
    });
    expect(signals.google).toEqual({
      ad_storage: 'denied',
      analytics_storage: 'granted',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
    });
    expect(signals.meta.data_processing_options).toEqual([]);
  });
  it('denies ad signals and sets Meta LDU on a US opt-out of sale or sharing', () => {
    const signals = consentSignals({
      jurisdiction: resolveJurisdiction([{ country: 'US', region: 'US-CA' }]),
      categories: yes,
      recorded: {},
      gpc: true,
    });
    expect(signals.google).toEqual({
      ad_storage: 'denied',
      analytics_storage: 'granted',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
    });
    expect(signals.meta).toEqual({
      data_processing_options: ['LDU'],
      data_processing_options_country: 0,
      data_processing_options_state: 0,
    });
  });
  it('keeps Swiss ad signals denied until an explicit banner consent', () => {
    const ch = resolveJurisdiction([{ country: 'CH' }]);
    expect(
      consentSignals({ jurisdiction: ch, categories: yes, recorded: {}, gpc: false }).google.ad_storage,
    ).toBe('denied');
    expect(
      consentSignals({
        jurisdiction: ch,
        categories: yes,
        recorded: { decision: { ...mark(1, 'x'), granted: true, saleOfData: true } },
        gpc: false,
      }).google.ad_storage,
    ).toBe('granted');
  });
});
