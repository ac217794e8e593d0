import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTruth } from '../../src/simulation/scorer.ts';
import { DEFAULT_WEBHOOK_SECRET, simulate, SIMULATION_FILES } from '../../src/simulation/simulator.ts';
import type { Store } from '../../src/store/store.ts';
import { buildTestApp, testConfig } from '../support/app.ts';
import { openTestSqlite } from '../support/dialects.ts';

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const lines = (dir: string) =>
  readFileSync(join(dir, SIMULATION_FILES.input), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) => JSON.parse(l) as { at: string; kind: string; headers: Record<string, string>; body: unknown },
    );

describe('the store simulator', () => {
  let root: string;
  const dir = (name: string) => join(root, name);
  const run = (name: string, seed: string, workers: number, profile = 'us-beauty') =>
    simulate({ profile, shoppers: 240, days: 10, seed, out: dir(name), workers });
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'reclaim-sim-'));
    await run('one-thread', 's1', 1);
    await run('two-threads', 's1', 2);
    await run('other-seed', 's2', 1);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives byte-identical files for the same options, on any number of threads', () => {
    for (const file of Object.values(SIMULATION_FILES))
      expect(digest(join(dir('two-threads'), file))).toBe(digest(join(dir('one-thread'), file)));
    expect(digest(join(dir('other-seed'), SIMULATION_FILES.input))).not.toBe(
      digest(join(dir('one-thread'), SIMULATION_FILES.input)),
    );
  });

  it('writes the replay input of CONTRACT.md and a ground truth that accounts for every line', async () => {
    const input = lines(dir('one-thread'));
    const { meta, shoppers } = await readTruth(dir('one-thread'));
    expect(meta).toMatchObject({
      profile: 'us-beauty',
      seed: 's1',
      shoppers: 240,
      days: 10,
      lines: input.length,
    });
    expect(shoppers).toHaveLength(240);
    expect(meta.episodes).toBe(shoppers.reduce((n, s) => n + s.episodes.length, 0));
    expect(new Set(input.map((l) => l.kind))).toEqual(new Set(['pixel', 'shopify', 'consent']));
    const topics = new Set(
      input.filter((l) => l.kind === 'shopify').map((l) => l.headers['X-Shopify-Topic']),
    );
    for (const topic of [
      'carts/update',
      'checkouts/create',
      'checkouts/update',
      'orders/create',
      'customers/create',
    ])
      expect(topics).toContain(topic);
    // Shopify's 18-digit-safe ids are written as bare JSON numbers, exactly as Shopify sends them.
    const raw = readFileSync(join(dir('one-thread'), SIMULATION_FILES.input), 'utf8');
    expect(raw).toMatch(/"body":\{"id":\d{13},"admin_graphql_api_id":"gid:\/\/shopify\/Order\/\d{13}"/);
    const labels = new Set(shoppers.flatMap((s) => s.episodes.map((e) => e.label)));
    for (const label of ['reachable', 'no_contact', 'not_linkable']) expect(labels).toContain(label);
  });

  it('writes what Klaviyo’s own tracking would record: every order, and each checkout with an email', async () => {
    const { shoppers } = await readTruth(dir('one-thread'));
    const native = readFileSync(join(dir('one-thread'), SIMULATION_FILES.klaviyo), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: string; metric: string; email: string; value?: number });
    const orders = lines(dir('one-thread')).filter(
      (l) => l.kind === 'shopify' && l.headers['X-Shopify-Topic'] === 'orders/create',
    );
    expect(native.filter((e) => e.metric === 'Placed Order')).toHaveLength(orders.length);
    expect(native.every((e) => e.metric !== 'Placed Order' || (e.value ?? 0) > 0)).toBe(true);
    const emails = new Set(shoppers.map((s) => s.email));
    expect(native.every((e) => emails.has(e.email))).toBe(true);
    expect(new Set(native.map((e) => e.metric))).toEqual(
      new Set(['Viewed Product', 'Added to Cart', 'Started Checkout', 'Placed Order']),
    );
    // A checkout abandonment Klaviyo's integration saw (an email in it) has its Started Checkout.
    const seen = shoppers.flatMap((s) =>
      s.episodes.filter((e) => e.stage === 'checkout' && e.native).map((e) => ({ email: s.email, e })),
    );
    expect(seen.length).toBeGreaterThan(0);
    for (const { email, e } of seen)
      expect(
        native.some(
          (n) =>
            n.metric === 'Started Checkout' &&
            n.email === email &&
            Date.parse(n.at) >= e.startAt &&
            Date.parse(n.at) <= e.dueAt,
        ),
      ).toBe(true);
  });

  describe('every request it writes is one the live endpoints accept', () => {
    let store: Store;
    beforeAll(async () => {
      store = await openTestSqlite();
    });
    afterAll(() => store.close());

    it('pixel batches, signed webhooks and consent decisions all answer 200', async () => {
      const { app } = await buildTestApp(
        store,
        testConfig({
          SHOPIFY_WEBHOOK_SECRET: DEFAULT_WEBHOOK_SECRET,
          RECLAIM_WRITE_KEYS: 'sim-key',
          RECLAIM_PIXEL_RATE_LIMIT: '1000000',
        }),
      );
      const input = lines(dir('one-thread'));
      const byKind = (kind: string) => input.filter((l) => l.kind === kind).slice(0, 150);
      const raw = readFileSync(join(dir('one-thread'), SIMULATION_FILES.input), 'utf8').split('\n');
      const statuses: Record<string, number[]> = {};
      for (const line of [...byKind('pixel'), ...byKind('consent'), ...byKind('shopify')]) {
        const url = { pixel: '/v1/pixel', consent: '/v1/consent', shopify: '/webhooks/shopify' }[line.kind]!;
        // A webhook is signed over its exact bytes: send the body as the line holds it.
        const text = raw.find((r) => r.includes(JSON.stringify(line.headers)))!;
        const body =
          line.kind === 'shopify' ? text.slice(text.indexOf('"body":') + 7, -1) : JSON.stringify(line.body);
        const res = await app.inject({
          method: 'POST',
          url,
          headers: {
            'content-type': 'application/json',
            // A replay line is what arrived after authentication; the live endpoint wants the write key.
            ...(line.kind === 'consent' && {
              authorization: `Basic ${Buffer.from('sim-key:').toString('base64')}`,
            }),
            ...line.headers,
          },
          payload: body,
        });
        (statuses[line.kind] ??= []).push(res.statusCode);
      }
      for (const kind of ['pixel', 'consent', 'shopify']) {
        expect(statuses[kind]!.length).toBeGreaterThan(0);
        expect(new Set(statuses[kind])).toEqual(new Set([200]));
      }
      await app.close();
    });
  });
});
