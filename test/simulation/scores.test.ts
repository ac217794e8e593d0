import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.ts';
import { scoreSimulation, type Scores } from '../../src/simulation/scorer.ts';
import { simulate } from '../../src/simulation/simulator.ts';
import { POSTGRES_URL } from '../support/dialects.ts';

const log = createLogger({ level: 'silent' });
const MINUTES = 60_000;

/**
 * SIMULATION.md's bar, on both store profiles with a fixed seed: a month of 800 shoppers replayed through
 * the real engine into the Klaviyo stand-in, judged against the ground truth.
 */
describe.each(['eu-fashion', 'us-beauty'])('scores on the %s profile', (profile) => {
  let dir: string;
  let scores: Scores;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `reclaim-score-${profile}-`));
    await simulate({ profile, shoppers: 800, days: 30, seed: 'scored', out: dir });
    scores = await scoreSimulation({ dir, log });
  }, 5 * MINUTES);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches at least 95% of reachable episodes at every stage', () => {
    expect(scores.overall.reachable).toBeGreaterThan(100);
    for (const stage of ['browse', 'cart', 'checkout'] as const) {
      expect(scores.byStage[stage].reachable).toBeGreaterThan(10);
      expect(scores.byStage[stage].recall).toBeGreaterThanOrEqual(0.95);
    }
    expect(scores.replay.rejected).toEqual({});
  });

  it('never reaches the wrong person, a buyer, anyone twice, or anyone without a legal basis', () => {
    expect(scores.overall).toMatchObject({ wrongPerson: 0, afterPurchase: 0, duplicates: 0, violations: 0 });
    expect(scores.diagnostics.unmatchedSent).toBe(0);
  });

  it('measures uplift over a native baseline that reaches 30–40% of all episodes', () => {
    expect(scores.overall.nativeShare).toBeGreaterThanOrEqual(0.3);
    expect(scores.overall.nativeShare).toBeLessThanOrEqual(0.4);
    expect(scores.overall.uplift).toBeGreaterThan(1);
    expect(scores.overall.reachedBeyondNative).toBeGreaterThan(0);
  });

  it('fires on time in event time, and delivers within a minute', () => {
    expect(scores.overall.lateness.p99).toBeLessThanOrEqual(60);
    expect(scores.overall.deliveryLateness.p99).toBeLessThanOrEqual(60);
  });

  it.runIf(POSTGRES_URL)(
    'gives the same numbers on PostgreSQL',
    async () => {
      const onPostgres = await scoreSimulation({ dir, log, databaseUrl: POSTGRES_URL });
      expect(onPostgres).toEqual(scores);
    },
    5 * MINUTES,
  );
});
