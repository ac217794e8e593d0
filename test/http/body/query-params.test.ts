import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { oneOf, queryParams } from '../../../src/http/body/query-params.ts';
import { ApiError } from '../../../src/http/errors/api-error.ts';
import { refusal as refusalOf } from '../../support/refusal.ts';

const params = (query: unknown) => queryParams({ query } as FastifyRequest);

describe('queryParams', () => {
  it('reads a parameter given once, and nothing for one not given', () => {
    const param = params({ destination: 'klaviyo' });
    expect(param('destination')).toBe('klaviyo');
    expect(param('status')).toBeUndefined();
    expect(params(undefined)('destination')).toBeUndefined();
  });

  it('finds no parameter named after an Object.prototype member', () => {
    expect(params({})('constructor')).toBeUndefined();
    expect(params({})('__proto__')).toBeUndefined();
  });

  it('refuses a repeated parameter with 400 BAD_REQUEST pointing at its name', () => {
    const param = params({ destination: ['klaviyo', 'meta'] });
    const refusal = (() => {
      try {
        param('destination');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).toBody()).toEqual({
      error: {
        code: 'RECLAIM_ERR_BAD_REQUEST',
        message: 'give destination at most once',
        path: 'destination',
      },
    });
    expect((refusal as ApiError).status).toBe(400);
  });
});

describe('oneOf', () => {
  const STATUSES = ['pending', 'delivered'] as const;

  it('passes a listed value and an absent one through', () => {
    expect(oneOf('status', 'pending', STATUSES)).toBe('pending');
    expect(oneOf('status', undefined, STATUSES)).toBeUndefined();
  });

  it('refuses anything else with 400 naming the parameter and the values allowed', () => {
    for (const hostile of [
      '',
      'Pending',
      'constructor',
      '__proto__',
      'toString',
      'x'.repeat(100_000),
      'pending ',
    ]) {
      expect(refusalOf(() => oneOf('status', hostile, STATUSES))).toBe('RECLAIM_ERR_BAD_REQUEST');
    }
    try {
      oneOf('status', 'lost', STATUSES);
    } catch (error) {
      expect((error as ApiError).toBody().error).toEqual({
        code: 'RECLAIM_ERR_BAD_REQUEST',
        message: 'status must be one of pending, delivered',
        path: 'status',
      });
    }
    expect.assertions(8);
  });
});
