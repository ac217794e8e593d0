import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/scanner/scan-result.ts';
import { scanUrl, type ScanOptions } from '../../src/scanner/scanner.ts';
import { launchChromium } from '../support/browser.ts';
import {
  FIXTURE_BROWSER_ARGS,
  FIXTURE_HOSTS,
  startFixtureServer,
  type FixtureServer,
} from './fixture-server.ts';

type Triple = [state: string, kind: string, name: string];

interface LabelledCase {
  id: string;
  description: string;
  host: string;
  path: string;
  region: string;
  violations: Triple[];
  found: [...Triple, string][];
  evidence: [...Triple, string][];
  choice?: [string, string];
}

const { cases } = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/labels.json'), 'utf8'),
) as { cases: LabelledCase[] };

const GEO = { country: 'cf-ipcountry', region: 'cf-region-code' };
// Generous: the machine is shared, and a slow load must not look like a missing finding.
const TIMEOUTS = { navigation: 60_000, settle: 30_000, quiet: 500 };

let server: FixtureServer;
let browser: Browser;
const results = new Map<string, ScanResult>();

const key = (t: readonly string[]) => t.slice(0, 3).join(' ');

function findingsOf(result: ScanResult, state: string, kind: string) {
  const states = result.states as Record<string, ScanResult['states']['before']>;
  const findings = states[state]!;
  if (kind === 'cookie')
    return findings.cookies.map((c) => ({ name: c.name, category: c.category, text: c.setBy }));
  if (kind === 'storage')
    return findings.storage.map((s) => ({ name: s.key, category: s.category, text: s.origin }));
  return findings.requests.map((r) => ({ name: r.host, category: r.category, text: r.initiator }));
}

beforeAll(async () => {
  server = await startFixtureServer();
  browser = await launchChromium({ hosts: FIXTURE_HOSTS, args: FIXTURE_BROWSER_ARGS });
  const queue = [...cases];
  // Two scans at a time share the browser; each visit has its own context.
  await Promise.all(
    [0, 1].map(async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const options: ScanOptions = { region: c.region, geoHeaders: GEO, timeouts: TIMEOUTS };
        results.set(c.id, await scanUrl(browser, server.url(c.host, c.path), options));
      }
    }),
  );
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the scanner against the planted fixture cases', () => {
  it('has at least 20 labelled cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it('finds the labelled violations with precision and recall of at least 0.95', () => {
    let truePositives = 0;
    let predicted = 0;
    let labelled = 0;
    const misses: string[] = [];
    for (const c of cases) {
      const result = results.get(c.id)!;
      const found = new Set(result.violations.map((v) => key([v.state, v.kind, v.name])));
      const expected = new Set(c.violations.map(key));
      predicted += found.size;
      labelled += expected.size;
      for (const v of found) {
        if (expected.has(v)) truePositives++;
        else misses.push(`${c.id}: unexpected ${v}`);
      }
      for (const v of expected) if (!found.has(v)) misses.push(`${c.id}: missed ${v}`);
    }
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = truePositives / labelled;
    // The misses are printed whatever the outcome: a slip below 1.0 should be visible before it fails.
    console.log(
      [
        `scanner precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} over ${cases.length} cases`,
        ...misses,
      ].join('\n  '),
    );
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s: scans without errors, classifies and names evidence',
    (_id, c) => {
      const result = results.get(c.id)!;
      expect(result.errors).toEqual([]);
      expect(result.pages).toEqual([server.url(c.host, c.path)]);
      for (const [state, kind, name, category] of c.found) {
        const finding = findingsOf(result, state, kind).find((f) => f.name === name);
        expect(finding, `${state} ${kind} ${name}`).toMatchObject({ category });
      }
      for (const [state, kind, name, text] of c.evidence) {
        const finding = findingsOf(result, state, kind).find((f) => f.name === name);
        expect(finding?.text, `${state} ${kind} ${name}`).toContain(text);
      }
      if (c.choice) expect(result.states[c.choice[0] as 'reject'].choice).toContain(c.choice[1]);
      for (const v of result.violations) {
        expect(v.rule).toMatch(/^T-(EU|UK|CH|US|CA|ROW): /);
        expect(v.evidence.length).toBeGreaterThan(0);
      }
    },
  );
});
