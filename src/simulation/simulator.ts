import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Product } from './shopper.ts';
import { simulateShopper, type SimulationSettings } from './simulate-shopper.ts';
import { STORE_PROFILES, type StoreProfile } from './store-profiles.ts';
import { Random } from './random.ts';

const DAY = 86_400_000;

/** The files a simulation writes. */
export const SIMULATION_FILES = { input: 'input.ndjson', truth: 'truth.ndjson' } as const;

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
  lines: number;
  episodes: number;
}

export const DEFAULT_START = Date.UTC(2026, 9, 1);
export const DEFAULT_WEBHOOK_SECRET = 'shpss_simulated_store_secret';

/** The store's products, the same for every run of a profile. */
export function catalogOf(profile: StoreProfile): Product[] {
  const rng = new Random(`catalog:${profile.name}`);
  return Array.from({ length: profile.catalog.products }, (_, i) => {
    const name = profile.catalog.names[i % profile.catalog.names.length]!;
    const edition = Math.floor(i / profile.catalog.names.length);
    const title = edition
      ? `${name} ${['Classic', 'Studio', 'Limited', 'Travel', 'Signature'][edition % 5]}`
      : name;
    const price = Math.round(rng.between(profile.catalog.minPrice, profile.catalog.maxPrice)) - 0.05;
    return {
      productId: String(8_900_000_000_000 + i),
      variantId: String(47_100_000_000_000 + i * 10),
      title,
      variantTitle: rng.pick(['S', 'M', 'L', '30 ml', '50 ml', 'One size']),
      sku: `${profile.name.slice(0, 2).toUpperCase()}-${1000 + i}`,
      handle: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      price,
    };
  });
}

/**
 * Simulates a store's shoppers over a period and writes what the store would send Reclaim (the replay
 * NDJSON of CONTRACT.md, webhooks signed) and the ground truth the scorer judges Reclaim by.
 * Deterministic: the same options give byte-identical files.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationMeta> {
  const profile = STORE_PROFILES[options.profile];
  if (!profile)
    throw new Error(`unknown store profile ${options.profile} (${Object.keys(STORE_PROFILES).join(', ')})`);
  const start = options.start ?? DEFAULT_START;
  const settings: SimulationSettings = {
    seed: options.seed,
    profile,
    catalog: catalogOf(profile),
    period: { start, end: start + options.days * DAY },
    windows: options.windows ?? { browse: 2 * 3_600_000, cart: 3_600_000, checkout: 3_600_000 },
    lookback: options.lookback ?? 100 * DAY,
    browseCap: options.browseCap ?? DAY,
    quietAfterPurchase: options.quietAfterPurchase ?? DAY,
    webhookSecret: options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET,
  };
  mkdirSync(options.out, { recursive: true });
  const input = createWriteStream(join(options.out, SIMULATION_FILES.input));
  const truth = createWriteStream(join(options.out, SIMULATION_FILES.truth));
  let lines = 0;
  let episodes = 0;
  let inputChunk = '';
  let truthChunk = '';
  const flush = async (force = false) => {
    if (inputChunk.length > 1 << 20 || (force && inputChunk)) {
      if (!input.write(inputChunk)) await once(input, 'drain');
      inputChunk = '';
    }
    if (truthChunk.length > 1 << 20 || (force && truthChunk)) {
      if (!truth.write(truthChunk)) await once(truth, 'drain');
      truthChunk = '';
    }
  };
  const shopperTruth: string[] = [];
  for (let i = 0; i < options.shoppers; i++) {
    const result = simulateShopper(i, settings);
    for (const line of result.lines) inputChunk += `${JSON.stringify(line)}\n`;
    lines += result.lines.length;
    episodes += result.truth.episodes.length;
    shopperTruth.push(JSON.stringify({ type: 'shopper', ...result.truth }));
    if (shopperTruth.length >= 500) {
      truthChunk += `${shopperTruth.join('\n')}\n`;
      shopperTruth.length = 0;
    }
    await flush();
    if (i % 250 === 0 || i === options.shoppers - 1) options.onProgress?.(i + 1, options.shoppers);
  }
  if (shopperTruth.length) truthChunk += `${shopperTruth.join('\n')}\n`;
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
    lines,
    episodes,
  };
  truthChunk += `${JSON.stringify(meta)}\n`;
  await flush(true);
  input.end();
  truth.end();
  await Promise.all([once(input, 'finish'), once(truth, 'finish')]);
  return meta;
}
