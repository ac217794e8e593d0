import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simulate, type SimulationMeta } from '../../src/simulation/simulator.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { openStore } from '../../src/store/store.ts';
import { scoringReplay } from './scoring-replay.ts';

/** Where replayed stores are kept between runs (gitignored with the rest of `data/`). */
const CACHE_DIR = resolve('data/bench');

export interface MonthStore {
  /** A copy of the cached store the caller may change; removed by `drop`. */
  file: string;
  meta: SimulationMeta;
  /** Whether the cached store was built by this run, and how long simulating and replaying took. */
  seeded?: { seconds: number };
  drop(): void;
}

/**
 * A simulated month of a store (`reclaim simulate`, eu-fashion) replayed through the real engine into a
 * SQLite file, built once and cached under `data/bench/` by shoppers, days and seed. The replay takes
 * minutes per million events; every later run starts from a copy of the file.
 */
export async function monthStore(options: {
  shoppers: number;
  days: number;
  seed: string;
}): Promise<MonthStore> {
  const name = `month-${options.shoppers}-${options.days}-${options.seed}`;
  const cached = join(CACHE_DIR, `${name}.sqlite`);
  const metaFile = join(CACHE_DIR, `${name}.meta.json`);
  let seeded: { seconds: number } | undefined;
  if (!existsSync(cached) || !existsSync(metaFile)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const started = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-month-'));
    try {
      const meta = await simulate({ profile: 'eu-fashion', ...options, out: join(dir, 'simulation') });
      const scoring = await scoringReplay(join(dir, 'simulation'), meta);
      const building = join(dir, 'store.sqlite');
      const store = await openStore({ url: `sqlite:${building}` });
      try {
        await migrateToLatest(store);
        await scoring.replay(store);
      } finally {
        await store.close();
        await scoring.close();
      }
      copyFileSync(building, `${cached}.partial`);
      renameSync(`${cached}.partial`, cached);
      writeFileSync(metaFile, JSON.stringify(meta));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    seeded = { seconds: (performance.now() - started) / 1000 };
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as SimulationMeta;
  const work = mkdtempSync(join(tmpdir(), 'reclaim-month-copy-'));
  const file = join(work, 'reclaim.sqlite');
  copyFileSync(cached, file);
  return { file, meta, seeded, drop: () => rmSync(work, { recursive: true, force: true }) };
}
