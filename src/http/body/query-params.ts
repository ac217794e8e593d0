import type { FastifyRequest } from 'fastify';
import { apiError } from '../errors/api-error.ts';

/**
 * Reads an admin route's query parameters, each one given at most once. The query parser turns a
 * repeated name (`?destination=a&destination=b`) into an array, which is refused with 400 before it
 * reaches a database query; a name only `Object.prototype` holds (`constructor`) is simply absent.
 */
export function queryParams(req: FastifyRequest): (name: string) => string | undefined {
  const query = (req.query ?? {}) as Record<string, unknown>;
  return (name) => {
    const value = Object.hasOwn(query, name) ? query[name] : undefined;
    if (value === undefined || typeof value === 'string') return value;
    throw apiError('RECLAIM_ERR_BAD_REQUEST', `give ${name} at most once`, name);
  };
}
