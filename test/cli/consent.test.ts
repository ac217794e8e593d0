import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { scenarioEnv, WRITE_KEY } from '../support/shop.ts';

describe('reclaim consent verify', () => {
  let dir: string;
  let url: string;
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-consent-'));
    url = `sqlite:${join(dir, 'r.sqlite')}`;
    process.env.RECLAIM_DATABASE_URL = url;
    const store = await openStore({ url });
    await migrateToLatest(store);
    const t = await buildTestApp(store, testConfig({ ...scenarioEnv, RECLAIM_DATABASE_URL: url }));
    for (const minute of [1, 2]) {
      await t.app.inject({
        method: 'POST',
        url: '/v1/consent',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
        },
        payload: JSON.stringify({
          subject: { phone: '+14155550123' },
          permission: 'sms',
          state: 'granted',
          source: 'sms_keyword',
          wording: 'Reply YES to get marketing texts. Consent is not a condition of purchase.',
          timestamp: `2026-11-20T10:0${minute}:00Z`,
        }),
      });
    }
    await t.engine.processor.drain();
    await t.app.close();
    await store.close();
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async () => {
    const { code, stdout } = await cli('consent', 'verify');
    return { code, out: stdout };
  };

  it('exits 0 for an intact ledger and 1 once a record was edited', async () => {
    const intact = await run();
    expect(intact.code).toBe(0);
    expect(intact.out).toMatch(/^consent ledger intact: 2 record\(s\), head [0-9a-f]{64}\n$/);
    const store = await openStore({ url });
    await store.db
      .updateTable('consent_ledger')
      .set({ hash: 'f'.repeat(64) })
      .where('position', '=', 1)
      .execute();
    await store.close();
    const tampered = await run();
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('TAMPERED: edited at record 1');
  });
});
