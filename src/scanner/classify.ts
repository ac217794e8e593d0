import { getDomain } from 'tldts';
import { VENDORS, type Category, type VendorRow } from './vendors.ts';

/** Whether a finding belongs to the scanned site or to someone else (by registrable domain, eTLD+1). */
export type Party = 'first' | 'third';

export interface Classification {
  /** The vendor from the table; absent when the table does not know it. */
  vendor?: string;
  category: Category;
}

/** The registrable domain (`shop.example.co.uk` → `example.co.uk`; `a.myshopify.com` is its own, as in browsers); an IP address is itself. */
export function registrableDomain(host: string): string {
  const bare = host.replace(/^\./, '').toLowerCase();
  return getDomain(bare, { allowPrivateDomains: true }) ?? bare;
}

/** First party when the host shares the page's registrable domain. */
export function partyOf(host: string, siteHost: string): Party {
  return registrableDomain(host) === registrableDomain(siteHost) ? 'first' : 'third';
}

interface Pattern {
  row: VendorRow;
  /** Exact name, or the prefix of a `prefix*` pattern. */
  text: string;
  prefix: boolean;
}

function patterns(pick: (row: VendorRow) => readonly string[] | undefined): Pattern[] {
  return VENDORS.flatMap((row) =>
    (pick(row) ?? []).map((p) =>
      p.endsWith('*') ? { row, text: p.slice(0, -1), prefix: true } : { row, text: p, prefix: false },
    ),
  );
}

const COOKIE_PATTERNS = patterns((row) => row.cookies);
const STORAGE_PATTERNS = patterns((row) => row.storage);
const HOST_PATTERNS = VENDORS.flatMap((row) => (row.hosts ?? []).map((host) => ({ row, host })));

/** An exact name beats any prefix; a longer prefix beats a shorter one. */
function matchName(name: string, table: readonly Pattern[]): VendorRow | undefined {
  let best: Pattern | undefined;
  for (const pattern of table) {
    const hit = pattern.prefix ? name.startsWith(pattern.text) : name === pattern.text;
    if (!hit) continue;
    if (!pattern.prefix) return pattern.row;
    if (!best || pattern.text.length > best.text.length) best = pattern;
  }
  return best?.row;
}

function asClassification(row: VendorRow | undefined): Classification {
  return row ? { vendor: row.vendor, category: row.category } : { category: 'unknown' };
}

/** A cookie by its name; when the name is unknown, by the host that holds it. */
export function classifyCookie(name: string, domain: string): Classification {
  const byName = matchName(name, COOKIE_PATTERNS);
  if (byName) return asClassification(byName);
  return classifyHost(domain);
}

export function classifyStorage(key: string): Classification {
  return asClassification(matchName(key, STORAGE_PATTERNS));
}

/** A host by the most specific row naming it or one of its parent domains. */
export function classifyHost(host: string): Classification {
  const bare = host.replace(/^\./, '').toLowerCase();
  let best: { row: VendorRow; host: string } | undefined;
  for (const entry of HOST_PATTERNS) {
    if (bare !== entry.host && !bare.endsWith(`.${entry.host}`)) continue;
    if (!best || entry.host.length > best.host.length) best = entry;
  }
  return asClassification(best?.row);
}

/**
 * Reclaim's own consent endpoints (CONTRACT.md "Storefront consent": the banner script, its config, the
 * decision) on whatever host `RECLAIM_PUBLIC_URL` names: the banner itself, strictly necessary.
 */
const RECLAIM_CONSENT_PATH = /^\/v1\/consent(\/|$)/;

/** A request by its host, or as Reclaim's banner when it is one of Reclaim's consent endpoints. */
export function classifyRequest(url: URL): Classification {
  if (RECLAIM_CONSENT_PATH.test(url.pathname)) return { vendor: 'Reclaim', category: 'necessary' };
  return classifyHost(url.hostname);
}
