import { describe, expect, it } from 'vitest';
import {
  classifyCookie,
  classifyHost,
  classifyRequest,
  classifyStorage,
  partyOf,
  registrableDomain,
} from '../../src/scanner/classify.ts';
import { ruleBroken } from '../../src/scanner/verdicts.ts';
import { regimeOfRegion, visitorFor } from '../../src/scanner/scanner.ts';
import { VENDORS } from '../../src/scanner/vendors.ts';

describe('classification', () => {
  it('tells first from third party by registrable domain, public suffixes included', () => {
    expect(registrableDomain('www.thames-tea.co.uk')).toBe('thames-tea.co.uk');
    expect(partyOf('.thames-tea.co.uk', 'shop.thames-tea.co.uk')).toBe('first');
    expect(partyOf('other-tea.co.uk', 'www.thames-tea.co.uk')).toBe('third');
    expect(partyOf('northwind.myshopify.com', 'other.myshopify.com')).toBe('third');
    expect(partyOf('127.0.0.1', '127.0.0.1')).toBe('first');
  });

  it('keeps Shopify’s cart, session and consent cookies necessary and its statistics analytics', () => {
    for (const name of [
      'cart',
      'cart_sig',
      '_secure_session_id',
      'secure_customer_sig',
      '_tracking_consent',
      'localization',
    ])
      expect(classifyCookie(name, 'shop.example'), name).toEqual({
        vendor: 'Shopify',
        category: 'necessary',
      });
    expect(classifyCookie('_shopify_y', 'shop.example')).toEqual({
      vendor: 'Shopify',
      category: 'analytics',
    });
  });

  it('prefers an exact name, then the longest prefix, then the host', () => {
    expect(classifyCookie('_ga', 'shop.example')).toMatchObject({ category: 'analytics' });
    expect(classifyCookie('_ga_XYZ', 'shop.example')).toMatchObject({ vendor: 'Google Analytics (GA4)' });
    expect(classifyCookie('_gcl_au', 'shop.example')).toMatchObject({
      vendor: 'Google Ads',
      category: 'marketing',
    });
    expect(classifyCookie('_hjSessionUser_99', 'shop.example')).toMatchObject({ vendor: 'Hotjar' });
    expect(classifyCookie('session_xyz', '.doubleclick.net')).toMatchObject({ vendor: 'Google DoubleClick' });
    expect(classifyCookie('nw_bucket', 'shop.example')).toEqual({ category: 'unknown' });
    expect(classifyStorage('klaviyoOnsite')).toMatchObject({ vendor: 'Klaviyo', category: 'marketing' });
    expect(classifyHost('region1.google-analytics.com')).toMatchObject({ category: 'analytics' });
    expect(classifyHost('notfacebook.net')).toEqual({ category: 'unknown' });
  });

  it('knows Reclaim’s own consent endpoints on any host', () => {
    expect(classifyRequest(new URL('https://reclaim.northwind.example/v1/consent/config'))).toEqual({
      vendor: 'Reclaim',
      category: 'necessary',
    });
    expect(classifyRequest(new URL('https://reclaim.northwind.example/v1/consentx'))).toEqual({
      category: 'unknown',
    });
  });

  it('names a source for every row of the table', () => {
    for (const row of VENDORS) expect(row.source.length, row.vendor).toBeGreaterThan(10);
  });
});

describe('verdicts', () => {
  const cookie = (category: string, vendor: string | null = 'X') => ({
    kind: 'cookie' as const,
    category: category as 'marketing',
    vendor,
  });
  const request = (category: string, vendor: string | null = 'X') => ({
    kind: 'request' as const,
    category: category as 'marketing',
    vendor,
  });

  it('EU: tracking before consent, anything optional stored after Reject all, nothing after Accept all', () => {
    expect(ruleBroken('EU', 'before', cookie('analytics'))).toMatch(/^T-EU/);
    expect(ruleBroken('EU', 'before', cookie('preferences'))).toBeUndefined();
    expect(ruleBroken('EU', 'reject', cookie('preferences'))).toMatch(/^T-EU/);
    expect(ruleBroken('EU', 'reject', request('preferences'))).toBeUndefined();
    expect(ruleBroken('EU', 'accept', cookie('marketing'))).toBeUndefined();
    for (const state of ['before', 'reject'] as const) {
      expect(ruleBroken('EU', state, cookie('necessary'))).toBeUndefined();
      expect(ruleBroken('EU', state, cookie('unknown', null))).toBeUndefined();
    }
  });

  it('UK: the store platform’s statistics before consent are allowed, not after Reject all', () => {
    expect(ruleBroken('UK', 'before', cookie('analytics', 'Shopify'))).toBeUndefined();
    expect(ruleBroken('UK', 'before', cookie('analytics', 'Google Analytics (GA4)'))).toMatch(/^T-UK/);
    expect(ruleBroken('UK', 'reject', cookie('analytics', 'Shopify'))).toMatch(/^T-UK/);
  });

  it('opt-out regimes: nothing before a choice; after Reject all, tracking (CH, CA) or sharing (US)', () => {
    expect(ruleBroken('CH', 'before', cookie('marketing'))).toBeUndefined();
    expect(ruleBroken('CH', 'reject', cookie('analytics'))).toMatch(/^T-CH/);
    expect(ruleBroken('CA', 'reject', request('marketing'))).toMatch(/^T-CA/);
    expect(ruleBroken('CA-QC', 'before', request('marketing'))).toMatch(/^T-CA/);
    expect(ruleBroken('US', 'before', cookie('marketing'))).toBeUndefined();
    expect(ruleBroken('US', 'reject', cookie('marketing', 'Meta'))).toMatch(/^T-US/);
    expect(ruleBroken('US', 'reject', cookie('analytics', 'Google Analytics (GA4)'))).toBeUndefined();
    expect(ruleBroken('US', 'reject', cookie('marketing', 'Shopify'))).toBeUndefined();
  });

  it('poses as a visitor from the region: regime, geo headers, language', () => {
    expect(regimeOfRegion('us-ca')).toBe('US');
    expect(regimeOfRegion('CA-QC')).toBe('CA-QC');
    expect(regimeOfRegion('CA-ON')).toBe('CA');
    expect(regimeOfRegion('GB')).toBe('UK');
    expect(visitorFor('US-CA', { country: 'x-country', region: 'x-region' })).toEqual({
      locale: 'en-US',
      headers: { 'accept-language': 'en-US,en;q=0.9' },
      geo: { 'x-country': 'US', 'x-region': 'US-CA' },
    });
    expect(visitorFor('CA-QC', { country: 'c', region: 'r' }).locale).toBe('fr-CA');
    expect(visitorFor('DE', { country: 'c', region: 'r' }).headers['accept-language']).toBe(
      'de-DE,de;q=0.9,en;q=0.5',
    );
  });
});
