import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
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
  return untilServing(child, serving);
}

/** The repository's root, where `package.json` and its `npm start` script are. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm start` from the repository's root, as an operator does, and waits until it serves HTTP. */
export async function startWithNpm(env: Record<string, string>): Promise<ReclaimProcess> {
  const child = spawn('npm', ['start'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilServing(child, /"url":"(http:\/\/[^"]+)","database".*reclaim is serving/);
}

async function untilServing(child: ChildProcess, serving: RegExp): Promise<ReclaimProcess> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
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
    child.stdout!.on('data', check);
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

/** Every process below `pid` (its children, their children, …), read from /proc (Linux). */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether a process with this id is still running (a zombie awaiting its parent counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
