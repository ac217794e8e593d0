import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';

/** A client that sends `head` and then one byte of `rest` a second, and records what happens to it. */
function trickle(port: number, head: string, rest: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  const state = { answer: '', closed: false, sent: 0 };
  socket.on('data', (d: Buffer) => (state.answer += d.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    state.closed = true;
    clearInterval(timer);
  });
  socket.write(head);
  const timer = setInterval(() => {
    if (state.sent < rest.length && !socket.destroyed) socket.write(rest[state.sent++]!);
  }, 1_000);
  return { state, socket, stop: () => (clearInterval(timer), socket.destroy()) };
}

describe('slow clients (a real socket)', () => {
  let store: Store;
  let t: TestApp;
  let port: number;
  const clients: { stop: () => void }[] = [];

  beforeEach(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(
      store,
      testConfig({ RECLAIM_REQUEST_TIMEOUT: '2s', RECLAIM_HEADERS_TIMEOUT: '1s', RECLAIM_WRITE_KEYS: 'k' }),
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.stop();
    await t.app.close();
    await store.close();
  });

  it('cuts off a body trickled a byte a second, while other requests are served', async () => {
    const body = JSON.stringify({ userId: 'u-1', event: 'Product Viewed', padding: 'x'.repeat(120) });
    const auth = Buffer.from('k:').toString('base64');
    const slow = trickle(
      port,
      `POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic ${auth}\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    clients.push(slow);
    await vi.waitFor(() => expect(slow.state.sent).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(slow.state.closed).toBe(true), { timeout: 20_000, interval: 100 });
    expect(slow.state.sent).toBeLessThan(body.length);
    expect(slow.state.answer).not.toMatch(/^HTTP\/1\.1 2/);
    expect(slow.state.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.state.answer).toContain('"code":"RECLAIM_ERR_REQUEST_TIMEOUT"');
  });

  it('cuts off headers trickled a byte a second', async () => {
    const slow = trickle(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', `X-Slow: ${'y'.repeat(200)}`);
    clients.push(slow);
    await vi.waitFor(() => expect(slow.state.closed).toBe(true), { timeout: 20_000, interval: 100 });
    expect(slow.state.answer).not.toMatch(/^HTTP\/1\.1 2/);
    expect(slow.state.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.state.answer).toContain('"code":"RECLAIM_ERR_REQUEST_TIMEOUT"');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
