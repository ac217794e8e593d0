import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { simulateBlock, type BlockResult, type BlockSettings } from './simulation-blocks.ts';
import type { SimulationSettings } from './simulate-shopper.ts';
import { STORE_PROFILES, storeProfile, type StoreProfile } from './store-profiles.ts';

const DAY = 86_400_000;

/**
 * The files a simulation writes: the replay input, the ground truth, and the store's customer base as
 * it stood when the period began, as the customers and orders bulk exports of `reclaim shopify import`.
 */
export const SIMULATION_FILES = {
  input: 'input.ndjson',
  truth: 'truth.ndjson',
  customers: 'customers.jsonl',
  orders: 'orders.jsonl',
  /** What Klaviyo's own onsite script and Shopify integration record (`NativeKlaviyoLine`). */
  klaviyo: 'klaviyo-native.ndjson',
} as const;

export interface SimulateOptions {
  shoppers: number;
  days: number;
  seed: string;
  profile: string;
  /** Directory for `input.ndjson` (the replay input) and `truth.ndjson` (the ground truth). */
  out: string;
  /** First day of the period (ms, UTC midnight); default 2026-10-01 so a seed alone fixes everything. */
  start?: number;
  /** Reclaim's abandonment windows and rules the ground truth applies (defaults: Reclaim's). */
  windows?: SimulationSettings['windows'];
  browseCap?: number;
  quietAfterPurchase?: number;
  lookback?: number;
  /** The secret webhooks are signed with. */
  webhookSecret?: string;
  /** Days of orders before the period the customer base holds (default 90, the import's default). */
  importDays?: number;
  /** Worker threads (default: one per core; 1 simulates on the calling thread). */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

/** What the first line of `truth.ndjson` says about the run. */
export interface SimulationMeta {
  type: 'meta';
  profile: string;
  seed: string;
  shoppers: number;
  days: number;
  start: string;
  end: string;
  windows: SimulationSettings['windows'];
  browseCap: number;
  quietAfterPurchase: number;
  lookback: number;
  checkoutMarketingBox: StoreProfile['checkoutMarketingBox'];
  webhookSecret: string;
  /** Days of orders before the period in `orders.jsonl`. */
  importDays: number;
  lines: number;
  /** Events the lines carry. */
  events: number;
  episodes: number;
}

export const DEFAULT_START = Date.UTC(2026, 9, 1);
export const DEFAULT_WEBHOOK_SECRET = 'shpss_simulated_store_secret';
export const DEFAULT_IMPORT_DAYS = 90;

/**
 * Simulates a store's shoppers over a period and writes what the store would send Reclaim (the replay
 * NDJSON of CONTRACT.md, webhooks signed) and the ground truth the scorer judges Reclaim by. Blocks of
 * shoppers are simulated on worker threads and written in order: the same options give byte-identical
 * files on any number of cores.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationMeta> {
  const profile = storeProfile(options.profile);
  if (!profile)
    throw new Error(`unknown store profile ${options.profile} (${Object.keys(STORE_PROFILES).join(', ')})`);
  const start = options.start ?? DEFAULT_START;
  const settings: BlockSettings = {
    seed: options.seed,
    profile: profile.name,
    period: { start, end: start + options.days * DAY },
    windows: options.windows ?? { browse: 2 * 3_600_000, cart: 3_600_000, checkout: 3_600_000 },
    lookback: options.lookback ?? 100 * DAY,
    browseCap: options.browseCap ?? DAY,
    quietAfterPurchase: options.quietAfterPurchase ?? DAY,
    webhookSecret: options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET,
    importDays: options.importDays ?? DEFAULT_IMPORT_DAYS,
  };
  mkdirSync(options.out, { recursive: true });
  const input = createWriteStream(join(options.out, SIMULATION_FILES.input));
  const truth = createWriteStream(join(options.out, SIMULATION_FILES.truth));
  const customers = createWriteStream(join(options.out, SIMULATION_FILES.customers));
  const orders = createWriteStream(join(options.out, SIMULATION_FILES.orders));
  const klaviyo = createWriteStream(join(options.out, SIMULATION_FILES.klaviyo));
  const write = async (stream: WriteStream, text: string | Uint8Array) => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
  let lines = 0;
  let events = 0;
  let episodes = 0;
  let done = 0;
  await runBlocks(settings, options.shoppers, options.workers, async (result) => {
    await write(input, result.input);
    await write(truth, result.truth);
    await write(customers, result.customers);
    await write(orders, result.orders);
    await write(klaviyo, result.klaviyo);
    lines += result.lines;
    events += result.events;
    episodes += result.episodes;
    done = Math.min(options.shoppers, done + BLOCK);
    options.onProgress?.(done, options.shoppers);
  });
  const meta: SimulationMeta = {
    type: 'meta',
    profile: profile.name,
    seed: options.seed,
    shoppers: options.shoppers,
    days: options.days,
    start: new Date(start).toISOString(),
    end: new Date(settings.period.end).toISOString(),
    windows: settings.windows,
    browseCap: settings.browseCap,
    quietAfterPurchase: settings.quietAfterPurchase,
    lookback: settings.lookback,
    checkoutMarketingBox: profile.checkoutMarketingBox,
    webhookSecret: settings.webhookSecret,
    importDays: settings.importDays,
    lines,
    events,
    episodes,
  };
  await write(truth, `${JSON.stringify(meta)}\n`);
  const streams = [input, truth, customers, orders, klaviyo];
  for (const stream of streams) stream.end();
  await Promise.all(streams.map((stream) => once(stream, 'finish')));
  return meta;
}

/** Shoppers per block: a worker's unit of work. */
const BLOCK = 200;

/**
 * Simulates every block, on worker threads when there is more than one core, and hands the results to
 * `write` in block order.
 */
async function runBlocks(
  settings: BlockSettings,
  shoppers: number,
  workers: number | undefined,
  write: (result: BlockResult) => Promise<void>,
): Promise<void> {
  const blocks = Math.ceil(shoppers / BLOCK);
  const task = (block: number) => ({
    block,
    from: block * BLOCK,
    to: Math.min(shoppers, (block + 1) * BLOCK),
  });
  const threads = Math.min(workers ?? availableParallelism(), blocks);
  if (threads <= 1) {
    for (let b = 0; b < blocks; b++) await write(simulateBlock({ ...task(b), settings }));
    return;
  }
  const finished = new Map<number, BlockResult>();
  let nextToWrite = 0;
  let nextToStart = 0;
  let writing = Promise.resolve();
  const pool = Array.from({ length: threads }, () => startWorker(settings));
  try {
    await new Promise<void>((resolve, reject) => {
      const flush = () => {
        writing = writing.then(async () => {
          for (let r = finished.get(nextToWrite); r; r = finished.get(nextToWrite)) {
            finished.delete(nextToWrite++);
            await write(r);
          }
          if (nextToWrite === blocks) resolve();
        });
        writing.catch(reject);
      };
      const feed = (worker: Worker) => {
        if (nextToStart >= blocks) return;
        // Keep at most a few blocks ahead of the writer, so memory stays flat.
        if (nextToStart - nextToWrite < threads * 3) worker.postMessage(task(nextToStart++));
        else setTimeout(() => feed(worker), 5);
      };
      for (const worker of pool) {
        worker.on('message', (result: BlockResult) => {
          finished.set(result.block, result);
          flush();
          feed(worker);
        });
        worker.on('error', reject);
        feed(worker);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** A worker thread that loads the simulator through tsx, as the main thread does. */
function startWorker(settings: BlockSettings): Worker {
  const source = `
    const { workerData } = require('node:worker_threads');
    import(workerData.tsx).then(({ register }) => { register(); return import(workerData.module); });
  `;
  return new Worker(source, {
    eval: true,
    workerData: {
      settings,
      tsx: import.meta.resolve('tsx/esm/api'),
      module: new URL('./simulation-worker.ts', import.meta.url).href,
    },
  });
}
