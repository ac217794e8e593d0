import type { Regime } from '../consent/jurisdiction.ts';
import type { Party } from './classify.ts';
import type { Category } from './vendors.ts';

/** The three visits of each page: untouched, after "Reject all", after "Accept all". */
export type ScanState = 'before' | 'reject' | 'accept';
export const SCAN_STATES: readonly ScanState[] = ['before', 'reject', 'accept'];

export interface CookieFinding {
  name: string;
  /** The cookie's domain as the browser holds it (`.shop.example` for a domain cookie). */
  domain: string;
  party: Party;
  vendor: string | null;
  category: Category;
  /** What set it: `Set-Cookie from URL`, `script URL` (a `document.cookie` write), or `unknown`. */
  setBy: string;
}

export interface StorageFinding {
  key: string;
  /** `local` or `session` storage. */
  area: 'local' | 'session';
  /** The origin whose storage holds the key (a third-party iframe has its own). */
  origin: string;
  party: Party;
  vendor: string | null;
  category: Category;
}

export interface RequestFinding {
  host: string;
  party: Party;
  vendor: string | null;
  category: Category;
  count: number;
  /** What started the first request to this host: `script URL`, `iframe URL`, or `page URL` (the page's markup, or a script Chromium did not name). */
  initiator: string;
}

export interface StateFindings {
  cookies: CookieFinding[];
  storage: StorageFinding[];
  requests: RequestFinding[];
  /** How the choice was made (`Reclaim banner: "Reject all"`, `OneTrust`), or why it could not be. */
  choice?: string;
}

export interface Violation {
  state: ScanState;
  kind: 'cookie' | 'storage' | 'request';
  /** Cookie name, storage key or, for a request, the host. */
  name: string;
  host: string;
  vendor: string | null;
  category: Category;
  /** The RULES.md rule broken, with its id first (`T-EU: …`). */
  rule: string;
  /** The script, response or frame that did it. */
  evidence: string;
}

/** One scanned URL (and the same-site pages followed from it): CONTRACT.md "Scanner". */
export interface ScanResult {
  url: string;
  /** `CC` or `CC-SUB` the visitor posed as. */
  region: string;
  regime: Regime;
  /** Every page visited, the given URL first. */
  pages: string[];
  states: Record<ScanState, StateFindings>;
  violations: Violation[];
  /** What went wrong (unreachable, never settled, crashed), one clear line each. */
  errors: string[];
  /** What a reader should know that is not a failure: no banner button found, a network that never settled. */
  notes?: string[];
}
