import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, or the one `RECLAIM_CHROMIUM_PATH` names; `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.RECLAIM_CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOptions {
  /** Host names that resolve to 127.0.0.1, so fixtures are served under realistic names. */
  hosts?: readonly string[];
}

/** Starts headless Chromium; the browser tests need it, so a missing one fails with what to install. */
export async function launchChromium(options: BrowserOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set RECLAIM_CHROMIUM_PATH`,
    );
  }
  const args = [...CHROMIUM_FLAGS];
  if (options.hosts !== undefined && options.hosts.length > 0) {
    const rules = options.hosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ');
    args.push(`--host-resolver-rules=${rules}`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/** Where browser tests leave screenshots for a person to look at (ignored by git). */
export function artefactPath(name: string): string {
  const dir = path.resolve('test-artefacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
