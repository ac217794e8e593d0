import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import {
  descendantsOf,
  isRunning,
  runReclaim,
  startReclaimProcess,
  startWithNpm,
} from '../support/process.ts';

describe('reclaim serve (a real process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-serve-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the SQLite database on first start, answers /healthz, and stops on SIGTERM', async () => {
    const server = await startReclaimProcess(['serve'], {}, dir);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(existsSync(join(dir, 'data', 'reclaim.sqlite'))).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('shut down cleanly');
  });

  it.runIf(POSTGRES_URL)('runs the same way on PostgreSQL', async () => {
    const pgSchema = await createPostgresSchemaUrl();
    try {
      const server = await startReclaimProcess(['serve'], { RECLAIM_DATABASE_URL: pgSchema.url }, dir);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'postgres' });
      expect(existsSync(join(dir, 'data'))).toBe(false);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await pgSchema.drop();
    }
  });

  it.runIf(process.platform === 'linux')(
    'stops, server and all, when `npm start` is sent SIGTERM',
    async () => {
      const server = await startWithNpm({ RECLAIM_DATABASE_URL: `sqlite:${join(dir, 'npm.sqlite')}` });
      const npmPid = server.child.pid!;
      const below = descendantsOf(npmPid);
      try {
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        expect(below.length).toBeGreaterThan(0);
        server.child.kill('SIGTERM');
        await server.exited;
        const port = Number(new URL(server.url).port);
        await vi.waitFor(
          async () => {
            expect(await connectionRefused(port)).toBe(true);
            expect(below.filter(isRunning)).toEqual([]);
          },
          { timeout: 20_000, interval: 200 },
        );
      } finally {
        for (const pid of below.filter(isRunning)) process.kill(pid, 'SIGKILL');
      }
    },
  );

  it('lets a request that is in flight at SIGTERM finish, even when signalled again, and keeps what it acknowledged', async () => {
    const server = await startReclaimProcess(['serve'], { RECLAIM_WRITE_KEYS: 'key-1' }, dir);
    const port = Number(new URL(server.url).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    const body = JSON.stringify({
      userId: 'customer-1',
      traits: { email: 'buyer@shop.example' },
      messageId: 'in-flight-1',
    });
    const auth = Buffer.from('key-1:').toString('base64');
    // Headers and half the body: the request is in flight.
    socket.write(
      `POST /v1/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic ${auth}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 5));
    await new Promise((r) => setTimeout(r, 200));
    // Twice, as when a terminal's Ctrl-C reaches both npm (which forwards it) and the server.
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(server.child.exitCode).toBeNull();
    socket.end(body.slice(5));
    const code = await server.exited;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('{"success":true}');
    expect(code).toBe(0);
    const store = await openStore({ url: `sqlite:${join(dir, 'data', 'reclaim.sqlite')}` });
    const rows = await store.db.selectFrom('events').select('idempotency_key').execute();
    await store.close();
    expect(rows).toEqual([{ idempotency_key: 'segment:in-flight-1' }]);
  });

  it('stops start-up on a bad value with one line naming the key', async () => {
    const result = await runReclaim(['serve'], { PORT: 'abc' }, dir);
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      'reclaim serve: invalid configuration: PORT (port) must be an integer from 0 to 65535; got "abc"',
    ]);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('stops start-up on an unknown key in the config file', async () => {
    const file = join(dir, 'reclaim.json');
    writeFileSync(file, JSON.stringify({ port: 8080, jorneys: {} }));
    const result = await runReclaim(['serve', '--config', file], {}, dir);
    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe(
      `reclaim serve: invalid configuration: unknown key "jorneys" in ${file}`,
    );
  });

  it('exits 69 when the port is taken, releasing its threads and database', async () => {
    const occupant = createServer();
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
    const port = (occupant.address() as AddressInfo).port;
    try {
      // Ingest threads on: they are what kept a failed start alive. Killed after a generous bound.
      const result = await runReclaim(
        ['serve'],
        { PORT: String(port), HOST: '127.0.0.1', RECLAIM_INGEST_WORKERS: '2' },
        dir,
        20_000,
      );
      expect(result.stderr).toContain('reclaim serve: port is already in use');
      expect(result.code).toBe(69);
    } finally {
      occupant.close();
    }
  });

  it('exits 69 without a stack trace when PostgreSQL is unreachable', async () => {
    const result = await runReclaim(
      ['serve'],
      { RECLAIM_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      dir,
    );
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(
      /^reclaim serve: cannot reach PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none/,
    );
    expect(result.stderr).not.toContain('    at ');
  });
});

/** Whether a TCP connection to this loopback port is refused (nothing listens there). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
