// Storefront consent: the banner's size against vanilla-cookieconsent's own, its time to show and layout
// shift in Chromium on a throttled connection, and consent decisions per second at /v1/consent against a
// bare handler in the same run. `npm run bench:storefront` — writes its section of BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { buildStorefrontBundles } from '../src/storefront/build-bundles.ts';
import { STOREFRONT_DIST } from '../src/storefront/storefront-routes.ts';
import { StorefrontFixture } from '../test/support/storefront.ts';
import { startBareServer, startReclaimServer } from './support/processes.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const PK = 'pk_bench_storefront';
const ORIGIN = 'https://northwind-demo.myshopify.com';
/** Lighthouse's mobile throttling: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up. */
const SLOW = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };
const PAGE_LOADS = 5;

const gz = (bytes: Buffer) => gzipSync(bytes, { level: 9 }).length;
const library = (file: string) =>
  readFileSync(fileURLToPath(new URL(`../node_modules/vanilla-cookieconsent/dist/${file}`, import.meta.url)));

async function sizes(): Promise<string[][]> {
  await buildStorefrontBundles();
  const banner = readFileSync(path.join(STOREFRONT_DIST, 'banner.js'));
  const forms = readFileSync(path.join(STOREFRONT_DIST, 'forms.js'));
  const js = library('cookieconsent.umd.js');
  const css = library('cookieconsent.css');
  const bare = gz(js) + gz(css);
  return [
    [
      'vanilla-cookieconsent 3.1.0 (umd.js + css, each gzipped)',
      fmt(js.length + css.length),
      fmt(bare),
      '1.00',
    ],
    [
      'Reclaim banner.js (library, css, Reclaim code)',
      fmt(banner.length),
      fmt(gz(banner)),
      fmt(gz(banner) / bare, 2),
    ],
    ['Reclaim forms.js', fmt(forms.length), fmt(gz(forms)), '–'],
  ];
}

interface PageFigures {
  shownMs: number;
  fcpMs: number;
  cls: number;
}

/** Loads a storefront page on a throttled connection; the banner's time to show, FCP and layout shift. */
async function pageLoads(): Promise<PageFigures[]> {
  const f = await StorefrontFixture.start();
  try {
    const url = f.page('/products/jacket');
    const figures: PageFigures[] = [];
    for (let i = 0; i < PAGE_LOADS; i++) {
      const { context, page } = await f.visitor('DE');
      await page.addInitScript(() => {
        const w = window as unknown as { __cls: number; __shown?: number };
        w.__cls = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries() as (PerformanceEntry & {
            value: number;
            hadRecentInput: boolean;
          })[])
            if (!entry.hadRecentInput) w.__cls += entry.value;
        }).observe({ type: 'layout-shift', buffered: true });
        new MutationObserver(() => {
          if (w.__shown === undefined && document.querySelector('#cc-main .cm'))
            w.__shown = performance.now();
        }).observe(document, { childList: true, subtree: true });
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', SLOW);
      await page.goto(url, { waitUntil: 'load' });
      await page
        .getByRole('dialog', { name: 'Your privacy choices' })
        .waitFor({ state: 'visible', timeout: 60_000 });
      await page.getByRole('button', { name: 'Accept all' }).click();
      await page.waitForFunction(
        () => (window as unknown as { __tags: string[] }).__tags.length === 5,
        undefined,
        {
          timeout: 60_000,
        },
      );
      figures.push(
        await page.evaluate(() => {
          const w = window as unknown as { __cls: number; __shown: number };
          const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
          return { shownMs: w.__shown, fcpMs: fcp, cls: w.__cls };
        }),
      );
      await context.close();
    }
    return figures;
  } finally {
    await f.close();
  }
}

let counter = 0;
const decision = () =>
  JSON.stringify({
    subject: { anonymousId: `bench-consent-${++counter}` },
    permission: 'tracking',
    state: counter % 3 === 0 ? 'denied' : 'granted',
    categories:
      counter % 3 === 0
        ? { analytics: false, marketing: false, preferences: false, saleOfData: false }
        : { analytics: true, marketing: true, preferences: true, saleOfData: true },
    source: 'reclaim-banner',
    wording: 'Your privacy choices\nWe use cookies and similar tools to run this store…',
    wordingVersion: 'reclaim-banner-r1-en',
    initialState: 'unchecked',
    revision: 1,
    gpc: false,
    formId: 'reclaim-banner',
    captureUrl: `${ORIGIN}/products/jacket`,
    timestamp: new Date().toISOString(),
  });

async function load(url: string): Promise<{ perSec: number; p99: number; failed: number }> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path: `/v1/consent?key=${PK}`,
        headers: { 'content-type': 'text/plain', origin: ORIGIN, 'cf-ipcountry': 'DE' },
        setupRequest: (req) => ({ ...req, body: decision() }),
      },
    ],
  });
  return {
    perSec: result['2xx'] / result.duration,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}

/** Starting a server compiles TypeScript first; on a loaded shared machine that can outlast one wait. */
async function started<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function decisionsPerSecond(): Promise<string[][]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reclaim-bench-storefront-'));
  const rows: string[][] = [];
  try {
    const bare = await started(startBareServer);
    const reclaim = await started(() =>
      startReclaimServer({
        RECLAIM_DATABASE_URL: `sqlite:${path.join(dir, 'reclaim.sqlite')}`,
        RECLAIM_PUBLISHABLE_KEYS: PK,
        RECLAIM_PIXEL_ORIGINS: ORIGIN,
        RECLAIM_PIXEL_RATE_LIMIT: '10000000',
      }),
    );
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const base = await load(bare.url);
        const ours = await load(reclaim.url);
        rows.push([
          String(round),
          fmt(base.perSec),
          fmt(ours.perSec),
          fmt(ours.perSec / base.perSec, 2),
          `${ours.p99} ms`,
          String(ours.failed + base.failed),
        ]);
      }
    } finally {
      await reclaim.stop();
      await bare.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function runStorefrontBench(): Promise<BenchSection> {
  const sizeRows = await sizes();
  const loads = await pageLoads();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const decisions = await decisionsPerSecond();
  const markdown = [
    '**Size** (goal ≤ 25 KB gzipped; gzip -9):',
    '',
    table(['script', 'bytes', 'gzipped bytes', '÷ bare library'], sizeRows),
    '',
    `**In Chromium**, a storefront page in an opt-in regime, Lighthouse's mobile throttling (150 ms RTT, 1.6 Mbit/s),`,
    `${PAGE_LOADS} fresh visits, then Accept all: the banner shows at a median ${fmt(median(loads.map((l) => l.shownMs)))} ms`,
    `after navigation (the page's first contentful paint: ${fmt(median(loads.map((l) => l.fcpMs)))} ms). Cumulative layout shift over`,
    `the visit, banner and decision included: ${loads.map((l) => fmt(l.cls, 3)).join(', ')} (goal 0; the banner is fixed-position`,
    'and never moves the page).',
    '',
    `**Consent decisions per second** at \`POST /v1/consent\` with a publishable key (distinct decisions, EU visitor,`,
    `stored durably in SQLite and counted) against a bare Fastify handler that parses the same body, ${CONNECTIONS}`,
    `connections, ${DURATION} s per load, alternating:`,
    '',
    table(['round', 'bare handler /s', 'Reclaim /s', 'ratio', 'Reclaim p99', 'failed'], decisions),
  ].join('\n');
  return {
    key: 'storefront',
    title: 'Storefront consent banner',
    command: 'npm run bench:storefront',
    markdown,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const section = await runStorefrontBench();
  writeSection(section);
  console.log(section.markdown);
}
