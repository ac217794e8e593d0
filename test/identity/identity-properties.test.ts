import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventProcessor } from '../../src/pipeline/event-processor.ts';
import { IdentityResolver } from '../../src/identity/identity-resolver.ts';
import type { CanonicalEvent } from '../../src/event-log/canonical-event.ts';
import { EventLog, eventIdFor } from '../../src/event-log/event-log.ts';
import { IdentityGraph, IdentityWorkingSet, type IdentityRules } from '../../src/identity/identity-graph.ts';
import { IDENTIFIER_TYPES, type IdentifierType } from '../../src/identity/identifiers.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { describeEachDialect } from '../support/dialects.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const generous = Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, 10_000])) as Record<
  IdentifierType,
  number
>;

/** Types that never trigger a guard when limits are generous (one customer id per profile is a rule). */
const UNGUARDED: IdentifierType[] = [
  'email',
  'phone',
  'checkoutToken',
  'cartToken',
  'kx',
  'browserId',
  'clientId',
  'anonymousId',
];

const valueOf = (type: IdentifierType, n: number) =>
  type === 'email'
    ? `person${n}@shop.example`
    : type === 'phone'
      ? `+1415555${String(1000 + n).slice(-4)}`
      : `${type}-${n}`;

/** One piece of evidence: the identifiers seen together in one event. */
const evidence = (types: IdentifierType[], pool: number) =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...types), fc.nat(pool - 1)), {
    minLength: 1,
    maxLength: 3,
    selector: ([t]) => t,
  });

function toEvent([index, ids]: [number, [IdentifierType, number][]], day: number): CanonicalEvent {
  const key = `evidence:${index}`;
  const eventTime = T0 + day * DAY + index;
  return {
    id: eventIdFor(key, eventTime),
    kind: 'page_view',
    source: 'segment',
    name: 'page',
    idempotencyKey: key,
    eventTime,
    receivedAt: eventTime,
    ids: Object.fromEntries(ids.map(([type, n]) => [type, valueOf(type, n)])),
    context: {},
  };
}

function partitionInMemory(events: CanonicalEvent[], rules: IdentityRules): Set<string> {
  const graph = new IdentityGraph(rules);
  const ws = new IdentityWorkingSet();
  for (const event of events) graph.resolve(event, ws);
  return partitionOf([...ws.identifiers.values()].map((r) => [r.key, ws.root(r.profileId).id]));
}

/** The grouping of identifiers, independent of profile ids. */
function partitionOf(pairs: [string, string][]): Set<string> {
  const groups = new Map<string, string[]>();
  for (const [key, profile] of pairs) groups.set(profile, [...(groups.get(profile) ?? []), key]);
  return new Set([...groups.values()].map((keys) => keys.sort().join('|')));
}

/** Connected components of the evidence: what the partition must be when no guard fires. */
function expectedPartition(events: CanonicalEvent[]): Set<string> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    while (parent.get(k) !== k) k = parent.get(k)!;
    return k;
  };
  for (const event of events) {
    const keys = Object.entries(event.ids).map(([t, v]) => `${t}:${v}`);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
  }
  return partitionOf([...parent.keys()].map((k) => [k, find(k)]));
}

describe('identity graph properties', () => {
  const rules: IdentityRules = { lookback: 365 * DAY, limits: generous, blocklist: new Set() };

  it('partitions identifiers the same way whatever order the same evidence arrives in', () => {
    fc.assert(
      fc.property(
        fc.array(evidence(UNGUARDED, 12), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        (items, seed) => {
          const events = items.map((ids, i) => toEvent([i, ids], i % 20));
          const shuffled = fc.sample(
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            { seed, numRuns: 1 },
          )[0]!;
          const inOrder = partitionInMemory(events, rules);
          expect(partitionInMemory(shuffled, rules)).toEqual(inOrder);
          expect(inOrder).toEqual(expectedPartition(events));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never lets a profile exceed a configured limit, whatever the evidence', () => {
    const tight: IdentityRules = {
      lookback: 365 * DAY,
      limits: { ...generous, customerId: 1, email: 2, phone: 1, clientId: 3, cartToken: 2 },
      blocklist: new Set(),
    };
    fc.assert(
      fc.property(fc.array(evidence([...IDENTIFIER_TYPES], 6), { minLength: 1, maxLength: 40 }), (items) => {
        const graph = new IdentityGraph(tight);
        const ws = new IdentityWorkingSet();
        items.forEach((ids, i) => graph.resolve(toEvent([i, ids], 0), ws));
        // Count what each profile really holds, from the identifiers themselves.
        const counts = new Map<string, number>();
        for (const record of ws.identifiers.values()) {
          if (record.status !== 'active') continue;
          const key = `${ws.root(record.profileId).id} ${record.type}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const [key, count] of counts)
          expect(count).toBeLessThanOrEqual(tight.limits[key.split(' ')[1] as IdentifierType]);
        for (const profile of ws.profiles.values()) {
          if (profile.mergedInto) continue;
          for (const type of IDENTIFIER_TYPES)
            expect(profile.counts[type] ?? 0).toBe(counts.get(`${profile.id} ${type}`) ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describeEachDialect('identity graph through the event processor', (dialect) => {
  it('gives the same partition as the in-memory graph, in any arrival order', async () => {
    const rules: IdentityRules = { lookback: 365 * DAY, limits: generous, blocklist: new Set() };
    await fc.assert(
      fc.asyncProperty(
        fc.array(evidence(UNGUARDED, 8), { minLength: 1, maxLength: 25 }),
        fc.nat(),
        async (items, seed) => {
          const events = items.map((ids, i) => toEvent([i, ids], i % 5));
          const shuffled = fc.sample(
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            { seed, numRuns: 1 },
          )[0]!;
          const partitions: Set<string>[] = [];
          for (const order of [events, shuffled]) {
            const store = await dialect.open();
            try {
              const processor = new EventProcessor({
                store,
                log: createLogger({ level: 'silent' }),
                clock: new ManualClock(T0),
                resolver: new IdentityResolver(rules),
                batchSize: 7,
              });
              await new EventLog(store).append(order);
              await processor.drain();
              const rows = await store.db
                .selectFrom('identifiers')
                .innerJoin('profiles', 'profiles.id', 'identifiers.profile_id')
                .select(['identifiers.key', 'identifiers.profile_id', 'profiles.merged_into'])
                .execute();
              partitions.push(partitionOf(rows.map((r) => [r.key, r.merged_into ?? r.profile_id])));
            } finally {
              await store.close();
            }
          }
          expect(partitions[1]).toEqual(partitions[0]);
          expect(partitions[0]).toEqual(partitionInMemory(events, rules));
        },
      ),
      { numRuns: dialect.name === 'sqlite' ? 40 : 10 },
    );
  });
});
