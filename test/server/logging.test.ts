import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';

const EMAIL = 'jane.doe@example.com';
const PHONE = '+14155550123';
const IP = '203.0.113.77';
const TOKEN = 'c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6';

describe('logs carry no personal data', () => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await openTestSqlite();
    t = await buildTestApp(store, testConfig({ RECLAIM_LOG_LEVEL: 'debug' }), (app) =>
      app.post('/echo', (req) => {
        req.log.info(
          { email: EMAIL, profile: { phone: PHONE, ip: IP }, checkout: { token: TOKEN } },
          'handled',
        );
        throw new Error('boom');
      }),
    );
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  it('redacts email, phone, IP and tokens from requests, bodies and errors', async () => {
    await t.app.inject({
      method: 'POST',
      url: `/echo?email=${encodeURIComponent(EMAIL)}&phone=${encodeURIComponent(PHONE)}`,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
        'x-forwarded-for': IP,
      },
      payload: JSON.stringify({ email: EMAIL, phone: PHONE, token: TOKEN }),
      remoteAddress: IP,
    });
    const text = t.logs.text;
    expect(t.logs.lines.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('"msg":"handled"');
    expect(text).toContain('"msg":"request failed"');
    expect(text).toContain('"route":"/echo"');
    for (const secret of [EMAIL, PHONE, IP, TOKEN, encodeURIComponent(EMAIL)])
      expect(text).not.toContain(secret);
  });
});
