import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { browserKey, requirePublishableKey } from '../../../src/http/auth/browser-key-auth.ts';
import { refusal } from '../../support/refusal.ts';

const request = (query: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  ({ query, headers }) as unknown as FastifyRequest;

describe('browserKey', () => {
  it('prefers the key query parameter, then X-Reclaim-Key, then key in the body', () => {
    expect(browserKey(request({ key: 'pk_q' }, { 'x-reclaim-key': 'pk_h' }), 'pk_b')).toBe('pk_q');
    expect(browserKey(request({}, { 'x-reclaim-key': 'pk_h' }), 'pk_b')).toBe('pk_h');
    expect(browserKey(request(), 'pk_b')).toBe('pk_b');
  });

  it('finds no key in empty values, a repeated parameter or a non-string body key', () => {
    expect(browserKey(request({ key: '' }, { 'x-reclaim-key': '' }), '')).toBeUndefined();
    expect(browserKey(request({ key: ['pk_a', 'pk_b'] }))).toBeUndefined();
    expect(browserKey(request(), 42)).toBeUndefined();
  });
});

describe('requirePublishableKey', () => {
  it('accepts a configured publishable key', () => {
    expect(refusal(() => requirePublishableKey(request(), ['pk_page'], 'pk_page'))).toBeUndefined();
  });

  it('answers a missing key with 401 UNAUTHORIZED and any other key, a write key above all, as not publishable', () => {
    expect(refusal(() => requirePublishableKey(request(), ['pk_page']))).toBe('RECLAIM_ERR_UNAUTHORIZED');
    expect(refusal(() => requirePublishableKey(request(), ['pk_page'], 'wk_live'))).toBe(
      'RECLAIM_ERR_KEY_NOT_PUBLISHABLE',
    );
    expect(refusal(() => requirePublishableKey(request(), [], 'pk_page'))).toBe(
      'RECLAIM_ERR_KEY_NOT_PUBLISHABLE',
    );
  });
});
