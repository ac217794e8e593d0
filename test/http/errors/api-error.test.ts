import { describe, expect, it } from 'vitest';
import { ApiError, apiError, formatPath } from '../../../src/http/errors/api-error.ts';
import { ERROR_CODES } from '../../../src/http/errors/error-codes.ts';

describe('apiError', () => {
  it('takes its status from its code', () => {
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[])
      expect(apiError(code, 'x').status).toBe(ERROR_CODES[code].status);
  });

  it('answers { error: { code, message, path } }, without path when there is none', () => {
    expect(apiError('RECLAIM_ERR_INVALID_SHAPE', 'price must be a number', 'batch.3.price').toBody()).toEqual(
      {
        error: {
          code: 'RECLAIM_ERR_INVALID_SHAPE',
          message: 'price must be a number',
          path: 'batch.3.price',
        },
      },
    );
    expect(apiError('RECLAIM_ERR_NOT_FOUND', 'no such trigger').toBody()).toEqual({
      error: { code: 'RECLAIM_ERR_NOT_FOUND', message: 'no such trigger' },
    });
  });

  it('carries extra headers only when made with them', () => {
    expect(apiError('RECLAIM_ERR_RATE_LIMITED', 'slow down').headers).toEqual({});
    const limited = new ApiError('RECLAIM_ERR_RATE_LIMITED', 'slow down', undefined, { 'retry-after': '7' });
    expect(limited.headers).toEqual({ 'retry-after': '7' });
  });
});

describe('formatPath', () => {
  it('joins keys and indexes with dots', () => {
    expect(formatPath(['batch', 3, 'properties', 'price'])).toBe('batch.3.properties.price');
    expect(formatPath([])).toBe('');
  });
});
