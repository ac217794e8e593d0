import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import { countRows, killWorkersMidDelivery } from '../support/kill-delivery.ts';
import { figure, report } from '../support/fault-report.ts';

const SHOPPERS = 1_000;
const KILLS = 3;

describe('workers killed with SIGKILL while Klaviyo sends are in flight', () => {
  let dir: string;
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-kill-delivery-'));
    standIn = new KlaviyoStandIn({ keptRequests: 0 });
    await standIn.start();
  });
  afterEach(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function killMidDelivery(dialect: string, url: string, store: Store) {
    const startedAt = Date.now();
    const run = await killWorkersMidDelivery({
      url,
      store,
      dir,
      standIn,
      shoppers: SHOPPERS,
      kills: KILLS,
      answeredPerLife: 150,
      lostAnswersPerLife: 10,
    });
    for (const claimed of run.claimedAtKill) expect(claimed).toBeGreaterThan(0);
    expect(run.lastExit).toBe(0);

    const triggers = await store.db.selectFrom('triggers').select('id').execute();
    expect(triggers).toHaveLength(SHOPPERS);
    expect(await countRows(store, 'deliveries', { status: 'delivered' })).toBe(SHOPPERS);
    const perTrigger = triggers.map(({ id }) => standIn.eventsFor(id).length);
    expect(perTrigger.filter((n) => n !== 1)).toEqual([]);
    expect(standIn.events).toHaveLength(SHOPPERS);
    expect(standIn.duplicatesIgnored).toBeGreaterThanOrEqual(KILLS * 10);
    report(
      `kill -9 during delivery [${dialect}]`,
      `${KILLS} workers killed with ${run.claimedAtKill.join(', ')} deliveries claimed and ` +
        `${run.lostAnswers} sends in flight whose answers never arrived; ${figure(triggers.length)} triggers, ` +
        `${figure(standIn.events.length)} Klaviyo events (one per unique_id, none missing); ` +
        `${standIn.duplicatesIgnored} resends Klaviyo recognised by unique_id and kept once`,
      startedAt,
    );
  }

  it('SQLite: one Klaviyo event per trigger, none lost', async () => {
    const url = `sqlite:${join(dir, 'r.sqlite')}`;
    const store = await openStore({ url });
    try {
      await migrateToLatest(store);
      await killMidDelivery('sqlite', url, store);
    } finally {
      await store.close();
    }
  });

  it.runIf(POSTGRES_URL)('PostgreSQL: one Klaviyo event per trigger, none lost', async () => {
    const pg = await createPostgresSchemaUrl();
    const store = await openStore({ url: POSTGRES_URL!, schema: pg.schema });
    try {
      await migrateToLatest(store);
      await killMidDelivery('postgres', pg.url, store);
    } finally {
      await store.close();
      await pg.drop();
    }
  });
});
