import { simulateShopper, type SimulationSettings } from './simulate-shopper.ts';
import { storeProfile } from './store-profiles.ts';
import { catalogOf } from './catalog.ts';

/** Settings a worker can receive (plain data: the profile by name). */
export type BlockSettings = Omit<SimulationSettings, 'profile' | 'catalog'> & { profile: string };

export interface BlockTask {
  block: number;
  /** Shopper indexes [from, to). */
  from: number;
  to: number;
  settings: BlockSettings;
}

export interface BlockResult {
  block: number;
  /** The block's replay lines and truth records, NDJSON (text, or its UTF-8 bytes from a worker). */
  input: string | Uint8Array;
  truth: string | Uint8Array;
  /** The block's lines of the customer base: the customers and orders bulk exports (JSONL). */
  customers: string | Uint8Array;
  orders: string | Uint8Array;
  /** The events Klaviyo's own tracking records (`NativeKlaviyoLine`), NDJSON. */
  klaviyo: string | Uint8Array;
  lines: number;
  /** Events the lines carry (a pixel request can carry several). */
  events: number;
  episodes: number;
}

/** Simulates a block of shoppers: each shopper depends only on the seed and its index. */
export function simulateBlock(task: BlockTask): BlockResult {
  const profile = storeProfile(task.settings.profile)!;
  const settings: SimulationSettings = { ...task.settings, profile, catalog: catalogOf(profile) };
  let input = '';
  let truth = '';
  let customers = '';
  let orders = '';
  let klaviyo = '';
  let lines = 0;
  let events = 0;
  let episodes = 0;
  for (let i = task.from; i < task.to; i++) {
    const result = simulateShopper(i, settings);
    for (const line of result.lines) input += `${line}\n`;
    truth += `${JSON.stringify({ type: 'shopper', ...result.truth })}\n`;
    if (result.base.customer) customers += `${JSON.stringify(result.base.customer)}\n`;
    for (const order of result.base.orders) orders += `${JSON.stringify(order)}\n`;
    for (const event of result.klaviyo) klaviyo += `${JSON.stringify(event)}\n`;
    lines += result.lines.length;
    events += result.events;
    episodes += result.truth.episodes.length;
  }
  return { block: task.block, input, truth, customers, orders, klaviyo, lines, events, episodes };
}
