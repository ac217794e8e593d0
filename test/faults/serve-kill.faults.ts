import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import { killServeUnderLoad } from '../support/kill-serve.ts';
import { figure, report } from '../support/fault-report.ts';

const KILLS = 3;

describe('serve killed with SIGKILL under mixed load', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-serve-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function check(dialect: string, url: string, open: () => Promise<Store>) {
    const startedAt = Date.now();
    const run = await killServeUnderLoad({
      tag: `kill-${dialect}`,
      url,
      open,
      dir,
      kills: KILLS,
      acknowledgedPerLife: 1_500,
      clients: 8,
    });
    const { load, missing, stored } = run;
    expect(run.early).toBe(0);
    expect(load.refused).toEqual([]);
    expect(run.healthz).toBe(200);
    expect(run.exit).toBe(0);
    expect(missing).toEqual([]);
    expect(stored).toBeGreaterThanOrEqual(load.eventsAcknowledged);
    const a = load.acknowledged;
    report(
      `serve kill -9 under mixed load [${dialect}]`,
      `${KILLS} kills; ${figure(load.requestsAcknowledged)} requests acknowledged (Segment batches ` +
        `${figure(a.segment)}, pixel ${figure(a.pixel)}, webhooks ${figure(a.webhook)}, consent ` +
        `${figure(a.consent)}) carrying ${figure(load.eventsAcknowledged)} events; ` +
        `${figure(load.eventsAcknowledged - missing.length)} of them stored after restart, ${missing.length} ` +
        `missing; ${figure(stored)} events in the log in all (with what reached it from the ` +
        `${load.unanswered} requests in flight at the kills, never acknowledged)`,
      startedAt,
    );
  }

  it('SQLite: every acknowledged event is stored after restart', async () => {
    const file = join(dir, 'reclaim.sqlite');
    await check('sqlite', `sqlite:${file}`, () => openStore({ url: `sqlite:${file}` }));
  });

  it.runIf(POSTGRES_URL)('PostgreSQL: every acknowledged event is stored after restart', async () => {
    const pg = await createPostgresSchemaUrl();
    try {
      await check('postgres', pg.url, () => openStore({ url: POSTGRES_URL!, schema: pg.schema }));
    } finally {
      await pg.drop();
    }
  });
});
