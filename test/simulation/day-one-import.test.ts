import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.ts';
import { LINE_MAPPERS } from '../../src/shopify/shopify-import-mapper.ts';
import { readTruth, scoreSimulation, type Scores } from '../../src/simulation/scorer.ts';
import { simulate, SIMULATION_FILES, type SimulationMeta } from '../../src/simulation/simulator.ts';
import type { ShopperTruth } from '../../src/simulation/simulate-shopper.ts';
import { POSTGRES_URL } from '../support/dialects.ts';

const log = createLogger({ level: 'silent' });
const MINUTES = 60_000;
const DAY = 86_400_000;

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the customer base as the period began, and scoring with it imported first', () => {
  let root: string;
  let dir: string;
  let meta: SimulationMeta;
  let shoppers: ShopperTruth[];
  let dayOne: Scores;
  let withImport: Scores;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'reclaim-day-one-'));
    dir = join(root, 'a');
    await simulate({ profile: 'eu-fashion', shoppers: 300, days: 30, seed: 'day-one', out: dir });
    await simulate({
      profile: 'eu-fashion',
      shoppers: 300,
      days: 30,
      seed: 'day-one',
      out: join(root, 'b'),
      workers: 1,
    });
    ({ meta, shoppers } = await readTruth(dir));
    dayOne = await scoreSimulation({ dir, log, install: 'day_one' });
    withImport = await scoreSimulation({ dir, log, install: 'day_one_import' });
  }, 10 * MINUTES);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is the same for the same seed, and every line maps through the import’s own mappers', () => {
    for (const file of [SIMULATION_FILES.customers, SIMULATION_FILES.orders])
      expect(digest(join(root, 'b', file))).toBe(digest(join(dir, file)));
    const start = Date.parse(meta.start);
    const ctx = { shop: 'atelier-nord.myshopify.com', receivedAt: start };
    const customers = jsonl(join(dir, SIMULATION_FILES.customers));
    const orders = jsonl(join(dir, SIMULATION_FILES.orders));
    expect(customers.length).toBeGreaterThan(100);
    expect(orders.length).toBeGreaterThan(5);
    const consent: string[] = [];
    for (const line of customers) {
      const events = LINE_MAPPERS.customers(ctx, line);
      expect(events[0]).toMatchObject({ kind: 'customer_update', source: 'shopify_import' });
      expect(events[0]!.ids.email).toBe(line.email);
      expect(events[0]!.eventTime).toBeLessThan(start);
      for (const e of events.slice(1)) {
        expect(e.kind).toBe('consent');
        expect(e.eventTime).toBeLessThan(start);
        consent.push(`${e.consent!.permission}:${e.consent!.state}:${e.consent!.optInLevel}`);
      }
      const email = line.emailMarketingConsent as { marketingState: string; marketingOptInLevel: string };
      consent.push(`shopify:${email.marketingState}:${email.marketingOptInLevel}`);
    }
    for (const seen of [
      'email:granted:single_opt_in',
      'email:granted:confirmed_opt_in',
      'email:withdrawn:single_opt_in',
      'sms:granted:single_opt_in',
      'shopify:NOT_SUBSCRIBED:SINGLE_OPT_IN',
      'shopify:PENDING:CONFIRMED_OPT_IN',
    ])
      expect(consent).toContain(seen);
    for (const line of orders) {
      const [order] = LINE_MAPPERS.orders(ctx, line);
      expect(order).toMatchObject({ kind: 'order_completed', source: 'shopify_import' });
      expect(order!.eventTime).toBeGreaterThanOrEqual(start - meta.importDays * DAY);
      expect(order!.eventTime).toBeLessThan(start);
    }
  });

  it('imports the whole customer base before the month is replayed', () => {
    const customers = jsonl(join(dir, SIMULATION_FILES.customers)).length;
    const orders = jsonl(join(dir, SIMULATION_FILES.orders)).length;
    expect(withImport.imported).toMatchObject({
      customers: { lines: customers },
      orders: { lines: orders, stored: orders },
    });
    expect(withImport.imported!.customers!.stored).toBeGreaterThan(customers);
    expect(dayOne.imported).toBeUndefined();
  });

  it('reaches past subscribers the day-one install cannot, who gave no consent during the month', () => {
    const start = Date.parse(meta.start);
    const reachedDayOne = new Set(dayOne.diagnostics.reached);
    const reachedWithImport = new Set(withImport.diagnostics.reached);
    const onlyWithImport = shoppers.flatMap((s) =>
      s.episodes
        .filter(
          (e) =>
            e.labelWithImport === 'reachable' &&
            e.labelOnDayOne !== 'reachable' &&
            s.email_history.some((m) => m.at < start && m.state === 'subscribed') &&
            !s.email_history.some((m) => m.at >= start && m.at <= e.dueAt),
        )
        .map((e) => e.id),
    );
    expect(onlyWithImport.length).toBeGreaterThan(0);
    for (const id of onlyWithImport) {
      expect(reachedWithImport.has(id)).toBe(true);
      expect(reachedDayOne.has(id)).toBe(false);
    }
    expect(withImport.overall.reachable).toBeGreaterThan(dayOne.overall.reachable);
    expect(withImport.overall.reached).toBeGreaterThan(dayOne.overall.reached);
    expect(withImport.overall.recall).toBeGreaterThanOrEqual(0.95);
    expect(dayOne.overall.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('with the import, never reaches the wrong person, a buyer, anyone twice, or anyone without a legal basis', () => {
    expect(withImport.overall).toMatchObject({
      wrongPerson: 0,
      afterPurchase: 0,
      duplicates: 0,
      violations: 0,
    });
    expect(withImport.diagnostics.unmatchedSent).toBe(0);
    expect(withImport.replay.rejected).toEqual({});
  });

  it.runIf(POSTGRES_URL)(
    'gives the same numbers on PostgreSQL',
    async () => {
      const onPostgres = await scoreSimulation({
        dir,
        log,
        install: 'day_one_import',
        databaseUrl: POSTGRES_URL,
      });
      expect(onPostgres).toEqual(withImport);
    },
    10 * MINUTES,
  );
});
