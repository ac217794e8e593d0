import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineReader, type IndexedLine } from '../../../src/app/replay/line-reader.ts';
import { replayFile } from '../../../src/app/replay/replay.ts';
import { storedEvents } from '../../support/events.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { simulate, SIMULATION_FILES } from '../../../src/simulation/simulator.ts';
import { testConfig } from '../../support/app.ts';
import { openTestSqlite } from '../../support/dialects.ts';
import { ndjson, segmentLine } from '../../support/replay-lines.ts';

const log = createLogger({ level: 'silent' });
const settings = { geo: testConfig().geo, bannerWordingVersion: 'banner-v1' };

/** Every line of a file with where it is (the time is not needed to read it). */
function entries(file: string): IndexedLine[] {
  const out: IndexedLine[] = [];
  let offset = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const length = Buffer.byteLength(line);
    if (line.trim()) out.push({ at: 0, offset, length });
    offset += length + 1;
  }
  return out;
}

describe('replay lines read on a thread', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-line-reader-'));
    // About 2,700 lines: long enough for replay to read them on a thread.
    await simulate({ profile: 'eu-fashion', shoppers: 150, days: 30, seed: 'reader', out: dir });
    file = join(dir, SIMULATION_FILES.input);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are prepared exactly as in-process, malformed lines included', async () => {
    const withBad = join(dir, 'with-bad.ndjson');
    writeFileSync(withBad, readFileSync(file, 'utf8').split('\n').slice(0, 300).join('\n') + '\n');
    appendFileSync(
      withBad,
      [
        '{"at": "2026-11-02T10:00:00Z", "kind": "pixel"',
        '{"at": "yesterday", "kind": "pixel", "body": {}}',
        '{"at": "2026-11-02T10:00:00Z", "kind": "pixel", "body": {"events": "none"}}',
      ].join('\n') + '\n',
    );
    const lines = entries(withBad);
    const threaded = await LineReader.open(withBad, settings, true);
    const inProcess = await LineReader.open(withBad, settings, false);
    try {
      const [a, b] = await Promise.all([threaded.prepare(lines), inProcess.prepare(lines)]);
      expect(a).toEqual(b);
      expect(a.map((p) => p.outcome).slice(-3)).toEqual(['unreadable', 'unreadable', 'refused']);
      expect(new Set(a.slice(0, 300).map((p) => p.outcome))).toEqual(new Set(['rows', 'line']));
    } finally {
      await threaded.close();
      await inProcess.close();
    }
  });

  it('replay to the same events, triggers and summary as lines read in-process', async () => {
    const replay = async (workers: string) => {
      const store = await openTestSqlite();
      try {
        const config = testConfig({ RECLAIM_INGEST_WORKERS: workers });
        const summary = await replayFile({ file, config, store, log });
        const triggers = await store.db.selectFrom('triggers').selectAll().orderBy('id').execute();
        const events = await storedEvents(store);
        return { summary, triggers, events };
      } finally {
        await store.close();
      }
    };
    const inProcess = await replay('0');
    const threaded = await replay('1');
    expect(inProcess.summary.lines).toBeGreaterThan(2_000);
    expect(inProcess.summary.triggers.total).toBeGreaterThan(20);
    expect(threaded.summary).toEqual(inProcess.summary);
    expect(threaded.triggers).toEqual(inProcess.triggers);
    expect(threaded.events).toEqual(inProcess.events);
  }, 120_000);
});

describe('a replay line the index placed after its own time', () => {
  it('is received when the clock reaches it, as the live endpoint would receive it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-line-order-'));
    const file = join(dir, 'input.ndjson');
    const message = { type: 'page', anonymousId: 'a-1', properties: { url: 'https://shop.example/' } };
    const us = { 'cf-ipcountry': 'US', 'cf-region-code': 'US-NY' };
    const late = segmentLine('2026-11-02T10:00:00.000Z', '/v1/page', message, us);
    // A body key named "at" ahead of the line's own: the index reads 10:30 for a line of 10:00.
    const early = {
      kind: late.kind,
      path: late.path,
      headers: us,
      body: { at: '2026-11-02T10:30:00.000Z', ...late.body },
      at: late.at,
    };
    const before = segmentLine(
      '2026-11-02T10:20:00.000Z',
      '/v1/page',
      { ...message, anonymousId: 'a-2' },
      us,
    );
    writeFileSync(file, ndjson([before, early]));
    const store = await openTestSqlite();
    try {
      await replayFile({ file, config: testConfig(), store, log });
      const events = await storedEvents(store);
      expect(events.map((e) => [e.ids.anonymousId, new Date(e.receivedAt).toISOString()])).toEqual([
        ['a-2', '2026-11-02T10:20:00.000Z'],
        ['a-1', '2026-11-02T10:20:00.000Z'],
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
