import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyLedger } from '../../src/consent/consent-ledger.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig, type TestApp } from '../support/app.ts';
import { describeEachDialect } from '../support/dialects.ts';
import { scenarioEnv, WRITE_KEY } from '../support/shop.ts';

const decision = (email: string, state: string, minute: number) => ({
  subject: { email },
  permission: 'email',
  state,
  source: 'popup',
  wording: 'Email me news and offers. Unsubscribe any time.',
  initialState: 'unchecked',
  timestamp: `2026-11-20T10:${String(minute).padStart(2, '0')}:00Z`,
});

describeEachDialect('consent ledger tamper evidence', (dialect) => {
  let store: Store;
  let t: TestApp;
  beforeEach(async () => {
    store = await dialect.open();
    t = await buildTestApp(store, testConfig(scenarioEnv));
    const bodies = [
      decision('a@shop.example', 'granted', 1),
      decision('b@shop.example', 'granted', 2),
      decision('a@shop.example', 'withdrawn', 3),
      decision('c@shop.example', 'granted', 4),
    ];
    for (const body of bodies) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/consent',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
        },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode).toBe(200);
    }
    await t.engine.processor.drain();
  });
  afterEach(async () => {
    await t.app.close();
    await store.close();
  });

  it('verifies an untouched ledger and reports its head', async () => {
    const result = await verifyLedger(store.db);
    expect(result).toMatchObject({ ok: true, records: 4, head: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('records every field RULES.md §2 asks for', async () => {
    const row = await store.db
      .selectFrom('consent_ledger')
      .selectAll()
      .where('position', '=', 1)
      .executeTakeFirstOrThrow();
    const record = JSON.parse(row.record_json);
    expect(record).toMatchObject({
      position: 1,
      recordId: expect.stringMatching(/^cr_/),
      permission: 'email_marketing',
      action: 'grant',
      basis: 'consent',
      occurredAt: Date.parse('2026-11-20T10:01:00Z'),
      receivedAt: expect.any(Number),
      jurisdiction: { regime: 'EU', signals: [], ruleVersion: expect.any(String) },
      capture: { source: 'popup' },
      wording: { text: 'Email me news and offers. Unsubscribe any time.' },
      policyRevision: '1',
      subjectDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(row.record_json).not.toContain('a@shop.example');
    const subject = await store.db
      .selectFrom('consent_subjects')
      .select('subject_json')
      .where('record_id', '=', row.record_id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(subject.subject_json)).toMatchObject({ email: 'a@shop.example', network: {} });
  });

  it('detects an edited record', async () => {
    const row = await store.db
      .selectFrom('consent_ledger')
      .select('record_json')
      .where('position', '=', 2)
      .executeTakeFirstOrThrow();
    const edited = row.record_json.replace('"action":"grant"', '"action":"deny"');
    await store.db
      .updateTable('consent_ledger')
      .set({ record_json: edited })
      .where('position', '=', 2)
      .execute();
    expect(await verifyLedger(store.db)).toMatchObject({ ok: false, position: 2, problem: 'edited' });
  });

  it('detects a deleted record', async () => {
    await store.db.deleteFrom('consent_ledger').where('position', '=', 3).execute();
    expect(await verifyLedger(store.db)).toMatchObject({ ok: false, position: 4, problem: 'deleted' });
  });

  it('detects a deleted newest record through the chain head', async () => {
    await store.db.deleteFrom('consent_ledger').where('position', '=', 4).execute();
    expect(await verifyLedger(store.db)).toMatchObject({ ok: false, problem: 'head_mismatch' });
  });

  it('detects reordered records', async () => {
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('consent_ledger').set({ position: 100 }).where('position', '=', 2).execute();
      await trx.updateTable('consent_ledger').set({ position: 2 }).where('position', '=', 3).execute();
      await trx.updateTable('consent_ledger').set({ position: 3 }).where('position', '=', 100).execute();
    });
    expect(await verifyLedger(store.db)).toMatchObject({ ok: false, position: 2, problem: 'reordered' });
  });

  it('detects a rewritten subject', async () => {
    const row = await store.db
      .selectFrom('consent_ledger')
      .select('record_id')
      .where('position', '=', 1)
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable('consent_subjects')
      .set({ subject_json: sql<string>`replace(subject_json, 'a@shop.example', 'z@shop.example')` })
      .where('record_id', '=', row.record_id)
      .execute();
    expect(await verifyLedger(store.db)).toMatchObject({
      ok: false,
      position: 1,
      problem: 'subject_altered',
    });
  });

  it('derives the current state, the withdrawal winning', async () => {
    const states = await store.db.selectFrom('consent_states').selectAll().orderBy('subject_key').execute();
    const a = JSON.parse(states.find((s) => s.subject_key === 'email:a@shop.example')!.state_json);
    expect(a.explicit.at).toBe(Date.parse('2026-11-20T10:01:00Z'));
    expect(a.withdrawn.at).toBe(Date.parse('2026-11-20T10:03:00Z'));
  });
});
