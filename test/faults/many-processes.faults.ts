import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import { LOAD_WRITE_KEY } from '../support/mixed-load.ts';
import { startReclaimProcess, type ReclaimProcess } from '../support/process.ts';
import { figure, report } from '../support/fault-report.ts';
import { until } from '../support/wait.ts';

const SHOPPERS = 400;
const SERVERS = 2;
const WORKERS = 2;
const CLIENTS = 8;
const AUTH = `Basic ${Buffer.from(`${LOAD_WRITE_KEY}:`).toString('base64')}`;

describe('several serve and worker processes on one PostgreSQL database', () => {
  let dir: string;
  let standIn: KlaviyoStandIn;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-many-'));
    standIn = new KlaviyoStandIn({ keptRequests: 0 });
    await standIn.start();
  });
  afterEach(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(POSTGRES_URL)(
    'fire each journey exactly once, and Klaviyo gets one event per shopper',
    async () => {
      const startedAt = Date.now();
      const pg = await createPostgresSchemaUrl();
      const store = await openStore({ url: POSTGRES_URL!, schema: pg.schema });
      const processes: ReclaimProcess[] = [];
      try {
        const env = {
          RECLAIM_DATABASE_URL: pg.url,
          RECLAIM_WRITE_KEYS: LOAD_WRITE_KEY,
          RECLAIM_BROWSE_AFTER: '2s',
          RECLAIM_CART_AFTER: '2s',
          KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
          KLAVIYO_BASE_URL: standIn.url,
        };
        // The first one migrates the schema; the rest start on it together.
        processes.push(await startReclaimProcess(['serve'], env, dir));
        processes.push(
          ...(await Promise.all([
            ...Array.from({ length: SERVERS - 1 }, () => startReclaimProcess(['serve'], env, dir)),
            ...Array.from({ length: WORKERS }, () =>
              startReclaimProcess(['worker'], env, dir, /"msg":"(reclaim worker is running)"/),
            ),
          ])),
        );
        const servers = processes.filter((p) => p.url.startsWith('http'));
        expect(servers).toHaveLength(SERVERS);

        // Each shopper views a product through one server and adds it to the cart through another, then
        // leaves: the journeys come due while every process looks for due ones.
        const refused: string[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            for (let n = next++; n < SHOPPERS; n = next++) {
              const messages = [
                { event: 'Product Viewed', via: servers[n % SERVERS]! },
                { event: 'Product Added', via: servers[(n + 1) % SERVERS]! },
              ];
              for (const [i, m] of messages.entries()) {
                const res = await fetch(`${m.via.url}/v1/track`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', authorization: AUTH, 'cf-ipcountry': 'US' },
                  body: JSON.stringify({
                    messageId: `many-${n}-${i}`,
                    anonymousId: `anon-many-${n}`,
                    event: m.event,
                    context: { traits: { email: `many-${n}@shop.example` } },
                    properties: { product_id: 'p1', name: 'Tee', price: 10, quantity: 1, currency: 'USD' },
                  }),
                });
                if (res.status !== 200) refused.push(`${res.status}: ${await res.text()}`);
              }
            }
          }),
        );
        expect(refused).toEqual([]);

        const count = async (table: 'journeys' | 'triggers', column?: 'status', value?: 'open' | 'fired') => {
          let query = store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
          if (column && value) query = query.where(column, '=', value);
          return Number((await query.executeTakeFirstOrThrow()).n);
        };
        await until(
          async () =>
            (await count('journeys')) > 0 &&
            (await count('journeys', 'status', 'open')) === 0 &&
            (await store.db.selectFrom('deliveries').select('id').where('status', '=', 'pending').execute())
              .length === 0 &&
            standIn.events.length >= SHOPPERS,
          'every journey settled and delivered',
          300_000,
        );

        const journeys = await store.db
          .selectFrom('journeys')
          .select(['id', 'status', 'trigger_id'])
          .execute();
        const triggers = await store.db
          .selectFrom('triggers')
          .select(['id', 'journey_id', 'stage'])
          .execute();
        const fired = journeys.filter((j) => j.status === 'fired');
        expect(fired.map((j) => j.trigger_id).sort()).toEqual(
          triggers
            .filter((t) => fired.some((j) => j.id === t.journey_id))
            .map((t) => t.id)
            .sort(),
        );
        expect(triggers).toHaveLength(fired.length);
        const carts = triggers.filter((t) => t.stage === 'cart');
        expect(carts).toHaveLength(SHOPPERS);
        const perTrigger = triggers.map((t) => standIn.eventsFor(t.id).length);
        expect(perTrigger.filter((n) => n > 1)).toEqual([]);
        expect(carts.map((t) => standIn.eventsFor(t.id).length).filter((n) => n !== 1)).toEqual([]);
        const perShopper = new Map<unknown, number>();
        for (const e of standIn.events.filter((e) => e.metric === 'Reclaim Cart Abandonment'))
          perShopper.set(e.profile.email, (perShopper.get(e.profile.email) ?? 0) + 1);
        expect(perShopper.size).toBe(SHOPPERS);
        expect([...perShopper.values()].filter((n) => n !== 1)).toEqual([]);
        expect(standIn.duplicatesIgnored).toBe(0);

        for (const p of processes) p.child.kill('SIGTERM');
        expect(await Promise.all(processes.map((p) => p.exited))).toEqual(processes.map(() => 0));
        const errors = processes.flatMap((p) =>
          p
            .stdout()
            .split('\n')
            .filter((l) => l.includes('"level":50')),
        );
        expect(errors).toEqual([]);
        report(
          `${SERVERS} serve + ${WORKERS} worker processes on one PostgreSQL database`,
          `${figure(SHOPPERS * 2)} Segment calls from ${SHOPPERS} shoppers across the servers; ` +
            `${figure(journeys.length)} journeys, ${figure(fired.length)} fired, each exactly once ` +
            `(${carts.length} cart triggers, ${triggers.length - carts.length} others); ` +
            `${figure(standIn.events.length)} Klaviyo events, one per trigger, ${standIn.duplicatesIgnored} repeated`,
          startedAt,
        );
      } finally {
        for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
        await Promise.all(processes.map((p) => p.exited));
        await store.close();
        await pg.drop();
      }
    },
  );
});
