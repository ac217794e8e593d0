import type { Browser } from 'playwright-core';
import type { Config } from '../config/config-schema.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Store } from '../store/store.ts';
import { BrowserMissingError, launchChromium } from './browser.ts';
import { scanChanges } from './scan-changes.ts';
import { ScanRepository, type StoredScan } from './scan-repository.ts';
import type { ScanResult } from './scan-result.ts';
import { scanUrl } from './scanner.ts';
import type { VisitTimeouts } from './page-visit.ts';

export interface ScanSchedulerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  scanner: Config['scanner'];
  geo: Config['geo'];
  /** Starts the browser; default Debian's Chromium at `scanner.chromiumPath`. Tests map host names. */
  launch?: () => Promise<Browser>;
  timeouts?: VisitTimeouts;
}

/**
 * Scans `RECLAIM_SCAN_URLS` every `RECLAIM_SCAN_EVERY` in the server, storing each scan with what changed
 * since the previous one. It never holds the server up: the first scan is due `every` after the last stored
 * one (at once when there is none), runs in the background, and a missing Chromium is one log line and a
 * skipped scan.
 */
export class ScanScheduler {
  private readonly repository: ScanRepository;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private warnedNoBrowser = false;
  private browser: Browser | undefined;

  constructor(private readonly deps: ScanSchedulerDeps) {
    this.repository = new ScanRepository(deps.store);
  }

  /** Plans the next scan; nothing when no URL is configured. */
  async start(): Promise<void> {
    if (this.deps.scanner.urls.length === 0) return;
    const last = await this.repository.latest();
    const due = last ? last.startedAt + this.deps.scanner.every : this.deps.clock.now();
    this.schedule(Math.max(0, due - this.deps.clock.now()));
  }

  private schedule(delay: number): void {
    if (this.stopping.signal.aborted) return;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait is taken in steps.
    this.timer = setTimeout(
      () => {
        this.running = this.runOnce()
          .then(() => undefined)
          .catch((error: unknown) => this.deps.log.error({ err: error }, 'scheduled scan failed'))
          .finally(() => {
            this.running = undefined;
            this.schedule(this.deps.scanner.every);
          });
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timer.unref();
  }

  /** Runs one scan of every configured URL now and stores it; undefined when there is no browser. */
  async runOnce(): Promise<StoredScan | undefined> {
    const { scanner, geo, clock, log } = this.deps;
    const startedAt = clock.now();
    let browser: Browser;
    try {
      browser = await (
        this.deps.launch ?? (() => launchChromium({ executablePath: scanner.chromiumPath }))
      )();
    } catch (error) {
      if (!this.warnedNoBrowser || !(error instanceof BrowserMissingError))
        log.warn(
          { reason: error instanceof Error ? error.message.split('\n')[0] : String(error) },
          'scheduled consent scan skipped: no browser',
        );
      this.warnedNoBrowser = true;
      return undefined;
    }
    const results: ScanResult[] = [];
    try {
      for (const url of scanner.urls) {
        if (this.stopping.signal.aborted) break;
        results.push(
          await scanUrl(browser, url, {
            region: scanner.region,
            geoHeaders: { country: geo.countryHeader, region: geo.regionHeader },
            signal: this.stopping.signal,
            timeouts: this.deps.timeouts,
          }),
        );
      }
    } finally {
      this.browser = undefined;
      await browser.close().catch(() => undefined);
    }
    if (this.stopping.signal.aborted) return undefined;
    const previous = await this.repository.latest();
    const scan = {
      startedAt,
      finishedAt: clock.now(),
      region: scanner.region,
      urls: [...scanner.urls],
      violations: results.reduce((n, r) => n + r.violations.length, 0),
      results,
      changes: scanChanges(previous?.results, results),
    };
    const id = await this.repository.insert(scan);
    log.info(
      {
        scan: id,
        violations: scan.violations,
        added: scan.changes.added.length,
        removed: scan.changes.removed.length,
      },
      'consent scan finished',
    );
    return { id, ...scan };
  }

  /** Stops planning scans and ends a running one (its browser closes; nothing of it is stored). */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.browser?.close().catch(() => undefined);
    await this.running;
  }
}
