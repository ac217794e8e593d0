import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import { MixedLoad, mixedLoadEnv } from '../support/mixed-load.ts';
import { startReclaimProcess } from '../support/process.ts';
import { figure, report, until } from '../support/wait.ts';

/** Times `serve` is killed in one run. */
const KILLS = 3;
/** Requests acknowledged between one start and its kill. */
const ACKNOWLEDGED_PER_LIFE = 1_500;
/** Clients sending at once. */
const CLIENTS = 8;

interface Database {
  url: string;
  open(): Promise<Store>;
}

describe('serve killed with SIGKILL under mixed load', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-serve-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function killUnderLoad(dialect: string, database: Database) {
    const startedAt = Date.now();
    const load = new MixedLoad(`kill-${dialect}`);
    const env = { ...mixedLoadEnv, RECLAIM_DATABASE_URL: database.url };
    for (let kill = 0; kill < KILLS; kill++) {
      const server = await startReclaimProcess(['serve'], env, dir);
      const target = load.requestsAcknowledged + ACKNOWLEDGED_PER_LIFE;
      let stopped = false;
      const sending = load.run(server.url, CLIENTS).finally(() => (stopped = true));
      await until(() => load.requestsAcknowledged >= target || stopped, 'requests acknowledged');
      expect(stopped, `the load stopped before the kill\n${server.stderr()}`).toBe(false);
      server.child.kill('SIGKILL');
      await server.exited;
      await sending;
    }
    expect(load.refused).toEqual([]);

    // Start once more on what the kills left, then stop gracefully and read the database.
    const server = await startReclaimProcess(['serve'], env, dir);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const store = await database.open();
    try {
      const missing = await load.missingFrom(store);
      const stored = Number(
        (
          await store.db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      expect(missing).toEqual([]);
      expect(stored).toBeGreaterThanOrEqual(load.eventsAcknowledged);
      const a = load.acknowledged;
      report(
        `serve kill -9 under mixed load [${dialect}]`,
        `${KILLS} kills; ${figure(load.requestsAcknowledged)} requests acknowledged (Segment batches ${figure(a.segment)}, ` +
          `pixel ${figure(a.pixel)}, webhooks ${figure(a.webhook)}, consent ${figure(a.consent)}) carrying ` +
          `${figure(load.eventsAcknowledged)} events; ${figure(load.eventsAcknowledged - missing.length)} of them stored ` +
          `after restart, ${missing.length} missing; ${figure(stored)} events in the log in all (with what ` +
          `reached it from the ${load.unanswered} requests in flight at the kills, never acknowledged)`,
        startedAt,
      );
    } finally {
      await store.close();
    }
  }

  it('SQLite: every acknowledged event is stored after restart', async () => {
    const file = join(dir, 'reclaim.sqlite');
    await killUnderLoad('sqlite', {
      url: `sqlite:${file}`,
      open: () => openStore({ url: `sqlite:${file}` }),
    });
  });

  it.runIf(POSTGRES_URL)('PostgreSQL: every acknowledged event is stored after restart', async () => {
    const pg = await createPostgresSchemaUrl();
    try {
      await killUnderLoad('postgres', {
        url: pg.url,
        open: () => openStore({ url: POSTGRES_URL!, schema: pg.schema }),
      });
    } finally {
      await pg.drop();
    }
  });
});
