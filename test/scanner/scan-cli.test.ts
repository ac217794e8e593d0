import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { artefactPath, launchChromium } from '../support/browser.ts';
import { startFixtureServer, type FixtureServer } from './fixture-server.ts';

let server: FixtureServer;
const dir = mkdtempSync(path.join(tmpdir(), 'reclaim-scan-'));

/** Chromium processes this test process started and left running. */
function strayBrowsers(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => /chrom/i.test(line));
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  server = await startFixtureServer();
});

afterAll(async () => {
  await server?.close();
});

// Each test starts Chromium and scans up to three pages: generous, for a loaded shared machine.
describe('reclaim scan', { timeout: 300_000 }, () => {
  it('exits 2 for bad arguments, before starting a browser', async () => {
    for (const argv of [
      ['scan'],
      ['scan', 'ftp://shop.example/'],
      ['scan', 'javascript:alert(1)'],
      ['scan', 'https://shop.example/', '--pages', '0'],
      ['scan', 'https://shop.example/', '--region', 'Germany'],
      ['scan', 'https://shop.example/', '--colour'],
    ]) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/reclaim scan: .+/);
    }
  });

  it('exits 69 with what to install when there is no browser', async () => {
    const config = path.join(dir, 'no-browser.json');
    writeFileSync(config, JSON.stringify({ scanner: { chromiumPath: '/nonexistent/chromium' } }));
    const run = await cli('--config', config, 'scan', server.url('127.0.0.1', '/clean.html'));
    expect(run.code).toBe(69);
    expect(run.stderr).toContain('no Chromium at /nonexistent/chromium: apt-get install chromium');
  });

  it('exits 1 and prints the CONTRACT.md JSON when a page breaks the rules', async () => {
    const url = server.url('127.0.0.1', '/ga.html');
    const run = await cli('scan', url, '--json', '--region', 'de');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['url', 'region', 'regime', 'states', 'violations']),
    );
    expect(result).toMatchObject({ url, region: 'DE', regime: 'EU' });
    const states = result.states as Record<
      string,
      { cookies: unknown[]; storage: unknown[]; requests: unknown[] }
    >;
    expect(Object.keys(states).sort()).toEqual(['accept', 'before', 'reject']);
    for (const state of Object.values(states)) {
      expect(
        Array.isArray(state.cookies) && Array.isArray(state.storage) && Array.isArray(state.requests),
      ).toBe(true);
    }
    expect(states.before!.cookies).toEqual(
      expect.arrayContaining([
        {
          name: '_ga',
          domain: '127.0.0.1',
          party: 'first',
          vendor: 'Google Analytics (GA4)',
          category: 'analytics',
          setBy: `inline script in ${url}`,
        },
        {
          name: 'cart',
          domain: '127.0.0.1',
          party: 'first',
          vendor: 'Shopify',
          category: 'necessary',
          setBy: `inline script in ${url}`,
        },
      ]),
    );
    expect(result.violations).toEqual([
      {
        state: 'before',
        kind: 'cookie',
        name: '_ga',
        host: '127.0.0.1',
        vendor: 'Google Analytics (GA4)',
        category: 'analytics',
        rule: expect.stringMatching(/^T-EU: /) as string,
        evidence: `inline script in ${url}`,
      },
    ]);
    // No banner on the page: the report says so instead of pretending the shopper chose.
    expect(result.notes).toEqual(
      expect.arrayContaining([expect.stringContaining('no "Reject all" button found')]),
    );
    expect(strayBrowsers()).toEqual([]);
  });

  it('exits 0 for a page that holds everything, prints an array for several URLs, and writes the HTML report', async () => {
    const html = path.join(dir, 'report.html');
    const clean = server.url('127.0.0.1', '/clean.html');
    const run = await cli('scan', clean, clean, '--json', '--html', html);
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as { url: string; violations: unknown[] }[];
    expect(results.map((r) => [r.url, r.violations.length])).toEqual([
      [clean, 0],
      [clean, 0],
    ]);
    expect(readFileSync(html, 'utf8')).toContain('No violation found for a visitor from DE');
  });

  it('writes a self-contained HTML report a person can read', async () => {
    const html = path.join(dir, 'violations.html');
    const run = await cli('scan', server.url('127.0.0.1', '/ga.html'), '--html', html, '--region', 'FR');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('1 violation:');
    expect(run.stdout).toContain('[before] cookie _ga (127.0.0.1) — Google Analytics (GA4), analytics');
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script|<link|src=|@import|url\(/i);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(`file://${html}`);
      expect(requested).toEqual([`file://${html}`]);
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('What your store sets and sends before and after consent');
      expect(await page.locator('.verdict').textContent()).toContain(
        '1 violation for a visitor from FR (EU rules)',
      );
      expect(await page.getByRole('cell', { name: '_ga' }).count()).toBeGreaterThan(0);
      await page.screenshot({ path: artefactPath('scan-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('reports an unreachable page and a redirect loop as clear lines, exits 1, leaves no browser running', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}/`;
    const loop = server.url('127.0.0.1', '/__loop');
    const run = await cli('scan', unreachable, loop);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `error: before: ${unreachable}: cannot load the page (ERR_CONNECTION_REFUSED)`,
    );
    expect(run.stdout).toContain(`error: before: ${loop}: redirect loop (ERR_TOO_MANY_REDIRECTS)`);
    expect(strayBrowsers()).toEqual([]);
  });
});
