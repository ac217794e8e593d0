import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const RECLAIM = fileURLToPath(new URL('../../bin/reclaim.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start-up compiles the TypeScript sources: on a shared, busy machine that alone can take half a minute. */
async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 1_200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become healthy:\n${output()}`);
}

async function start(args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-5000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-5000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => out);
  } catch (error) {
    // A server that never became healthy must not outlive the benchmark that gave up on it.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Reclaim's own server (`reclaim serve`) as a separate process. */
export const startReclaimServer = (env: Record<string, string>) =>
  start([RECLAIM, 'serve'], { RECLAIM_LOG_LEVEL: 'warn', ...env });

/** The baseline: a bare Fastify handler that parses JSON and answers 200, as a separate process. */
export const startBareServer = () =>
  start([RUN_TS, fileURLToPath(new URL('./bare-server.ts', import.meta.url))], {});

/** A partner stand-in (`reclaim stand-in NAME`) as a separate process, so it does not share a core. */
export async function startStandIn(
  partner: 'klaviyo' | 'meta' | 'ga4' | 'shopify',
  args: string[] = [],
): Promise<ServerProcess & { stats(): Promise<Record<string, any>> }> {
  const child = spawn(process.execPath, [RECLAIM, 'stand-in', partner, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stand-in did not start:\n${out}`)), 90_000);
    child.stdout.on('data', () => {
      const match = /\{"url":"([^"]+)"\}/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url,
    child,
    async stats() {
      return (await (await fetch(`${url}/_stand-in/stats`)).json()) as Record<string, any>;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
