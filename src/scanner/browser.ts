import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's `chromium` package; `scanner.chromiumPath` (`RECLAIM_CHROMIUM_PATH`) names another. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless, no GPU, nothing of Chromium's own on the network (updates, sync, field trials), so every
 * request a scan records comes from the page. No sandbox: Reclaim runs as a service user or root in a
 * container, where Chromium's sandbox cannot start.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** No Chromium where the configuration says: the scan cannot run (CLI exit 69). */
export class BrowserMissingError extends Error {
  override readonly name = 'BrowserMissingError';
  constructor(readonly executablePath: string) {
    super(`no Chromium at ${executablePath}: apt-get install chromium, or set RECLAIM_CHROMIUM_PATH`);
  }
}

export interface LaunchOptions {
  /** The Chromium binary; default Debian's. */
  executablePath?: string;
  /** Host names that resolve to 127.0.0.1, so local sites are served under realistic names. */
  hosts?: readonly string[];
  /** More Chromium flags (tests: `--ignore-certificate-errors` for self-signed fixtures). */
  args?: readonly string[];
  /** Longest wait for the browser to start (ms). */
  timeout?: number;
}

/** True when a Chromium binary exists at the path. */
export function chromiumAvailable(executablePath = DEFAULT_CHROMIUM_PATH): boolean {
  return existsSync(executablePath);
}

/** Starts headless Chromium, or throws `BrowserMissingError` when there is none at the path. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? DEFAULT_CHROMIUM_PATH;
  if (!chromiumAvailable(executablePath)) throw new BrowserMissingError(executablePath);
  const args = [...CHROMIUM_FLAGS, ...(options.args ?? [])];
  if (options.hosts !== undefined && options.hosts.length > 0) {
    const rules = options.hosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ');
    args.push(`--host-resolver-rules=${rules}`);
  }
  return chromium.launch({ executablePath, args, timeout: options.timeout ?? 60_000 });
}
