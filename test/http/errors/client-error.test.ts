import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientErrorHandler } from '../../../src/http/errors/client-error.ts';

/** Runs the handler on a socket that records what was written to it and whether it was closed. */
function answer(code: string | undefined, socketState: { destroyed?: boolean; writable?: boolean } = {}) {
  const seen = { written: '', destroyed: false };
  const socket = {
    destroyed: socketState.destroyed ?? false,
    writable: socketState.writable ?? true,
    write: (text: string) => (seen.written += text),
    destroy: () => (seen.destroyed = true),
  } as unknown as Socket;
  const app = { log: { debug: () => undefined } } as unknown as FastifyInstance;
  clientErrorHandler.call(app, Object.assign(new Error('refused'), code ? { code } : {}), socket);
  const [head = '', body = ''] = seen.written.split('\r\n\r\n');
  return { ...seen, head, body: body ? (JSON.parse(body) as { error: { code: string } }) : undefined };
}

describe('clientErrorHandler', () => {
  it('answers a request that arrived too slowly with 408 REQUEST_TIMEOUT and closes the connection', () => {
    const res = answer('ERR_HTTP_REQUEST_TIMEOUT');
    expect(res.head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(res.head).toContain('Connection: close');
    expect(res.body?.error.code).toBe('RECLAIM_ERR_REQUEST_TIMEOUT');
    expect(res.destroyed).toBe(true);
  });

  it('answers oversized headers with 431 and anything else with 400, each with its Content-Length', () => {
    const large = answer('HPE_HEADER_OVERFLOW');
    expect(large.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(large.body?.error.code).toBe('RECLAIM_ERR_HEADERS_TOO_LARGE');
    const garbled = answer('HPE_INVALID_METHOD');
    expect(garbled.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbled.body?.error.code).toBe('RECLAIM_ERR_BAD_REQUEST');
    const length = Number(/Content-Length: (\d+)/.exec(garbled.head)?.[1]);
    expect(length).toBe(Buffer.byteLength(JSON.stringify(garbled.body)));
  });

  it('writes nothing to a reset or already closed connection', () => {
    expect(answer('ECONNRESET').written).toBe('');
    expect(answer('ERR_HTTP_REQUEST_TIMEOUT', { destroyed: true }).written).toBe('');
    const unwritable = answer('ERR_HTTP_REQUEST_TIMEOUT', { writable: false });
    expect(unwritable.written).toBe('');
    expect(unwritable.destroyed).toBe(true);
  });
});
