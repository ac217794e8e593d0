import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { standing, type EmailState } from '../../src/consent/consent-state.ts';
import { createEngine } from '../../src/app/engine.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { EventLog, eventIdFor } from '../../src/event-log/event-log.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import {
  customerAt,
  customerEmail,
  orderAt,
  orderTime,
  type ShopDataSpec,
} from '../../src/stand-ins/shopify-shop-data.ts';
import { ShopifyStandIn, type ShopifyStandInOptions } from '../../src/stand-ins/shopify-stand-in.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { cli } from '../support/cli.ts';
import { createPostgresSchemaUrl, POSTGRES_URL } from '../support/dialects.ts';
import { RECLAIM_BIN } from '../support/process.ts';
import { until } from '../support/wait.ts';

const SHOP = { customers: 300, orders: 400, checkouts: 40, seed: 7 };

/** Consent events a customer line yields, as the mapper's rules state them (for exact counts). */
function consentRecordsOf(spec: ShopDataSpec, i: number): number {
  const c = customerAt(spec, i) as {
    phone: string | null;
    emailMarketingConsent: { marketingState: string; consentUpdatedAt: string | null };
    smsMarketingConsent: { marketingState: string } | null;
  };
  const email = c.emailMarketingConsent.consentUpdatedAt ? 1 : 0;
  const sms = c.phone && c.smsMarketingConsent ? 1 : 0;
  return email + sms;
}

interface Db {
  url: string;
  drop: () => Promise<void>;
}

const dialects: [string, () => Promise<Db>][] = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'reclaim-import-'));
      return Promise.resolve({
        url: `sqlite:${join(dir, 'r.sqlite')}`,
        drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      });
    },
  ],
];
if (POSTGRES_URL)
  dialects.push([
    'postgres',
    async () => {
      const pg = await createPostgresSchemaUrl();
      return { url: pg.url, drop: pg.drop };
    },
  ]);

describe.each(dialects)('reclaim shopify import [%s]', (_name, createDb) => {
  let standIn: ShopifyStandIn;
  let db: Db;
  let store: Store | undefined;
  const saved = { ...process.env };

  const start = async (options: ShopifyStandInOptions = {}, env: Record<string, string> = {}) => {
    db = await createDb();
    standIn = new ShopifyStandIn({ shopData: SHOP, ...options });
    const url = await standIn.start();
    Object.assign(process.env, {
      RECLAIM_DATABASE_URL: db.url,
      SHOPIFY_SHOP: ShopifyStandIn.SHOP,
      SHOPIFY_ADMIN_TOKEN: ShopifyStandIn.DEFAULT_TOKEN,
      SHOPIFY_ADMIN_BASE_URL: url,
      ...env,
    });
    return url;
  };
  const open = async () => {
    store ??= await openStore({ url: db.url });
    await migrateToLatest(store);
    return store;
  };
  const count = async (source: string, kind?: string) => {
    const s = await open();
    let q = s.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('source', '=', source);
    if (kind) q = q.where('kind', '=', kind);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const ledgerRecords = async () => {
    const s = await open();
    const rows = await s.db.selectFrom('consent_ledger').select('record_json').execute();
    return rows.map((r) => JSON.parse(r.record_json) as Record<string, unknown>);
  };

  afterEach(async () => {
    process.env = { ...saved };
    await store?.close();
    store = undefined;
    await standIn.close();
    await db.drop();
  });

  it('imports customers into the identity graph, their consent into the ledger at its original time, orders as purchases, and opens no journey; a rerun adds nothing', async () => {
    await start();
    const first = await cli('shopify', 'import', '--days', '30', '--json');
    expect(first.stderr).toMatch(/importing customers: 100%/);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.counts.customers.lines).toBe(SHOP.customers);
    const spec = standIn.shopData;
    const since = Date.parse(report.ordersSinceAt);
    let recentOrders = 0;
    let purchases = 0;
    for (let i = 0; i < SHOP.orders; i++) {
      if (orderTime(spec, i) < since) continue;
      recentOrders++;
      if (!(orderAt(spec, i) as { cancelledAt: string | null }).cancelledAt) purchases++;
    }
    expect(report.counts.orders.lines).toBe(recentOrders);
    expect(recentOrders).toBeLessThan(SHOP.orders);
    expect(report.counts.checkouts.lines).toBeGreaterThan(0);
    expect(report.processed).toBeGreaterThan(0);

    const s = await open();
    // Customer 5: one profile holding the Shopify customer id and the email.
    const email = customerEmail(spec, 5);
    const ids = await s.db
      .selectFrom('identifiers')
      .select(['key', 'profile_id'])
      .where('key', 'in', [`email:${email}`, `customerId:${8_100_000_000_005}`])
      .execute();
    expect(ids).toHaveLength(2);
    expect(new Set(ids.map((r) => r.profile_id)).size).toBe(1);

    let expectedConsent = 0;
    for (let i = 0; i < SHOP.customers; i++) expectedConsent += consentRecordsOf(spec, i);
    const records = await ledgerRecords();
    const imported = records.filter(
      (r) => (r.capture as { source?: string } | undefined)?.source === 'shopify_import',
    );
    expect(imported).toHaveLength(expectedConsent);
    const c5 = customerAt(spec, 5) as {
      emailMarketingConsent: { marketingState: string; consentUpdatedAt: string | null };
    };
    if (c5.emailMarketingConsent.consentUpdatedAt) {
      const at = Date.parse(c5.emailMarketingConsent.consentUpdatedAt);
      expect(imported.some((r) => r.occurredAt === at && r.permission === 'email_marketing')).toBe(true);
    }
    expect(
      Number(
        (
          await s.db
            .selectFrom('purchases')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(purchases);
    expect(await s.db.selectFrom('journeys').selectAll().execute()).toEqual([]);

    const events = await count('shopify_import');
    const second = await cli('shopify', 'import', '--days', '30', '--json');
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.counts.customers.stored).toBe(0);
    expect(again.counts.orders.stored).toBe(0);
    expect(again.counts.checkouts.stored).toBe(0);
    expect(await count('shopify_import')).toBe(events);
    expect(await ledgerRecords()).toHaveLength(records.length);
  });

  it('connect offers the import, and connect --import runs it after connecting', async () => {
    await start({}, { RECLAIM_PUBLIC_URL: 'https://reclaim.northwind.example' });
    const offered = await cli('shopify', 'connect');
    expect(offered.code).toBe(0);
    expect(offered.stdout).toMatch(/next: reclaim shopify import/);
    expect(await count('shopify_import')).toBe(0);
    const both = await cli('shopify', 'connect', '--import');
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/nothing to change/);
    expect(both.stdout).toMatch(new RegExp(`customers\\s+${SHOP.customers} lines`));
    expect(await count('shopify_import', 'customer_update')).toBe(SHOP.customers);
  });

  it('never overrides a decision newer than the one Shopify holds', async () => {
    await start();
    const spec = standIn.shopData;
    let i = 0;
    while (
      (customerAt(spec, i) as { emailMarketingConsent: { marketingState: string } }).emailMarketingConsent
        .marketingState !== 'SUBSCRIBED'
    )
      i++;
    const email = customerEmail(spec, i);
    const grantedAt = Date.parse(
      (customerAt(spec, i) as { emailMarketingConsent: { consentUpdatedAt: string } }).emailMarketingConsent
        .consentUpdatedAt,
    );
    const withdrawnAt = grantedAt + 60_000;
    const s = await open();
    const key = `consent:test:${email}`;
    await new EventLog(s).append([
      {
        id: eventIdFor(key, withdrawnAt),
        kind: 'consent',
        source: 'consent',
        name: 'consent',
        idempotencyKey: key,
        eventTime: withdrawnAt,
        receivedAt: withdrawnAt,
        ids: { email },
        context: {},
        consent: { permission: 'email', state: 'withdrawn', source: 'account' },
      },
    ]);
    const config = loadConfig({});
    await createEngine({
      config,
      store: s,
      log: createLogger({ level: 'silent' }),
      clock: systemClock,
    }).processor.drain();

    const { code } = await cli('shopify', 'import');
    expect(code).toBe(0);
    const row = await s.db
      .selectFrom('consent_states')
      .select('state_json')
      .where('subject_key', '=', `email:${email}`)
      .where('permission', '=', 'email')
      .executeTakeFirstOrThrow();
    const state = JSON.parse(row.state_json) as EmailState;
    expect(state.explicit?.at).toBe(grantedAt);
    expect(state.withdrawn?.at).toBe(withdrawnAt);
    expect(standing(state.explicit, state.withdrawn, state.denied)).toBeUndefined();
  });

  it('a wrong token, an unknown shop, a missing scope and a throttled query each stop with one line and their exit code', async () => {
    const url = await start({
      tokens: {
        [ShopifyStandIn.DEFAULT_TOKEN]: ['read_orders', 'read_customers'],
        shpat_orders_only: ['read_orders'],
      },
    });
    process.env.SHOPIFY_ADMIN_TOKEN = 'shpat_wrong';
    const unauthorized = await cli('shopify', 'import');
    expect(unauthorized.code).toBe(78);
    expect(unauthorized.stderr.trim().split('\n')).toHaveLength(1);
    expect(unauthorized.stderr).toMatch(/SHOPIFY_ADMIN_TOKEN/);

    process.env.SHOPIFY_ADMIN_TOKEN = ShopifyStandIn.DEFAULT_TOKEN;
    process.env.SHOPIFY_ADMIN_BASE_URL = `${url}/no-such-shop`;
    const unknown = await cli('shopify', 'import');
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toMatch(/SHOPIFY_SHOP/);

    process.env.SHOPIFY_ADMIN_BASE_URL = url;
    process.env.SHOPIFY_ADMIN_TOKEN = 'shpat_orders_only';
    const denied = await cli('shopify', 'import');
    expect(denied.code).toBe(78);
    expect(denied.stderr).toMatch(/ACCESS_DENIED.*read_customers/);
    expect(
      denied.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('reclaim shopify:')),
    ).toHaveLength(1);
    const s = await open();
    const failed = await s.db.selectFrom('shopify_imports').selectAll().execute();
    expect(failed.map((r) => r.status)).toEqual(['failed']);
  });

  it('throttling: a query the cost bucket cannot hold is refused as THROTTLED and the import stops with exit 69', async () => {
    await start({ bucket: { maximumAvailable: 5, restoreRate: 1 } });
    const throttled = await cli('shopify', 'import');
    expect(throttled.code).toBe(69);
    expect(throttled.stderr).toMatch(/throttling.*run reclaim shopify import again/);
    expect(standIn.throttled).toBeGreaterThan(0);
  });

  it('a failed bulk operation and a malformed line stop the import with a line naming what to do; the rerun completes it exactly once', async () => {
    await start();
    standIn.bulkFailure = 'INTERNAL_SERVER_ERROR';
    const failed = await cli('shopify', 'import');
    expect(failed.code).toBe(69);
    expect(failed.stderr).toMatch(/FAILED \(INTERNAL_SERVER_ERROR\).*run reclaim shopify import again/);

    standIn.bulkFailure = undefined;
    standIn.malformedLine = { root: 'customers', line: 150 };
    const broken = await cli('shopify', 'import');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/line 150 of the customers export is not a JSON object/);
    expect(await count('shopify_import', 'customer_update')).toBe(149);
    const s = await open();
    expect(
      (await s.db.selectFrom('shopify_imports').select('status').execute()).map((r) => r.status),
    ).toEqual(['failed']);

    standIn.malformedLine = undefined;
    const resumed = await cli('shopify', 'import', '--json');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).resumed).toBe(true);
    expect(await count('shopify_import', 'customer_update')).toBe(SHOP.customers);
    expect(
      (await s.db.selectFrom('shopify_imports').select('status').execute()).map((r) => r.status),
    ).toEqual(['completed']);
  });

  it('killed mid-import, the next run resumes at its checkpoint and stores every line exactly once', async () => {
    const customers = 30_000;
    const url = await start({ shopData: { ...SHOP, customers, orders: 0, checkouts: 0 } });
    const env = {
      PATH: process.env.PATH ?? '',
      RECLAIM_DATABASE_URL: db.url,
      SHOPIFY_SHOP: ShopifyStandIn.SHOP,
      SHOPIFY_ADMIN_TOKEN: ShopifyStandIn.DEFAULT_TOKEN,
      SHOPIFY_ADMIN_BASE_URL: url,
    };
    const child = spawn(process.execPath, [RECLAIM_BIN, 'shopify', 'import'], { env, stdio: 'ignore' });
    const exited = once(child, 'exit');
    const s = await open();
    await until(async () => {
      const row = await s.db.selectFrom('shopify_imports').select('lines_done').executeTakeFirst();
      return row !== undefined && row.lines_done > 0;
    }, 'the first checkpoint');
    child.kill('SIGKILL');
    await exited;
    const row = await s.db.selectFrom('shopify_imports').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe('running');
    expect(row.lines_done).toBeLessThan(customers);

    const resumed = await cli('shopify', 'import', '--json');
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.resumed).toBe(true);
    expect(report.counts.customers.lines).toBe(customers);
    expect(await count('shopify_import', 'customer_update')).toBe(customers);
    const spec = standIn.shopData;
    let expectedConsent = 0;
    for (let i = 0; i < customers; i++) expectedConsent += consentRecordsOf(spec, i);
    expect(await count('shopify_import', 'consent')).toBe(expectedConsent);
    const done = await s.db.selectFrom('shopify_imports').select('status').execute();
    expect(done.map((r) => r.status)).toEqual(['completed']);
  }, 300_000);
});
