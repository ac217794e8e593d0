import type { Browser } from 'playwright-core';
import { regimeOf } from '../consent/jurisdiction.ts';
import { classifyCookie, classifyHost, classifyRequest, classifyStorage, partyOf } from './classify.ts';
import {
  DEFAULT_TIMEOUTS,
  visitPage,
  type PageVisit,
  type VisitTimeouts,
  type VisitorProfile,
} from './page-visit.ts';
import {
  SCAN_STATES,
  type CookieFinding,
  type RequestFinding,
  type ScanResult,
  type ScanState,
  type StateFindings,
  type StorageFinding,
} from './scan-result.ts';
import { judge } from './verdicts.ts';

export interface ScanOptions {
  /** `CC` or `CC-SUB` (`DE`, `US-CA`): the visitor the browser poses as and the regime that judges. */
  region: string;
  /** Pages per URL: the URL itself, then same-site links found on the way. Default 1. */
  pages?: number;
  /** The geo header names Reclaim reads (`RECLAIM_GEO_COUNTRY_HEADER`, `RECLAIM_GEO_REGION_HEADER`). */
  geoHeaders: { country: string; region: string };
  timeouts?: VisitTimeouts;
  /** Stops the scan between page visits (the browser is closed by whoever launched it). */
  signal?: AbortSignal;
}

/** Languages for the regions Shopify stores sell to most; any other country gets English with its region. */
const LANGUAGE = new Map<string, string>(
  Object.entries({
    DE: 'de',
    AT: 'de',
    CH: 'de',
    FR: 'fr',
    BE: 'fr',
    IT: 'it',
    ES: 'es',
    NL: 'nl',
    PL: 'pl',
    SE: 'sv',
    DK: 'da',
    NO: 'nb',
    FI: 'fi',
    PT: 'pt',
    BR: 'pt',
    MX: 'es',
    JP: 'ja',
  }),
);

/** The browser's locale, `Accept-Language` and geo headers for a visitor from the region. */
export function visitorFor(region: string, geoHeaders: ScanOptions['geoHeaders']): VisitorProfile {
  const [country = 'DE', sub] = region.toUpperCase().split('-');
  const language = region.toUpperCase() === 'CA-QC' ? 'fr' : (LANGUAGE.get(country) ?? 'en');
  const locale = `${language}-${country}`;
  const headers = { 'accept-language': `${locale},${language};q=0.9${language === 'en' ? '' : ',en;q=0.5'}` };
  const geo: Record<string, string> = { [geoHeaders.country]: country };
  if (sub) geo[geoHeaders.region] = `${country}-${sub}`;
  return { locale, headers, geo };
}

/** The regime a `CC` or `CC-SUB` region falls under. */
export function regimeOfRegion(region: string) {
  const [country = '', sub] = region.toUpperCase().split('-');
  return regimeOf(country, sub ? `${country}-${sub}` : undefined);
}

function emptyStates(): Record<ScanState, StateFindings> {
  return {
    before: { cookies: [], storage: [], requests: [] },
    reject: { cookies: [], storage: [], requests: [] },
    accept: { cookies: [], storage: [], requests: [] },
  };
}

/** Adds one visit's findings to its state, classified, once per cookie, storage key and host. */
function merge(into: StateFindings, visit: PageVisit, siteHost: string): void {
  for (const cookie of visit.cookies) {
    if (into.cookies.some((c) => c.name === cookie.name && c.domain === cookie.domain)) continue;
    const host = cookie.domain.replace(/^\./, '');
    const { vendor, category } = classifyCookie(cookie.name, host);
    const finding: CookieFinding = {
      name: cookie.name,
      domain: cookie.domain,
      party: partyOf(host, siteHost),
      vendor: vendor ?? null,
      category,
      setBy: cookie.setBy,
    };
    into.cookies.push(finding);
  }
  for (const item of visit.storage) {
    if (into.storage.some((s) => s.key === item.key && s.area === item.area && s.origin === item.origin))
      continue;
    const host = new URL(item.origin).hostname;
    const byKey = classifyStorage(item.key);
    const { vendor, category } = byKey.vendor ? byKey : classifyHost(host);
    const finding: StorageFinding = {
      ...item,
      party: partyOf(host, siteHost),
      vendor: vendor ?? null,
      category,
    };
    into.storage.push(finding);
  }
  for (const request of visit.requests) {
    if (!URL.canParse(request.url)) continue;
    const parsed = new URL(request.url);
    if (!/^(https?|wss?):$/.test(parsed.protocol)) continue;
    const host = parsed.hostname;
    if (partyOf(host, siteHost) === 'first') continue;
    const known = into.requests.find((r) => r.host === host);
    if (known) {
      known.count++;
      continue;
    }
    const { vendor, category } = classifyRequest(parsed);
    const finding: RequestFinding = {
      host,
      party: 'third',
      vendor: vendor ?? null,
      category,
      count: 1,
      initiator: request.initiator,
    };
    into.requests.push(finding);
  }
}

/**
 * Scans one URL: each page (the URL, then same-site links up to `pages`) in three fresh contexts, then
 * judges the findings under the region's regime. Failures become lines in `errors`, never exceptions.
 */
export async function scanUrl(browser: Browser, url: string, options: ScanOptions): Promise<ScanResult> {
  const region = options.region.toUpperCase();
  const visitor = visitorFor(region, options.geoHeaders);
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const siteHost = new URL(url).hostname;
  const states = emptyStates();
  const result: ScanResult = {
    url,
    region,
    regime: regimeOfRegion(region),
    pages: [],
    states,
    violations: [],
    errors: [],
  };
  const notes = new Set<string>();
  const queue = [url];
  const seen = new Set(queue);
  const limit = Math.max(1, options.pages ?? 1);
  while (queue.length > 0 && result.pages.length < limit && !options.signal?.aborted) {
    const page = queue.shift()!;
    result.pages.push(page);
    for (const state of SCAN_STATES) {
      if (options.signal?.aborted) break;
      let visit: PageVisit;
      try {
        visit = await visitPage(browser, page, state, visitor, timeouts);
      } catch (error) {
        result.errors.push(
          `${state}: ${page}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        );
        continue;
      }
      merge(states[state], visit, siteHost);
      if (visit.error) result.errors.push(`${state}: ${visit.error}`);
      for (const note of visit.notes) notes.add(`${state}: ${note}`);
      if (state !== 'before' && !visit.error) {
        if (visit.choice) states[state].choice ??= visit.choice;
        else
          notes.add(
            `${state}: ${page}: no "${state === 'reject' ? 'Reject all' : 'Accept all'}" button found`,
          );
      }
      if (state === 'before')
        for (const link of visit.links)
          if (!seen.has(link)) {
            seen.add(link);
            queue.push(link);
          }
      if (state === 'before' && visit.error) break;
    }
  }
  if (options.signal?.aborted) result.errors.push('the scan was stopped before it finished');
  result.violations = judge(result.regime, states);
  if (notes.size > 0) result.notes = [...notes];
  return result;
}
