// Scanner cost: seconds per page and per three-state scan, and peak memory (Node plus every Chromium
// process), for a scan of 1 page and a crawl of 25, against a baseline that only loads the same pages once
// each in one browser context. Pages and tags are the scanner's fixtures, served on loopback.
// `npm run bench:scan` — writes its section of BENCHMARKS.md.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { launchChromium } from '../src/scanner/browser.ts';
import { scanUrl } from '../src/scanner/scanner.ts';
import { FIXTURE_BROWSER_ARGS, FIXTURE_HOSTS, startFixtureServer } from '../test/scanner/fixture-server.ts';
import { fmt, table, writeSection, type BenchSection } from './support/report.ts';

const STORE = 'www.bench-store.com';
const TAGS = [
  'http://www.googletagmanager.com:{{PORT}}/gtag/js?id=G-ABC123',
  'http://connect.facebook.net:{{PORT}}/en_US/fbevents.js',
  'http://static.klaviyo.com:{{PORT}}/onsite/js/klaviyo.js?company_id=AbC123',
];

/** A catalogue page: three tags before consent, the fixture banner, links to the next pages. */
function catalogue(host: string, pathname: string): string | undefined {
  const match = host === STORE ? /^\/p\/(\d+)$/.exec(pathname) : null;
  if (!match) return undefined;
  const n = Number(match[1]);
  const links = [1, 2, 3].map((i) => `<a href="/p/${n + i}">Product ${n + i}</a>`).join(' ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Product ${n}</title>
${TAGS.map((src) => `<script async src="${src}"></script>`).join('\n')}</head>
<body><h1>Product ${n}</h1><nav>${links}</nav><script src="/_shared/banner.js"></script></body></html>`;
}

/** Resident memory of this process and all its descendants (Chromium's browser, renderers, GPU, utility). */
async function treeRssBytes(): Promise<number> {
  const { stdout } = await promisify(execFile)('ps', ['-e', '-o', 'pid=,ppid=,rss=']);
  const rows = stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  const inTree = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (inTree.has(ppid) && !inTree.has(pid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  return rows.filter(([pid]) => inTree.has(pid)).reduce((sum, [, , rss]) => sum + rss * 1024, 0);
}

/** Runs `work`, sampling the process tree's memory every 250 ms (asynchronously, one sample at a time). */
async function measure<T>(work: () => Promise<T>): Promise<{ seconds: number; peak: number; value: T }> {
  let peak = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      peak = Math.max(peak, await treeRssBytes());
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const start = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - start) / 1000;
    peak = Math.max(peak, await treeRssBytes());
    return { seconds, peak, value };
  } finally {
    done = true;
    await sampling;
  }
}

export async function runScanBench(): Promise<BenchSection> {
  const server = await startFixtureServer(catalogue);
  const rows: (string | number)[][] = [];
  try {
    for (const pages of [1, 25]) {
      const browser = await launchChromium({ hosts: FIXTURE_HOSTS, args: FIXTURE_BROWSER_ARGS });
      try {
        const urls = Array.from({ length: pages }, (_, i) => server.url(STORE, `/p/${i + 1}`));
        const baseline = await measure(async () => {
          const context = await browser.newContext();
          const page = await context.newPage();
          for (const url of urls) await page.goto(url, { waitUntil: 'networkidle' });
          await context.close();
        });
        console.error(`baseline: ${pages} pages in ${baseline.seconds.toFixed(1)} s`);
        const scan = await measure(() =>
          scanUrl(browser, urls[0]!, {
            region: 'DE',
            pages,
            geoHeaders: { country: 'cf-ipcountry', region: 'cf-region-code' },
          }),
        );
        console.error(`scan: ${pages} pages in ${scan.seconds.toFixed(1)} s`);
        if (scan.value.pages.length !== pages || scan.value.errors.length > 0)
          throw new Error(
            `scan visited ${scan.value.pages.length} pages, errors: ${scan.value.errors.join('; ')}`,
          );
        rows.push([
          pages,
          fmt(baseline.seconds / pages, 2),
          fmt(scan.seconds / pages, 2),
          fmt(scan.seconds / pages / 3, 2),
          fmt(scan.seconds, 1),
          fmt(scan.seconds / baseline.seconds, 1),
          scan.value.violations.length,
          `${fmt(scan.peak / 2 ** 20)} MiB`,
          `${fmt(baseline.peak / 2 ** 20)} MiB`,
        ]);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
  const markdown = `Each page of a catalogue (three tags before consent: GA4, Meta, Klaviyo; the fixture banner; links to
the next pages) is scanned in three fresh contexts (before, after "Reject all", after "Accept all"), each
waiting for 500 ms without a request in flight after the load and after the click, and reloading after the
click. The baseline loads the same pages once each in one context, waiting for \`networkidle\` (Playwright's
own 500 ms). Memory is the peak resident set of Node and every Chromium process, sampled every 250 ms.
Chromium ${execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^Chromium /, '')}.

${table(
  [
    'pages',
    'baseline s/page',
    'scan s/page',
    's per state visit',
    'scan total s',
    'ratio to baseline',
    'violations',
    'peak memory (scan)',
    'peak memory (baseline)',
  ],
  rows,
)}

What bounds it: each page costs three full loads plus a reload in two of them (five loads), and each wait for
the network to settle includes the 500 ms quiet window (seven per page), so a page can never take less than
about 3.5 s whatever the machine; the rest is Chromium loading pages. Pages are scanned one after another;
memory stays flat with the number of pages because each visit's context is closed before the next opens.`;
  return { key: 'scan', title: 'Scanner', command: 'npm run bench:scan', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await runScanBench();
  writeSection(section);
  console.log(section.markdown);
}
