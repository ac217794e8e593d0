import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { DEFAULT_CHROMIUM_PATH, launchChromium as launch } from '../../src/scanner/browser.ts';

/** Debian's Chromium, or the one `RECLAIM_CHROMIUM_PATH` names; `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.RECLAIM_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;

export interface BrowserOptions {
  /** Host names that resolve to 127.0.0.1, so fixtures are served under realistic names. */
  hosts?: readonly string[];
  /** More Chromium flags. */
  args?: readonly string[];
}

/** Starts headless Chromium; the browser tests need it, so a missing one fails with what to install. */
export function launchChromium(options: BrowserOptions = {}): Promise<Browser> {
  return launch({ executablePath: CHROMIUM_PATH, hosts: options.hosts, args: options.args });
}

/** Where browser tests leave screenshots for a person to look at (ignored by git). */
export function artefactPath(name: string): string {
  const dir = path.resolve('test-artefacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
