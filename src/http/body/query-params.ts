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

/** Whether `value` is one of `values` (a status, a kind, a stage). */
export const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

/** A query parameter's `value` when absent or one of `allowed`; anything else is refused with 400. */
export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || isOneOf(allowed, value)) return value;
  throw apiError('RECLAIM_ERR_BAD_REQUEST', `${name} must be one of ${allowed.join(', ')}`, name);
}
