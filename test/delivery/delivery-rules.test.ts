import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recheckAtSend } from '../../src/consent/policy.ts';
import { redact } from '../../src/destinations/kit/delivery-errors.ts';
import { PartnerRateLimit } from '../../src/delivery/partner-rate-limit.ts';
import type { PartnerResponse } from '../../src/destinations/kit/partner-request.ts';
import { classifyStatus, retryAfterMs } from '../../src/destinations/kit/classify-status.ts';
import { klaviyo } from '../../src/destinations/klaviyo/index.ts';
import { retryDelay } from '../../src/delivery/retry-delay.ts';
import { meta } from '../../src/destinations/meta/index.ts';
import { userData } from '../../src/destinations/meta/user-data.ts';
import { sampleConversion } from '../support/delivery.ts';

const sha = (v: string) => createHash('sha256').update(v).digest('hex');

describe('Meta customer information', () => {
  it('normalises and hashes as Meta’s examples do', () => {
    const data = userData(
      sampleConversion({
        email: ' John_Smith@Gmail.com ',
        phone: '+16505551212',
        country: 'US',
        customerId: '42',
      }),
    );
    // Meta's documented examples: 62a14e44…0f62f, e323ec62…3176, 79adb2a2…4621.
    expect(data.em).toEqual([sha('john_smith@gmail.com')]);
    expect((data.em as string[])[0]).toMatch(/^62a14e44.*0f62f$/);
    expect((data.ph as string[])[0]).toMatch(/^e323ec62.*3176$/);
    expect((data.country as string[])[0]).toMatch(/^79adb2a2.*4621$/);
    expect(data.external_id).toEqual([sha('42')]);
    expect(data).toMatchObject({ client_ip_address: '203.0.113.7', fbp: 'fb.1.1700000000000.123456789' });
  });

  it('reads Graph API error codes into decisions', () => {
    const answer = (status: number, error: object): PartnerResponse => ({
      status,
      headers: new Headers(),
      text: JSON.stringify({ error }),
      body: { error },
    });
    const classify = meta.classify!;
    expect(classify(answer(400, { code: 190, message: 'Invalid OAuth access token' }))?.kind).toBe(
      'misconfigured',
    );
    expect(classify(answer(400, { code: 100, error_subcode: 33, message: 'no such object' }))?.kind).toBe(
      'misconfigured',
    );
    expect(classify(answer(400, { code: 100, message: 'Invalid parameter' }))?.kind).toBe('payload_invalid');
    expect(classify(answer(400, { code: 17, message: 'User request limit reached' }))).toMatchObject({
      kind: 'throttled',
      retryAfter: 60_000,
    });
    expect(classify(answer(500, { code: 2, message: 'Service temporarily unavailable' }))?.kind).toBe(
      'retryable',
    );
  });
});

describe('consent checked again at send time', () => {
  const consent = { allowed: true as const, basis: 'consent' as const, recordIds: ['cr_1'] };
  const canSpam = { allowed: true as const, basis: 'can_spam_opt_out' as const, recordIds: [] };
  const now = Date.UTC(2026, 10, 22, 18);

  it('stops on a withdrawal, whatever the basis, unless the shopper opted in again after it', () => {
    const withdrawn = { withdrawn: { at: now - 1000, recordId: 'cr_w' } };
    expect(recheckAtSend(canSpam, 'email', withdrawn, now, undefined)).toMatchObject({
      allowed: false,
      reason: 'withdrawn',
      recordIds: ['cr_w'],
    });
    const again = { ...withdrawn, explicit: { at: now - 500, recordId: 'cr_again' } };
    expect(recheckAtSend(consent, 'email', again, now, undefined)).toMatchObject({ allowed: true });
  });

  it('stops a consent-based send once the opt-in no longer stands', () => {
    const refused = {
      explicit: { at: now - 5000, recordId: 'cr_1' },
      denied: { at: now - 1000, recordId: 'cr_d' },
    };
    expect(recheckAtSend(consent, 'email', refused, now, undefined)).toMatchObject({
      allowed: false,
      recordIds: ['cr_d'],
    });
    expect(
      recheckAtSend(consent, 'email', { explicit: { at: now - 5000, recordId: 'cr_1' } }, now, undefined),
    ).toMatchObject({
      allowed: true,
    });
  });

  it('never widens a refusal, and holds an SMS until the recipient’s daytime', () => {
    const refused = { allowed: false as const, reason: 'no_sms_consent' as const, recordIds: [] };
    expect(recheckAtSend(refused, 'sms', { explicit: { at: 0, recordId: 'x' } }, now, undefined)).toBe(
      refused,
    );
    const night = Date.UTC(2026, 10, 23, 3); // 22:00 in New York
    const sms = recheckAtSend(consent, 'sms', { explicit: { at: 0, recordId: 'cr_1' } }, night, {
      phone: '+12125550123',
      region: 'US-NY',
    });
    expect(sms).toMatchObject({ reason: 'sms_quiet_hours', defer: Date.UTC(2026, 10, 23, 13) });
  });
});

describe('partner rate limits', () => {
  it('never exceeds either window, and goes as fast as both allow', async () => {
    let time = 0;
    const limit = new PartnerRateLimit(
      { perSecond: 5, perMinute: 12 },
      1,
      () => time,
      (ms) => {
        time += ms;
        return Promise.resolve();
      },
    );
    const sent: number[] = [];
    for (let i = 0; i < 30; i++) {
      await limit.take();
      sent.push(time);
    }
    for (const t of sent) {
      expect(sent.filter((s) => s > t - 1000 && s <= t).length).toBeLessThanOrEqual(5);
      expect(sent.filter((s) => s > t - 60_000 && s <= t).length).toBeLessThanOrEqual(12);
    }
    expect(sent.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // 12 a minute: the 13th waits for the first minute to pass, and 30 take two and a half minutes.
    expect(sent[12]).toBeGreaterThanOrEqual(60_000);
    expect(sent[29]).toBeLessThan(3 * 60_000);
  });

  it('holds every send for as long as a 429 asked, and scales limits by the configured share', async () => {
    let time = 0;
    const limit = new PartnerRateLimit(
      { perSecond: 350, perMinute: 3500 },
      0.5,
      () => time,
      (ms) => {
        time += ms;
        return Promise.resolve();
      },
    );
    expect([limit.perSecond, limit.perMinute]).toEqual([175, 1750]);
    limit.holdFor(7000);
    await limit.take();
    expect(time).toBe(7000);
  });

  it('tells a caller that reschedules how long to wait, without taking a turn it cannot have', () => {
    let time = 0;
    const limit = new PartnerRateLimit({ perSecond: 2, perMinute: 100 }, 1, () => time);
    expect([limit.tryTake(), limit.tryTake()]).toEqual([0, 0]);
    const wait = limit.tryTake();
    expect(wait).toBeGreaterThan(1000);
    expect(limit.tryTake()).toBe(wait);
    time += wait;
    expect(limit.tryTake()).toBe(0);
  });
});

describe('retry timing and error text', () => {
  it('backs off from about 30 s to at most 30 min, with jitter', () => {
    expect(retryDelay(1, () => 0)).toBe(15_000);
    expect(retryDelay(1, () => 1)).toBe(30_000);
    expect(retryDelay(4, () => 1)).toBe(240_000);
    expect(retryDelay(40, () => 1)).toBe(30 * 60_000);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(
      30_000,
    );
    expect(retryAfterMs(null)).toBe(1000);
  });

  it('keeps every word a partner echoes out of stored and logged errors: codes and field paths only', () => {
    const echoed = 'Ana Dias, 12 Rua das Flores, Lisboa is not a valid name for ana@shop.example';
    const answer = (status: number, body: unknown): PartnerResponse => ({
      status,
      headers: new Headers(),
      text: JSON.stringify(body),
      body,
    });
    const klaviyoError = klaviyo.classify!(
      answer(400, {
        errors: [
          {
            status: 400,
            code: 'invalid',
            title: echoed,
            detail: echoed,
            source: { pointer: '/data/attributes/profile/data/attributes/first_name' },
          },
        ],
      }),
    )!;
    expect(klaviyoError.toJSON()).toEqual({
      kind: 'payload_invalid',
      message: 'HTTP 400: code invalid, at /data/attributes/profile/data/attributes/first_name',
      status: 400,
      code: 'invalid',
    });
    const metaError = meta.classify!(
      answer(400, { error: { message: echoed, type: 'OAuthException', code: 100, error_subcode: 2804003 } }),
    )!;
    expect(metaError.message).toBe('HTTP 400: code 100, type OAuthException, subcode 2804003');
    const plain = classifyStatus({ status: 502, headers: new Headers(), text: echoed, body: undefined });
    expect(plain.message).toBe(`HTTP 502: a ${echoed.length}-byte body, not shown`);
    for (const error of [klaviyoError, metaError, plain])
      expect(JSON.stringify(error.toJSON())).not.toMatch(/Ana|Rua|Lisboa|shop\.example/);
  });

  it('keeps contact details a partner echoes out of stored errors', () => {
    expect(redact('Invalid phone number +49 151 2345 6789 for ana@shop.example')).toBe(
      'Invalid phone number [number] for [email]',
    );
  });
});
