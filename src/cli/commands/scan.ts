import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/load-config.ts';
import { BrowserMissingError, launchChromium } from '../../scanner/browser.ts';
import type { ScanResult } from '../../scanner/scan-result.ts';
import { renderScanHtml } from '../../scanner/scan-report-html.ts';
import { scanUrl } from '../../scanner/scanner.ts';
import { formatScanText } from '../../scanner/scan-report-text.ts';
import { EXIT, parseOptions, UsageError, type Command } from '../command.ts';

const REGION = /^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$/;

export const scanCommand: Command = {
  name: 'scan',
  summary: 'Scan store pages for cookies, storage and trackers before and after the consent choice',
  help: `Usage: reclaim scan URL… [--region CC|CC-SUB] [--pages N] [--json] [--html FILE]

Opens each URL in a fresh headless Chromium three times: untouched, after "Reject all" and after
"Accept all" (Reclaim's banner by those names, and the common banners: Shopify's, Cookiebot, OneTrust,
CookieYes, Klaro, Pandectes, Consentmo). Records every cookie (and the script or response that set it),
local and session storage keys, and requests to other sites; classifies them; and reports what breaks
the region's consent rules (docs/scanner.md).

  --region CC|CC-SUB  the visitor's country or subdivision: geo headers, language and the rules that
                      judge (default scanner.region, RECLAIM_SCAN_REGION, DE)
  --pages N           pages per URL: the URL, then same-site links found on it (default 1, at most 100)
  --json              print the result as JSON: one object for one URL, an array for several
  --html FILE         also write a self-contained HTML report to FILE

Chromium: RECLAIM_CHROMIUM_PATH (default /usr/bin/chromium; Debian's "chromium" package).
Exit codes: 0 no violation; 1 violations found, or a page could not be scanned; 2 bad arguments;
69 no browser.`,
  async run(ctx) {
    const { values, positionals } = parseOptions(
      ctx.argv,
      {
        region: { type: 'string' },
        pages: { type: 'string' },
        json: { type: 'boolean' },
        html: { type: 'string' },
      },
      true,
    );
    if (positionals.length === 0) throw new UsageError('name at least one URL to scan');
    for (const url of positionals)
      if (!/^https?:\/\//i.test(url) || !URL.canParse(url))
        throw new UsageError(`"${url}" is not an http(s) URL`);
    if (values.region !== undefined && !REGION.test(values.region))
      throw new UsageError('--region must be a country code such as DE, or CC-SUB such as US-CA');
    const pages = values.pages === undefined ? 1 : Number(values.pages);
    if (!Number.isInteger(pages) || pages < 1 || pages > 100)
      throw new UsageError('--pages must be an integer from 1 to 100');
    if (values.html === '') throw new UsageError('--html needs a file name');

    const config = loadConfig({ file: ctx.configFile });
    const region = (values.region ?? config.scanner.region).toUpperCase();
    let browser;
    try {
      browser = await launchChromium({ executablePath: config.scanner.chromiumPath });
    } catch (error) {
      const message =
        error instanceof BrowserMissingError
          ? error.message
          : `Chromium did not start: ${(error as Error).message.split('\n')[0]}`;
      ctx.stderr.write(`reclaim scan: ${message}\n`);
      return EXIT.UNAVAILABLE;
    }
    const stop = new AbortController();
    void ctx.stopSignal.then(() => stop.abort());
    const results: ScanResult[] = [];
    try {
      for (const url of positionals) {
        if (stop.signal.aborted) break;
        results.push(
          await scanUrl(browser, url, {
            region,
            pages,
            geoHeaders: { country: config.geo.countryHeader, region: config.geo.regionHeader },
            signal: stop.signal,
          }),
        );
      }
    } finally {
      await browser.close();
    }
    if (values.html) writeFileSync(values.html, renderScanHtml(results, new Date()));
    const json = results.length === 1 ? results[0] : results;
    ctx.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${formatScanText(results)}\n`);
    const failed = results.some((r) => r.violations.length > 0 || r.errors.length > 0);
    return failed || stop.signal.aborted ? EXIT.FAILURE : EXIT.OK;
  },
};
