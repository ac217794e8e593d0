import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { makeChoice } from './consent-choice.ts';
import type { ScanState } from './scan-result.ts';

/** How long each step may take (ms). Every wait in a scan is bounded by one of these. */
export interface VisitTimeouts {
  /** Loading a page (the `load` event). */
  navigation: number;
  /** Longest wait for the network to go quiet after a load or a click; then the scan goes on. */
  settle: number;
  /** Quiet this long (no request in flight) counts as settled. */
  quiet: number;
}

export const DEFAULT_TIMEOUTS: VisitTimeouts = { navigation: 30_000, settle: 10_000, quiet: 500 };

/** Who the browser poses as: the region's geo headers, language and locale. */
export interface VisitorProfile {
  locale: string;
  /** Sent by the browser itself (`Accept-Language`). */
  headers: Record<string, string>;
  /**
   * Added on the way out, as the CDN in front of a store adds them: the page's scripts never see them, so a
   * cross-site fetch (Reclaim's banner asking for its config) needs no CORS preflight for them.
   */
  geo: Record<string, string>;
}

/** A cookie write seen by the page's scripts or in a response, numbered in the order things happened. */
interface CookieWrite {
  name: string;
  setBy: string;
  seq: number;
}

interface StorageWrite {
  key: string;
  area: 'local' | 'session';
  origin: string;
  seq: number;
}

export interface RawRequest {
  url: string;
  initiator: string;
  seq: number;
}

export interface RawCookie {
  name: string;
  domain: string;
  setBy: string;
}

export interface RawStorage {
  key: string;
  area: 'local' | 'session';
  origin: string;
}

/** What one visit of one page in one state observed, before classification. */
export interface PageVisit {
  state: ScanState;
  url: string;
  cookies: RawCookie[];
  storage: RawStorage[];
  requests: RawRequest[];
  /** Same-site links on the page (for `--pages`). */
  links: string[];
  /** What was pressed; undefined in `before` or when no banner offered the choice. */
  choice?: string;
  /** Why the visit failed; findings up to then are kept. */
  error?: string;
  /** Things a reader should know that are not failures (the network never went quiet). */
  notes: string[];
}

/**
 * Runs in every frame before the page's own scripts: reports each `document.cookie` and `cookieStore` write
 * and each `localStorage`/`sessionStorage` write with the stack that made it, so the report can name the
 * script that set a cookie, which the cookie jar itself does not know.
 */
const RECORDER = `(() => {
  const report = globalThis.__reclaimScanRecord;
  if (typeof report !== 'function') return;
  const origin = location.origin;
  const script = () => {
    const stack = String(new Error().stack || '').split('\\n').slice(2);
    for (const line of stack) {
      const m = line.match(/(https?:\\/\\/[^\\s)]+?)(:\\d+)?:\\d+\\)?\\s*$/);
      if (m) return m[1] === location.href.split('#')[0] ? 'inline script in ' + m[1] : m[1];
    }
    return 'unknown script';
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (desc && desc.set) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true,
      enumerable: desc.enumerable,
      get() { return desc.get.call(this); },
      set(value) {
        try { report({ type: 'cookie', name: String(value).split('=')[0].trim(), by: script() }); } catch {}
        desc.set.call(this, value);
      },
    });
  }
  if (globalThis.CookieStore && CookieStore.prototype.set) {
    const set = CookieStore.prototype.set;
    CookieStore.prototype.set = function (a, b) {
      try { report({ type: 'cookie', name: String(typeof a === 'object' ? a.name : a), by: script() }); } catch {}
      return set.apply(this, arguments);
    };
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    try {
      const area = this === globalThis.sessionStorage ? 'session' : 'local';
      report({ type: 'storage', key: String(key), area, origin });
    } catch {}
    return setItem.call(this, key, value);
  };
})();`;

/** `script URL` for a script file; the recorder already says `inline script in URL` or `unknown script`. */
function scriptName(by: string | undefined): string {
  if (!by) return 'unknown script';
  return /^https?:/.test(by) ? `script ${by}` : by;
}

interface RecordedWrite {
  type: 'cookie' | 'storage';
  name?: string;
  by?: string;
  key?: string;
  area?: 'local' | 'session';
  origin?: string;
}

/** Counts requests in flight across the context's pages and frames, and says when the network is quiet. */
class NetworkQuiet {
  private readonly inflight = new Set<Request>();
  private changed: (() => void) | undefined;

  constructor(context: BrowserContext) {
    context.on('request', (r) => this.update(() => this.inflight.add(r)));
    context.on('requestfinished', (r) => this.update(() => this.inflight.delete(r)));
    context.on('requestfailed', (r) => this.update(() => this.inflight.delete(r)));
  }

  private update(change: () => void): void {
    change();
    this.changed?.();
  }

  /** Resolves true once nothing was in flight for `quiet` ms, or false when `max` ms passed first. */
  wait(quiet: number, max: number): Promise<boolean> {
    return new Promise((resolve) => {
      let quietTimer: NodeJS.Timeout | undefined;
      const finish = (settled: boolean) => {
        clearTimeout(deadline);
        clearTimeout(quietTimer);
        this.changed = undefined;
        resolve(settled);
      };
      const deadline = setTimeout(() => finish(false), max);
      this.changed = () => {
        clearTimeout(quietTimer);
        if (this.inflight.size === 0) quietTimer = setTimeout(() => finish(true), quiet);
      };
      this.changed();
    });
  }
}

function describeNavigationError(url: string, error: unknown): string {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const net = /net::(ERR_[A-Z_]+)/.exec(message)?.[1];
  if (net === 'ERR_TOO_MANY_REDIRECTS') return `${url}: redirect loop (${net})`;
  if (net === 'ERR_NAME_NOT_RESOLVED') return `${url}: host not found (${net})`;
  if (net) return `${url}: cannot load the page (${net})`;
  if (/Timeout/i.test(message)) return `${url}: the page did not finish loading in time`;
  return `${url}: ${message}`;
}

/** Same-site http(s) links on the page, without fragments, in document order. */
async function sameSiteLinks(page: Page): Promise<string[]> {
  const hrefs = await page
    .$$eval('a[href]', (anchors) => anchors.map((a) => (a as HTMLAnchorElement).href))
    .catch(() => [] as string[]);
  const origin = new URL(page.url()).origin;
  const links = new Set<string>();
  for (const href of hrefs) {
    if (!URL.canParse(href)) continue;
    const link = new URL(href);
    if (link.origin !== origin) continue;
    link.hash = '';
    links.add(link.href);
  }
  return [...links];
}

/**
 * `work`, or `fallback` once `ms` pass: a frame still waiting for its document (a page that never loads)
 * never answers an evaluation, and the scan must go on.
 */
async function bounded<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([work.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Keys of local and session storage in every frame of the page, by the frame's origin. */
async function storageKeys(page: Page, timeout: number): Promise<RawStorage[]> {
  const found: RawStorage[] = [];
  for (const frame of page.frames()) {
    const evaluation = frame.evaluate(() => {
      const read = (s: Storage) => Array.from({ length: s.length }, (_, i) => s.key(i) ?? '');
      try {
        return { origin: location.origin, local: read(localStorage), session: read(sessionStorage) };
      } catch {
        return undefined;
      }
    });
    const keys = await bounded(evaluation, timeout, undefined);
    if (!keys || !/^https?:/.test(keys.origin)) continue;
    for (const key of keys.local) found.push({ key, area: 'local', origin: keys.origin });
    for (const key of keys.session) found.push({ key, area: 'session', origin: keys.origin });
  }
  return found;
}

const storageId = (s: { key: string; area: string; origin: string }) => `${s.area} ${s.origin} ${s.key}`;

/**
 * Visits one page in a fresh browser context in one state: loads it, waits for the network to settle and,
 * for `reject`/`accept`, presses the banner's button, waits again, reloads (as the next page view would)
 * and waits again. In those two states only what was written or sent after the choice is reported:
 * what happened before it is the `before` state's finding.
 */
export async function visitPage(
  browser: Browser,
  url: string,
  state: ScanState,
  visitor: VisitorProfile,
  timeouts: VisitTimeouts = DEFAULT_TIMEOUTS,
): Promise<PageVisit> {
  const context = await browser.newContext({
    locale: visitor.locale,
    extraHTTPHeaders: visitor.headers,
    serviceWorkers: 'block',
  });
  await context.route('**/*', (route) =>
    route.continue({ headers: { ...route.request().headers(), ...visitor.geo } }),
  );
  const visit: PageVisit = { state, url, cookies: [], storage: [], requests: [], links: [], notes: [] };
  let seq = 0;
  const cookieWrites: CookieWrite[] = [];
  const storageWrites: StorageWrite[] = [];
  const initiators = new Map<string, string>();
  try {
    await context.exposeBinding('__reclaimScanRecord', (_source, write: RecordedWrite) => {
      if (write.type === 'cookie' && write.name)
        cookieWrites.push({ name: write.name, setBy: scriptName(write.by), seq: ++seq });
      else if (write.type === 'storage' && write.key !== undefined && write.area && write.origin)
        storageWrites.push({ key: write.key, area: write.area, origin: write.origin, seq: ++seq });
    });
    await context.addInitScript(RECORDER);
    const quiet = new NetworkQuiet(context);
    const page = await context.newPage();
    let crashed: ((reason: Error) => void) | undefined;
    const crash = new Promise<never>((_resolve, reject) => (crashed = reject));
    crash.catch(() => undefined);
    page.on('crash', () => crashed?.(new Error(`${url}: the page crashed the browser tab`)));
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (event) => {
      if (initiators.has(event.request.url)) return;
      const init = event.initiator;
      const frame = init.stack?.callFrames.find((f) => f.url)?.url ?? init.url;
      const what = init.type === 'parser' ? 'page' : init.type === 'script' ? 'script' : init.type;
      initiators.set(event.request.url, frame ? `${what} ${frame}` : what);
    });
    await cdp.send('Network.enable');
    context.on('request', (request) => {
      const frame = request.frame();
      const inFrame = frame.parentFrame() !== null && !request.isNavigationRequest();
      visit.requests.push({
        url: request.url(),
        initiator: inFrame ? `iframe ${frame.url()}` : '',
        seq: ++seq,
      });
    });
    context.on('response', (response) => {
      void response
        .headersArray()
        .then((headers) => {
          for (const header of headers) {
            if (header.name.toLowerCase() !== 'set-cookie') continue;
            for (const line of header.value.split('\n')) {
              const name = line.split('=')[0]!.trim();
              if (name) cookieWrites.push({ name, setBy: `Set-Cookie from ${response.url()}`, seq: ++seq });
            }
          }
        })
        .catch(() => undefined);
    });

    const load = async () => {
      await Promise.race([page.goto(url, { waitUntil: 'load', timeout: timeouts.navigation }), crash]);
      const settled = await Promise.race([quiet.wait(timeouts.quiet, timeouts.settle), crash]);
      if (!settled) visit.notes.push(`${url}: the network was still busy after ${timeouts.settle / 1000}s`);
    };
    let choiceSeq = 0;
    let cookiesAtChoice = new Set<string>();
    let storageAtChoice = new Set<string>();
    try {
      await load();
      if (state === 'before') visit.links = await bounded(sameSiteLinks(page), timeouts.settle, []);
      else {
        cookiesAtChoice = new Set((await context.cookies()).map((c) => `${c.name} ${c.domain}`));
        storageAtChoice = new Set((await storageKeys(page, timeouts.settle)).map(storageId));
        choiceSeq = ++seq;
        visit.choice = await Promise.race([
          bounded(makeChoice(page, state, timeouts.navigation), timeouts.navigation * 2, undefined),
          crash,
        ]);
        if (visit.choice) {
          const settled = await Promise.race([quiet.wait(timeouts.quiet, timeouts.settle), crash]);
          if (!settled) visit.notes.push(`${url}: the network was still busy after the choice`);
          await load();
        }
      }
    } catch (error) {
      visit.error = describeNavigationError(url, error);
    }
    const after = (s: number) => s > choiceSeq;
    const writtenAfter = new Set(cookieWrites.filter((w) => after(w.seq)).map((w) => w.name));
    for (const cookie of await bounded(context.cookies(), timeouts.settle, [])) {
      const fresh = !cookiesAtChoice.has(`${cookie.name} ${cookie.domain}`) || writtenAfter.has(cookie.name);
      if (state !== 'before' && !fresh) continue;
      const writes = cookieWrites.filter((w) => w.name === cookie.name);
      const write = writes.find((w) => after(w.seq)) ?? writes[0];
      visit.cookies.push({ name: cookie.name, domain: cookie.domain, setBy: write?.setBy ?? 'unknown' });
    }
    const storageWrittenAfter = new Set(storageWrites.filter((w) => after(w.seq)).map(storageId));
    if (!page.isClosed())
      for (const item of await storageKeys(page, timeouts.settle)) {
        const id = storageId(item);
        if (state !== 'before' && storageAtChoice.has(id) && !storageWrittenAfter.has(id)) continue;
        visit.storage.push(item);
      }
    visit.requests = visit.requests
      .filter((r) => after(r.seq))
      .map((r) => ({ ...r, initiator: r.initiator || (initiators.get(r.url) ?? 'unknown') }));
    return visit;
  } finally {
    await bounded(context.close(), timeouts.navigation, undefined);
  }
}
