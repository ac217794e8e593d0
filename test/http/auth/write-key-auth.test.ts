import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { matchesKey, requireWriteKey, writeKeyFromHeader } from '../../../src/http/auth/write-key-auth.ts';
import { refusal } from '../../support/refusal.ts';

const request = (headers: Record<string, string> = {}) => ({ headers }) as unknown as FastifyRequest;
const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:`).toString('base64')}` });

describe('writeKeyFromHeader', () => {
  it('reads the Basic-auth user name, with or without the colon', () => {
    expect(writeKeyFromHeader(request(basic('wk_live')))).toBe('wk_live');
    const bare = { authorization: `Basic ${Buffer.from('wk_live').toString('base64')}` };
    expect(writeKeyFromHeader(request(bare))).toBe('wk_live');
  });

  it('finds nothing in a bearer token or without the header', () => {
    expect(writeKeyFromHeader(request({ authorization: 'Bearer wk_live' }))).toBeUndefined();
    expect(writeKeyFromHeader(request())).toBeUndefined();
  });
});

describe('matchesKey', () => {
  it('matches only a whole configured key', () => {
    expect(matchesKey('wk_live', ['wk_other', 'wk_live'])).toBe(true);
    expect(matchesKey('wk_liv', ['wk_live'])).toBe(false);
    expect(matchesKey(undefined, ['wk_live'])).toBe(false);
    expect(matchesKey('', [''])).toBe(false);
  });
});

describe('requireWriteKey', () => {
  it('accepts a configured key from the header or from writeKey in the body', () => {
    expect(refusal(() => requireWriteKey(request(basic('wk_live')), ['wk_live']))).toBeUndefined();
    expect(refusal(() => requireWriteKey(request(), ['wk_live'], 'wk_live'))).toBeUndefined();
  });

  it('refuses a missing or unknown key, and everything when no key is configured, with 401', () => {
    expect(refusal(() => requireWriteKey(request(), ['wk_live']))).toBe('RECLAIM_ERR_UNAUTHORIZED');
    expect(refusal(() => requireWriteKey(request(basic('wk_guess')), ['wk_live']))).toBe(
      'RECLAIM_ERR_UNAUTHORIZED',
    );
    expect(refusal(() => requireWriteKey(request(basic('wk_live')), []))).toBe('RECLAIM_ERR_UNAUTHORIZED');
  });

  it('refuses a publishable key with its own code, wherever it is offered', () => {
    const pk = ['pk_page'];
    expect(refusal(() => requireWriteKey(request(basic('pk_page')), ['wk_live'], undefined, pk))).toBe(
      'RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED',
    );
    expect(refusal(() => requireWriteKey(request(), ['wk_live'], 'pk_page', pk))).toBe(
      'RECLAIM_ERR_PUBLISHABLE_KEY_REFUSED',
    );
  });
});
