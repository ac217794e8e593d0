import { describe, expect, it } from 'vitest';
import { allowsOrigin, originCheck } from '../../../src/http/origin/origin-check.ts';
import { edgeApp } from '../../support/edge-app.ts';

const SHOP = 'https://northwind-demo.myshopify.com';

describe('allowsOrigin', () => {
  it('lets a listed origin through, whatever the case the browser wrote it in', () => {
    expect(allowsOrigin([SHOP], SHOP)).toBe(true);
    expect(allowsOrigin([SHOP], 'https://Northwind-Demo.myshopify.com')).toBe(true);
  });

  it('refuses an origin the list does not name, including a look-alike', () => {
    expect(allowsOrigin([SHOP], 'https://evil.example')).toBe(false);
    expect(allowsOrigin([SHOP], `${SHOP}.evil.example`)).toBe(false);
    expect(allowsOrigin([SHOP], 'http://northwind-demo.myshopify.com')).toBe(false);
    expect(allowsOrigin([], SHOP)).toBe(false);
  });

  it('lets a request without Origin through: it is not a browser calling across origins', () => {
    expect(allowsOrigin([SHOP], undefined)).toBe(true);
    expect(allowsOrigin([], undefined)).toBe(true);
  });

  it('lets any origin through with *, and the opaque origin of a sandboxed frame only when null is listed', () => {
    expect(allowsOrigin(['*'], 'https://evil.example')).toBe(true);
    expect(allowsOrigin([SHOP], 'null')).toBe(false);
    expect(allowsOrigin([SHOP, 'null'], 'null')).toBe(true);
  });
});

describe('originCheck', () => {
  it('answers 403 RECLAIM_ERR_ORIGIN_FORBIDDEN before the route runs, and lets a listed origin reach it', async () => {
    let reached = 0;
    const app = await edgeApp((a) => {
      a.addHook('onRequest', originCheck([SHOP]));
      a.addHook('preHandler', (_req, _reply, done) => {
        reached++;
        done();
      });
    });
    const refused = await app.inject({
      method: 'POST',
      url: '/',
      headers: { origin: 'https://evil.example' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('RECLAIM_ERR_ORIGIN_FORBIDDEN');
    expect(reached).toBe(0);

    const own = await app.inject({ method: 'POST', url: '/', headers: { origin: SHOP } });
    expect(own.statusCode).toBe(200);
    expect(reached).toBe(1);
    await app.close();
  });
});
