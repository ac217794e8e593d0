import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CAPABILITIES, capabilitiesOf } from '../../src/store/capabilities.ts';
import { inChunks } from '../../src/store/in-chunks.ts';
import type { Store } from '../../src/store/store.ts';
import { describeEachDialect } from '../support/dialects.ts';

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(Object.values(CAPABILITIES))('inChunks on $dialect', (capabilities) => {
  const max = capabilities.maxBindParameters;

  it('keeps every value once, in order', () => {
    const values = numbers(2 * max + 7);
    const parts = inChunks(capabilities, values);
    expect(parts.map((p) => p.length)).toEqual([max, max, 7]);
    expect(parts.flat()).toEqual(values);
  });

  it("leaves room for the statement's other parameters", () => {
    expect(inChunks(capabilities, numbers(max - 3), { otherParams: 3 })).toHaveLength(1);
    expect(inChunks(capabilities, numbers(max - 2), { otherParams: 3 }).map((p) => p.length)).toEqual([
      max - 3,
      1,
    ]);
  });

  it('counts every parameter a value takes', () => {
    const perRow = Math.floor((max - 1) / 8);
    const parts = inChunks(capabilities, numbers(perRow + 1), { perValue: 8, otherParams: 1 });
    expect(parts.map((p) => p.length)).toEqual([perRow, 1]);
  });

  it('gives no slice for no values, so no statement runs', () => {
    expect(inChunks(capabilities, [])).toEqual([]);
  });

  it('refuses a statement that leaves no room for a value', () => {
    expect(() => inChunks(capabilities, [1], { otherParams: max })).toThrow(RangeError);
  });
});

describeEachDialect('inChunks against the database', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads the capabilities of a handle or a transaction as the store names them', async () => {
    expect(capabilitiesOf(store.db)).toBe(store.capabilities);
    const inTransaction = await store.db.transaction().execute((trx) => Promise.resolve(capabilitiesOf(trx)));
    expect(inTransaction).toBe(store.capabilities);
  });

  it('fills a statement up to the dialect limit and the database accepts it', async () => {
    await store.db.insertInto('leases').values({ name: 'n', holder: 'h', expires_at: 1 }).execute();
    const names = [...numbers(store.capabilities.maxBindParameters).map(String), 'n'];
    const parts = inChunks(store.capabilities, names, { otherParams: 1 });
    expect(parts[0]).toHaveLength(store.capabilities.maxBindParameters - 1);
    const found: string[] = [];
    for (const part of parts) {
      const rows = await store.db
        .selectFrom('leases')
        .select('name')
        .where('holder', '=', 'h')
        .where('name', 'in', part)
        .execute();
      found.push(...rows.map((r) => r.name));
    }
    expect(found).toEqual(['n']);
  });
});
