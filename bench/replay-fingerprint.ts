// What a fixed simulated store replays to, as canonical JSON lines and their sha256: every trigger, every
// outbox row, every event the Klaviyo stand-in received (less its own ids and wall-clock time) and the scores. The same code gives the same file, so two builds that give different hashes
// behave differently. `npm run bench:fingerprint -- FILE`; the store's size comes from
// BENCH_FINGERPRINT_SHOPPERS, _DAYS and _SEED (default: `reclaim simulate --shoppers 3000 --days 21 --seed 7`).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/runtime/logger.ts';
import { scoreSimulation } from '../src/simulation/scorer.ts';
import { simulate, type SimulationMeta } from '../src/simulation/simulator.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { openScratchStore, type Store } from '../src/store/store.ts';
import { scoringReplay } from './support/scoring-replay.ts';

const SHOPPERS = Number(process.env.BENCH_FINGERPRINT_SHOPPERS ?? 3000);
const DAYS = Number(process.env.BENCH_FINGERPRINT_DAYS ?? 21);
const SEED = process.env.BENCH_FINGERPRINT_SEED ?? '7';
const log = createLogger({ level: 'silent' });

/** Columns stored as JSON text: written parsed, so the dump compares values, not key order. */
const JSON_COLUMNS = new Set(['body_json', 'payload_json', 'outcome_json', 'last_error_json']);

/** `value` with every object's keys sorted, so equal values serialise to equal bytes. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

function line(table: string, row: Record<string, unknown>): string {
  const values = Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column,
      JSON_COLUMNS.has(column) && typeof value === 'string' ? JSON.parse(value) : value,
    ]),
  );
  return JSON.stringify(canonical({ table, ...values }));
}

/** Every trigger and outbox row, in id order. `claimed_by` names a worker and is left out. */
async function dumpTables(store: Store): Promise<string[]> {
  const triggers = await store.db
    .selectFrom('triggers')
    .select(['id', 'journey_id', 'profile_id', 'stage', 'due_at', 'fired_at', 'created_at', 'body_json'])
    .orderBy('id')
    .execute();
  const deliveries = await store.db
    .selectFrom('deliveries')
    .select([
      'id',
      'destination',
      'kind',
      'subject_id',
      'profile_id',
      'status',
      'attempts',
      'created_at',
      'updated_at',
      'next_attempt_at',
      'retry_from',
      'delivered_at',
      'last_error_json',
      'payload_json',
      'outcome_json',
    ])
    .orderBy('id')
    .execute();
  return [
    ...triggers.map((row) => line('triggers', row)),
    ...deliveries.map((row) => line('deliveries', row)),
  ];
}

/** Replays the simulation into a fresh SQLite database and the Klaviyo stand-in, as `reclaim score` does. */
async function replayAndDump(dir: string, meta: SimulationMeta): Promise<string[]> {
  const scoring = await scoringReplay(dir, meta);
  const store = await openScratchStore();
  try {
    await migrateToLatest(store);
    await scoring.replay(store);
    const received = scoring.received
      .map(({ id: _id, profileId: _profile, receivedAt: _wallClock, ...event }) => line('klaviyo', event))
      .sort();
    return [...(await dumpTables(store)), ...received];
  } finally {
    await store.close();
    await scoring.close();
  }
}

export async function replayFingerprint(file: string): Promise<{ sha256: string; lines: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-fingerprint-'));
  try {
    const meta = await simulate({
      profile: 'eu-fashion',
      shoppers: SHOPPERS,
      days: DAYS,
      seed: SEED,
      out: dir,
    });
    const lines = await replayAndDump(dir, meta);
    const scores = await scoreSimulation({ dir, log });
    lines.push(line('score', scores as unknown as Record<string, unknown>));
    const text = `${lines.join('\n')}\n`;
    writeFileSync(file, text);
    return { sha256: createHash('sha256').update(text).digest('hex'), lines: lines.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npm run bench:fingerprint -- FILE');
    process.exit(2);
  }
  const started = performance.now();
  const { sha256, lines } = await replayFingerprint(file);
  console.log(
    `${sha256}  ${file}\n${lines} lines (simulate --shoppers ${SHOPPERS} --days ${DAYS} --seed ${SEED}), ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
