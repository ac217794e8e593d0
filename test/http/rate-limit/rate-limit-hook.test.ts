import { describe, expect, it } from 'vitest';
import { rateLimitHook } from '../../../src/http/rate-limit/rate-limit-hook.ts';
import { RateLimiter } from '../../../src/http/rate-limit/rate-limiter.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { edgeApp } from '../../support/edge-app.ts';

async function limitedApp(limit: number) {
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 20));
  const app = await edgeApp((a) =>
    a.addHook(
      'onRequest',
      rateLimitHook(new RateLimiter(clock, limit), 'too many requests from this address'),
    ),
  );
  return { app, clock };
}

describe('rateLimitHook', () => {
  it('answers 429 RECLAIM_ERR_RATE_LIMITED with Retry-After once an address is over its limit', async () => {
    const { app } = await limitedApp(2);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'POST', url: '/' })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await app.inject({ method: 'POST', url: '/' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('40');
    expect(limited.json().error).toEqual({
      code: 'RECLAIM_ERR_RATE_LIMITED',
      message: 'too many requests from this address',
    });
    await app.close();
  });

  it('counts each address on its own, and lets it in again when the window turns', async () => {
    const { app, clock } = await limitedApp(1);
    const from = (remoteAddress: string) => app.inject({ method: 'POST', url: '/', remoteAddress });
    expect((await from('192.0.2.1')).statusCode).toBe(200);
    expect((await from('192.0.2.1')).statusCode).toBe(429);
    expect((await from('192.0.2.2')).statusCode).toBe(200);
    clock.advanceBy(40_000);
    expect((await from('192.0.2.1')).statusCode).toBe(200);
    await app.close();
  });

  it('does not count CORS preflights', async () => {
    const { app } = await limitedApp(1);
    for (let i = 0; i < 3; i++)
      expect((await app.inject({ method: 'OPTIONS', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).toBe(429);
    await app.close();
  });
});
