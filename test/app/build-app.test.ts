import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { openStore } from '../../src/store/store.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';

describe('the HTTP app', () => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(store);
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  it('answers /healthz while alive', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once the database is reachable and migrated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', database: 'sqlite' });
  });

  it('is not ready while migrations are pending', async () => {
    const bare = await openStore({ url: 'sqlite::memory:' });
    const other = await buildTestApp(bare);
    const res = await other.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('RECLAIM_ERR_UNAVAILABLE');
    await other.app.close();
    await bare.close();
  });

  it('is not ready when the database is gone', async () => {
    const gone = await openTestSqlite();
    const other = await buildTestApp(gone);
    await gone.close();
    const res = await other.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    await other.app.close();
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope?email=a@b.c' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'RECLAIM_ERR_NOT_FOUND', message: 'no route for GET /nope' },
    });
  });

  describe("Fastify's own errors in Reclaim's shape", () => {
    // An echo route exercises the app's own body parsing and error handling.
    beforeEach(async () => {
      await t.app.close();
      t = await buildTestApp(store, undefined, (app) => app.post('/echo', (req) => req.body));
    });

    const post = (payload: string | Buffer, contentType = 'application/json') =>
      t.app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': contentType } });

    it('bad JSON → 400 RECLAIM_ERR_MALFORMED_JSON', async () => {
      const res = await post('{"a":');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('RECLAIM_ERR_MALFORMED_JSON');
    });

    it('invalid UTF-8 → 400 RECLAIM_ERR_MALFORMED_JSON', async () => {
      const res = await post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'RECLAIM_ERR_MALFORMED_JSON',
        message: 'body is not valid UTF-8',
      });
    });

    it('empty body → 400 RECLAIM_ERR_MALFORMED_JSON', async () => {
      const res = await post('');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('RECLAIM_ERR_MALFORMED_JSON');
    });

    it('unsupported media type → 415 RECLAIM_ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await post('<xml/>', 'application/xml');
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe('RECLAIM_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('JSON → parsed exactly', async () => {
      const res = await post('{"id":820982911946154508}');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: '820982911946154508' });
    });

    it('body too large → 413 RECLAIM_ERR_BODY_TOO_LARGE', async () => {
      const res = await post(JSON.stringify({ big: 'x'.repeat(1_100_000) }));
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe('RECLAIM_ERR_BODY_TOO_LARGE');
    });
  });
});
