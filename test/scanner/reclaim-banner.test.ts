import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/scanner/scan-result.ts';
import { scanUrl } from '../../src/scanner/scanner.ts';
import { RECLAIM_HOST, StorefrontFixture, TAG_HOSTS } from '../support/storefront.ts';

// A storefront that embeds Reclaim's own banner and holds its tags the documented way: the scan a store owner
// runs against it must find nothing to blame before consent or after "Reject all", and must see the tags run
// once "Accept all" is pressed (which proves the scanner found and pressed Reclaim's buttons).
const GEO = { country: 'cf-ipcountry', region: 'cf-region-code' };

let fixture: StorefrontFixture;
let germany: ScanResult;

beforeAll(async () => {
  fixture = await StorefrontFixture.start({
    RECLAIM_GEO_COUNTRY_HEADER: GEO.country,
    RECLAIM_GEO_REGION_HEADER: GEO.region,
  });
  const url = fixture.page('/products/waxed-canvas-jacket', { shopify: true });
  germany = await scanUrl(fixture.browser, url, {
    region: 'DE',
    geoHeaders: GEO,
    timeouts: { navigation: 60_000, settle: 30_000, quiet: 500 },
  });
}, 300_000);

afterAll(async () => {
  await fixture?.close();
});

describe("a scan of a store that uses Reclaim's banner", () => {
  it('finds no violation before consent or after Reject all, in an opt-in regime', () => {
    expect(germany.regime).toBeTruthy();
    expect(germany.violations).toEqual([]);
  });

  it('sees no tag host before consent or after Reject all', () => {
    const tagHosts: string[] = Object.values(TAG_HOSTS);
    for (const state of ['before', 'reject'] as const) {
      const hosts = germany.states[state].requests.map((r) => r.host);
      expect(
        hosts.filter((h) => tagHosts.includes(h)),
        state,
      ).toEqual([]);
    }
    // Reclaim's own banner script and its config are the only other site the untouched page talks to.
    expect(germany.states.before.requests.map((r) => r.host)).toContain(RECLAIM_HOST);
  });

  it('sees the held marketing and analytics tags run after Accept all', () => {
    const accepted = germany.states.accept.requests;
    const hosts = accepted.map((r) => r.host);
    expect(hosts).toEqual(expect.arrayContaining(Object.values(TAG_HOSTS)));
    const klaviyo = accepted.find((r) => r.host === TAG_HOSTS.klaviyo)!;
    expect(klaviyo.category).toBe('marketing');
  });
});
