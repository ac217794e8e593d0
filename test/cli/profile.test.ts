import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { pixelEvent, scenarioEnv, sendPixel } from '../support/shop.ts';

describe('reclaim profile', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-profile-'));
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    process.env.RECLAIM_DATABASE_URL = url;
    const store = await openStore({ url });
    await migrateToLatest(store);
    const t = await buildTestApp(store, testConfig({ ...scenarioEnv, RECLAIM_DATABASE_URL: url }));
    await sendPixel(t.app, [
      pixelEvent('checkout_contact_info_submitted', '2026-11-02T10:00:00.000Z', 'cli-browser', (e) => {
        e.data.checkout.email = 'cli@shop.example';
      }),
    ]);
    await t.engine.processor.drain();
    await t.app.close();
    await store.close();
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a profile by any identifier, as typed', async () => {
    const r = await cli('profile', 'show', '--email', 'CLI@Shop.Example');
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.identifiers.map((i: any) => i.value)).toEqual(
      expect.arrayContaining(['cli@shop.example', 'cli-browser']),
    );
    expect((await cli('profile', 'show', '--client-id', 'cli-browser')).stdout).toBe(r.stdout);
  });

  it('erases a profile and prints the receipt', async () => {
    const r = await cli('profile', 'erase', '--email', 'cli@shop.example');
    expect(r.code).toBe(0);
    const receipt = JSON.parse(r.stdout);
    expect(receipt).toMatchObject({ source: 'admin', counts: { events: 1 } });
    expect(r.stdout).not.toContain('cli@shop.example');
    const after = await cli('profile', 'show', '--email', 'cli@shop.example');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no profile matches --email');
  });

  it('needs exactly one identifier', async () => {
    expect((await cli('profile', 'show')).code).toBe(2);
    expect((await cli('profile', 'show', '--email', 'a@b.co', '--phone', '1')).code).toBe(2);
  });
});
