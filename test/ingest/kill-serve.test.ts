import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import { killServeUnderLoad } from '../support/kill-serve.ts';

// The quick form of the fault suite's check (test/faults/serve-kill.faults.ts): one kill, SQLite.
describe('serve killed with SIGKILL while requests of every kind arrive', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-kill-serve-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has stored every event it acknowledged when it starts again', async () => {
    const file = join(dir, 'reclaim.sqlite');
    const run = await killServeUnderLoad({
      tag: 'quick-kill',
      url: `sqlite:${file}`,
      open: () => openStore({ url: `sqlite:${file}` }),
      dir,
      kills: 1,
      acknowledgedPerLife: 300,
      clients: 4,
    });
    expect(run.early).toBe(0);
    expect(run.load.refused).toEqual([]);
    expect(run.load.requestsAcknowledged).toBeGreaterThanOrEqual(300);
    expect(Object.values(run.load.acknowledged).every((n) => n > 0)).toBe(true);
    expect(run.missing).toEqual([]);
    expect(run.exit).toBe(0);
  }, 120_000);
});
