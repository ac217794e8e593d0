import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { apiError } from './api-error.ts';

/**
 * Answers what Node refuses before a request reaches a route — a request or its headers that took longer
 * than `requestTimeout` / `headersTimeout`, headers too large, a line that is not HTTP — in Reclaim's
 * error shape, then closes the connection (the client's bytes can no longer be trusted to line up).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  // A reset connection is already gone; there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? apiError('RECLAIM_ERR_REQUEST_TIMEOUT', 'the request took too long to arrive; send it again')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? apiError('RECLAIM_ERR_HEADERS_TOO_LARGE', 'the request headers exceed the size limit')
        : apiError('RECLAIM_ERR_BAD_REQUEST', 'the request is not valid HTTP');
  this.log.debug({ err: error, status: answer.status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(answer.toBody());
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
