import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const RECLAIM_BIN = fileURLToPath(new URL('../../bin/reclaim.js', import.meta.url));

export interface ReclaimProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT` once the server logged that it is serving. */
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `reclaim ARGS…` as a real process and waits until it serves HTTP. */
export async function startReclaimProcess(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
  /** How its output says it serves, with the URL as the first group (default: the serve log line). */
  serving = /"url":"(http:\/\/[^"]+)","database".*reclaim is serving/,
): Promise<ReclaimProcess> {
  const child = spawn(process.execPath, [RECLAIM_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reclaim did not start in time\n${out}\n${err}`)),
      60_000,
    );
    const check = () => {
      const match = serving.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`reclaim exited with ${code} before serving\n${out}\n${err}`));
    });
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

/**
 * Runs `reclaim ARGS…` to completion. With `timeoutMs`, a process still running then is killed (SIGKILL) and
 * its exit code is `null`.
 */
export async function runReclaim(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  timeoutMs?: number,
) {
  const child = spawn(process.execPath, [RECLAIM_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs, killSignal: 'SIGKILL' as const }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
