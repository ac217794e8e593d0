import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderedId } from '../../src/store/ordered-id.ts';

describe('orderedId', () => {
  it('gives the same id for the same key and time, so a replay or a retry finds the same rows', () => {
    expect(orderedId('tr_', 1_790_000_000_000, 'jr_a')).toBe(orderedId('tr_', 1_790_000_000_000, 'jr_a'));
    expect(orderedId('tr_', 1_790_000_000_000, 'jr_a')).not.toBe(orderedId('tr_', 1_790_000_000_000, 'jr_b'));
    expect(orderedId('tr_', 1_790_000_000_000, 'jr_a')).not.toBe(orderedId('tr_', 1_790_000_000_001, 'jr_a'));
  });

  it('sorts by time whatever the keys, as a database compares text', () => {
    const time = fc.integer({ min: 0, max: 36 ** 9 - 1 });
    fc.assert(
      fc.property(time, time, fc.string(), fc.string(), (a, b, keyA, keyB) => {
        fc.pre(a !== b);
        const [idA, idB] = [orderedId('pr_', a, keyA), orderedId('pr_', b, keyB)];
        expect(Buffer.compare(Buffer.from(idA), Buffer.from(idB))).toBe(a < b ? -1 : 1);
      }),
    );
  });

  it('gives a missing or unusable time the zero prefix, and keeps the length fixed', () => {
    for (const time of [undefined, Number.NaN, Number.POSITIVE_INFINITY, -5])
      expect(orderedId('ev_', time, 'k', 22)).toBe(orderedId('ev_', 0, 'k', 22));
    expect(orderedId('ev_', 0, 'k', 22)).toMatch(/^ev_000000000[A-Za-z0-9_-]{22}$/);
    expect(orderedId('ev_', Date.UTC(2026, 11, 1), 'k', 22)).toHaveLength(3 + 9 + 22);
  });
});
