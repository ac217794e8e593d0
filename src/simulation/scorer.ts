import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config/load-config.ts';
import { replayFile, type ReplaySummary } from '../app/replay/replay.ts';
import { triggersWithDelivery, type TriggerWithDelivery } from '../delivery/triggers-with-delivery.ts';
import type { TriggerBody } from '../journeys/firing.ts';
import { ManualClock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { openScratchStore } from '../store/store.ts';
import { ShopifyAdminClient } from '../shopify/shopify-admin-api.ts';
import { runShopifyImport, type ImportReport } from '../shopify/shopify-import.ts';
import { KlaviyoStandIn, type RecordedKlaviyoEvent } from '../stand-ins/klaviyo-stand-in.ts';
import { ShopifyStandIn } from '../stand-ins/shopify-stand-in.ts';
import type { Episode, EpisodeLabel, EpisodeStage } from './ground-truth.ts';
import { emailAllowed, smsAllowed } from './sim-law.ts';
import type { ShopperTruth } from './simulate-shopper.ts';
import { SIMULATION_FILES, type SimulationMeta } from './simulator.ts';
import { storeProfile } from './store-profiles.ts';

/**
 * When Reclaim was installed, which decides what it could know: `running` — before the period, so every
 * webhook and consent decision before it reached Reclaim (the whole input is replayed); `day_one` — as
 * the period began, knowing nothing before it; `day_one_import` — as the period began, with the store's
 * customer base (`customers.jsonl`, `orders.jsonl`) imported first through `reclaim shopify import`.
 */
export type Install = 'running' | 'day_one' | 'day_one_import';
export const INSTALLS: readonly Install[] = ['running', 'day_one', 'day_one_import'];

/** An episode's label for an install. */
export function labelFor(episode: Episode, install: Install): EpisodeLabel {
  if (install === 'day_one') return episode.labelOnDayOne;
  if (install === 'day_one_import') return episode.labelWithImport;
  return episode.label;
}

/** A trigger matches an episode whose due time is this close to its own (event time). */
const MATCH_TOLERANCE = 2 * 60_000;
const STAGES: EpisodeStage[] = ['browse', 'cart', 'checkout'];

export interface StageScore {
  episodes: number;
  reachable: number;
  /** Episodes Klaviyo's own tracking reached; of those, the reachable ones. */
  native: number;
  nativeReachable: number;
  /** Reachable episodes Reclaim reached (a Klaviyo event for a trigger that matches it). */
  reached: number;
  /** Reached episodes the native baseline missed. */
  reachedBeyondNative: number;
  recall: number;
  recallOfAll: number;
  /** The native baseline's share of all episodes (SIMULATION.md calibrates it to 30–40 %). */
  nativeShare: number;
  /** Reachable episodes Reclaim reached ÷ reachable episodes the native baseline reached. */
  uplift: number;
  wrongPerson: number;
  afterPurchase: number;
  duplicates: number;
  violations: number;
  /** Trigger time minus due time, event time (seconds). */
  lateness: { median: number; p99: number; max: number };
  /**
   * Klaviyo's receipt of the event minus the episode's due time, event time (seconds), for sends that
   * include an email (a text-only send may wait for the recipient's daytime, as the law asks). Replay
   * delivers at the end of each step, up to a minute of event time after a trigger fires; the live
   * server delivers as soon as it fires.
   */
  deliveryLateness: { median: number; p99: number; max: number };
}

export interface Scores {
  simulation: Omit<SimulationMeta, 'type' | 'webhookSecret'>;
  install: Install;
  /** With `day_one_import`: the customer base's lines and the events the import stored from them. */
  imported?: ImportReport['counts'];
  replay: ReplaySummary;
  overall: StageScore;
  byStage: Record<EpisodeStage, StageScore>;
  /** Episodes by label: why the rest was out of reach. */
  labels: Record<string, number>;
  /**
   * Sent triggers that match no episode, reachable episodes Reclaim missed (a sample of ids), and
   * every reachable episode it reached (ids, in truth order).
   */
  diagnostics: {
    unmatchedSent: number;
    missed: string[];
    reached: string[];
    violationsBy: Record<string, number>;
  };
}

/** Reads `truth.ndjson`: the shoppers and the run's meta line. */
export async function readTruth(dir: string): Promise<{ meta: SimulationMeta; shoppers: ShopperTruth[] }> {
  const shoppers: ShopperTruth[] = [];
  let meta: SimulationMeta | undefined;
  const reader = createInterface({
    input: createReadStream(join(dir, SIMULATION_FILES.truth)),
    crlfDelay: Infinity,
  });
  for await (const line of reader) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as ({ type: 'shopper' } & ShopperTruth) | SimulationMeta;
    if (record.type === 'meta') meta = record;
    else shoppers.push(record);
  }
  if (!meta)
    throw new Error(`${join(dir, SIMULATION_FILES.truth)} has no meta line: the simulation did not finish`);
  return { meta, shoppers };
}

/** Config overrides a scored replay runs with: the simulation's rules, deliveries into `klaviyoUrl`. */
export function scoringOverrides(meta: SimulationMeta, klaviyoUrl: string): Record<string, unknown> {
  return {
    'journeys.browseAfter': meta.windows.browse,
    'journeys.cartAfter': meta.windows.cart,
    'journeys.checkoutAfter': meta.windows.checkout,
    'journeys.browseCap': meta.browseCap,
    'journeys.quietAfterPurchase': meta.quietAfterPurchase,
    'identity.lookback': meta.lookback,
    'consent.checkoutMarketingBox': meta.checkoutMarketingBox,
    'klaviyo.apiKey': KlaviyoStandIn.DEFAULT_KEY,
    'klaviyo.baseUrl': klaviyoUrl,
    'klaviyo.rateLimitShare': 1,
  };
}

export interface ScoreOptions {
  /** The simulation's folder (`input.ndjson`, `truth.ndjson`). */
  dir: string;
  /** Where to replay: a fresh SQLite file (default), or a new schema on this PostgreSQL. Dropped after. */
  databaseUrl?: string;
  /** When Reclaim was installed (default `running`). */
  install?: Install;
  log: Logger;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Replays a simulation through the real engine into the Klaviyo stand-in, on a fresh database with the
 * simulation's rules and nothing else configured, then judges every Klaviyo event against the ground
 * truth: which episode it was for (the journey's browsers and tokens name the shopper; stage and due
 * time name the episode), whether it reached the right person, after a purchase, more than once, on a
 * channel the law did not allow — and how many reachable episodes it reached.
 */
export async function scoreSimulation(options: ScoreOptions): Promise<Scores> {
  const { meta, shoppers } = await readTruth(options.dir);
  const install = options.install ?? 'running';
  const periodStart = Date.parse(meta.start);
  const clock = new ManualClock(0);
  const standIn = new KlaviyoStandIn({ clock: () => clock.now() });
  const store = await openScratchStore(options.databaseUrl);
  try {
    await migrateToLatest(store);
    const config = loadConfig({
      env: {},
      overrides: scoringOverrides(meta, await standIn.start()),
    });
    const imported =
      install === 'day_one_import' ? await importCustomerBase(options.dir, meta, store) : undefined;
    const replay = await replayFile({
      file: join(options.dir, SIMULATION_FILES.input),
      ...(install === 'running' ? {} : { from: periodStart }),
      config,
      store,
      log: options.log,
      clock,
      partnersOnReplayClock: true,
      onProgress: options.onProgress,
    });
    const rows = await triggersWithDelivery(store.db, 'klaviyo');
    return {
      ...judge(meta, shoppers, install, replay, rows, standIn.events),
      ...(imported ? { imported: imported.counts } : {}),
    };
  } finally {
    await store.close();
    await standIn.close();
  }
}

/**
 * Runs `reclaim shopify import` as the period begins, on the simulation's customer base served by the
 * Shopify stand-in as its bulk exports: the same queries, download, mapping and storage as on a real shop.
 */
async function importCustomerBase(
  dir: string,
  meta: SimulationMeta,
  store: Awaited<ReturnType<typeof openScratchStore>>,
): Promise<ImportReport> {
  const periodStart = Date.parse(meta.start);
  const shopify = new ShopifyStandIn({
    clock: () => periodStart,
    exportFiles: {
      customers: join(dir, SIMULATION_FILES.customers),
      orders: join(dir, SIMULATION_FILES.orders),
    },
  });
  const noWait = () => Promise.resolve();
  try {
    const shop = storeProfile(meta.profile)?.shop ?? ShopifyStandIn.SHOP;
    const client = new ShopifyAdminClient({
      shop,
      accessToken: ShopifyStandIn.DEFAULT_TOKEN,
      baseUrl: await shopify.start(),
      sleep: noWait,
    });
    return await runShopifyImport({
      client,
      store,
      shop,
      days: meta.importDays,
      now: () => periodStart,
      sleep: noWait,
    });
  } finally {
    await shopify.close();
  }
}

/** Judges what Reclaim fired and what reached Klaviyo against the ground truth. */
function judge(
  meta: SimulationMeta,
  shoppers: readonly ShopperTruth[],
  install: Install,
  replay: ReplaySummary,
  rows: readonly TriggerWithDelivery[],
  klaviyoEvents: readonly RecordedKlaviyoEvent[],
): Scores {
  const byEmail = new Map<string, ShopperTruth>();
  const byPhone = new Map<string, ShopperTruth>();
  const byDevice = new Map<string, ShopperTruth>();
  for (const s of shoppers) {
    byEmail.set(s.email, s);
    if (s.phone) byPhone.set(s.phone, s);
    for (const id of s.clientIds) byDevice.set(`clientId:${id}`, s);
    for (const t of s.cartTokens) byDevice.set(`cart:${t}`, s);
    for (const t of s.checkoutTokens) byDevice.set(`checkout:${t}`, s);
  }
  const sentEvents = new Map<string, RecordedKlaviyoEvent[]>();
  for (const event of klaviyoEvents) {
    const triggerId = event.uniqueId.replace(/-sms$/, '');
    sentEvents.set(triggerId, [...(sentEvents.get(triggerId) ?? []), event]);
  }
  const reachedEpisodes = new Map<string, number>();
  const stats = emptyStats();
  const violationsBy: Record<string, number> = {};
  let unmatchedSent = 0;
  for (const row of rows) {
    const trigger = JSON.parse(row.body_json) as TriggerBody;
    const events = sentEvents.get(trigger.id) ?? [];
    if (events.length === 0) continue;
    const state = JSON.parse(row.journey_state_json) as {
      devices: string[];
      cartTokens: string[];
      checkoutTokens: string[];
    };
    const owners = new Set(
      [
        ...state.devices,
        ...state.cartTokens.map((t) => `cart:${t}`),
        ...state.checkoutTokens.map((t) => `checkout:${t}`),
      ].flatMap((key) => (byDevice.has(key) ? [byDevice.get(key)!] : [])),
    );
    const stage = trigger.stage;
    const s = stats[stage];
    const recipients = events.flatMap((e) => [
      ...(typeof e.profile.email === 'string' ? [byEmail.get(e.profile.email)] : []),
      ...(typeof e.profile.phone_number === 'string' ? [byPhone.get(e.profile.phone_number)] : []),
    ]);
    if (recipients.some((r) => !r || !owners.has(r))) s.wrongPerson++;
    const owner = recipients.find((r) => r && owners.has(r)) ?? [...owners][0];
    if (!owner) {
      unmatchedSent++;
      continue;
    }
    if (owner.purchases.some((p) => p >= Number(row.journey_started_at) && p <= trigger.firedAt))
      s.afterPurchase++;
    const channels = { email: 0, sms: 0 };
    for (const e of events) {
      if (typeof e.profile.email === 'string') {
        channels.email++;
        if (
          !emailAllowed(
            owner.regime,
            { marks: owner.email_history, purchases: owner.purchases },
            trigger.firedAt,
          )
        ) {
          s.violations++;
          violationsBy[`email:${owner.regime}`] = (violationsBy[`email:${owner.regime}`] ?? 0) + 1;
        }
      }
      if (typeof e.profile.phone_number === 'string') {
        channels.sms++;
        if (!smsAllowed(owner.sms_history, trigger.firedAt)) {
          s.violations++;
          violationsBy.sms = (violationsBy.sms ?? 0) + 1;
        }
      }
    }
    if (channels.email > 1 || channels.sms > 1) s.duplicates++;
    const episode = nearest(owner.episodes, stage, trigger.dueAt);
    if (!episode) {
      unmatchedSent++;
      continue;
    }
    if (labelFor(episode, install) === 'no_tracking_consent') {
      s.violations++;
      violationsBy.tracking = (violationsBy.tracking ?? 0) + 1;
    }
    const times = (reachedEpisodes.get(episode.id) ?? 0) + 1;
    reachedEpisodes.set(episode.id, times);
    if (times > 1) s.duplicates++;
    s.lateness.push((trigger.firedAt - episode.dueAt) / 1000);
    const sentChannels = row.outcome_json
      ? ((JSON.parse(row.outcome_json) as { channels?: string[] }).channels ?? [])
      : [];
    if (row.delivered_at !== null && sentChannels.includes('email'))
      s.deliveryLateness.push((row.delivered_at - episode.dueAt) / 1000);
  }

  const labels: Record<string, number> = {};
  const missed: string[] = [];
  const reached: string[] = [];
  for (const shopper of shoppers) {
    for (const e of shopper.episodes) {
      const s = stats[e.stage];
      const label = labelFor(e, install);
      labels[label] = (labels[label] ?? 0) + 1;
      s.episodes++;
      if (e.native) s.native++;
      if (label !== 'reachable') continue;
      s.reachable++;
      if (e.native) s.nativeReachable++;
      if (reachedEpisodes.has(e.id)) {
        reached.push(e.id);
        s.reached++;
        if (!e.native) s.reachedBeyondNative++;
      } else if (missed.length < 50) missed.push(e.id);
    }
  }
  const byStage = Object.fromEntries(STAGES.map((stage) => [stage, finish(stats[stage])])) as Record<
    EpisodeStage,
    StageScore
  >;
  const { webhookSecret: _secret, type: _type, ...simulation } = meta;
  return {
    simulation,
    install,
    replay,
    overall: finish(mergeStats(STAGES.map((stage) => stats[stage]))),
    byStage,
    labels,
    diagnostics: { unmatchedSent, missed, reached, violationsBy },
  };
}

/**
 * The episode a trigger is for: same stage, due within the episode's span (a trigger can come early when
 * activity Reclaim could not observe kept the shopper busy) or at most a little after it.
 */
function nearest(episodes: readonly Episode[], stage: EpisodeStage, dueAt: number): Episode | undefined {
  let best: Episode | undefined;
  for (const e of episodes) {
    if (e.stage !== stage || dueAt < e.startAt - MATCH_TOLERANCE || dueAt > e.dueAt + MATCH_TOLERANCE)
      continue;
    if (!best || Math.abs(e.dueAt - dueAt) < Math.abs(best.dueAt - dueAt)) best = e;
  }
  return best;
}

interface RawStats {
  episodes: number;
  reachable: number;
  native: number;
  nativeReachable: number;
  reached: number;
  reachedBeyondNative: number;
  wrongPerson: number;
  afterPurchase: number;
  duplicates: number;
  violations: number;
  lateness: number[];
  deliveryLateness: number[];
}

function emptyStats(): Record<EpisodeStage, RawStats> {
  const empty = (): RawStats => ({
    episodes: 0,
    reachable: 0,
    native: 0,
    nativeReachable: 0,
    reached: 0,
    reachedBeyondNative: 0,
    wrongPerson: 0,
    afterPurchase: 0,
    duplicates: 0,
    violations: 0,
    lateness: [],
    deliveryLateness: [],
  });
  return { browse: empty(), cart: empty(), checkout: empty() };
}

function mergeStats(parts: RawStats[]): RawStats {
  const total = emptyStats().browse;
  for (const p of parts) {
    for (const key of Object.keys(total) as (keyof RawStats)[]) {
      if (key === 'lateness' || key === 'deliveryLateness') total[key].push(...p[key]);
      else total[key] += p[key];
    }
  }
  return total;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);

/** Median, 99th percentile and maximum of a list of seconds. */
function spread(values: readonly number[]): { median: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  return { median: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

function finish(s: RawStats): StageScore {
  return {
    episodes: s.episodes,
    reachable: s.reachable,
    native: s.native,
    nativeReachable: s.nativeReachable,
    reached: s.reached,
    reachedBeyondNative: s.reachedBeyondNative,
    recall: ratio(s.reached, s.reachable),
    recallOfAll: ratio(s.reached, s.episodes),
    nativeShare: ratio(s.native, s.episodes),
    uplift: ratio(s.reached, s.nativeReachable),
    wrongPerson: s.wrongPerson,
    afterPurchase: s.afterPurchase,
    duplicates: s.duplicates,
    violations: s.violations,
    lateness: spread(s.lateness),
    deliveryLateness: spread(s.deliveryLateness),
  };
}

/** The scores as a table for a terminal. */
export function scoreTable(scores: Scores): string {
  const rows: [string, StageScore][] = [
    ...STAGES.map((s) => [s, scores.byStage[s]] as [string, StageScore]),
    ['all', scores.overall],
  ];
  const head = [
    'stage',
    'episodes',
    'reachable',
    'reached',
    'recall',
    'recall/all',
    'native',
    'uplift',
    'wrong',
    'after buy',
    'dupes',
    'violations',
    'late p50',
    'late p99',
    'sent p99',
  ];
  const body = rows.map(([name, s]) => [
    name,
    s.episodes,
    s.reachable,
    s.reached,
    s.recall.toFixed(3),
    s.recallOfAll.toFixed(3),
    `${(s.nativeShare * 100).toFixed(1)}%`,
    `${s.uplift.toFixed(2)}×`,
    s.wrongPerson,
    s.afterPurchase,
    s.duplicates,
    s.violations,
    `${s.lateness.median}s`,
    `${s.lateness.p99}s`,
    `${Math.round(s.deliveryLateness.p99)}s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/**
 * Day one without and with the customer base imported first, per stage: reachable and reached
 * episodes, what the import adds, and the precision scores of each (wrong person, after purchase,
 * duplicates and violations, summed).
 */
export function importComparisonTable(plain: Scores, imported: Scores): string {
  const rows: [string, StageScore, StageScore][] = [
    ...STAGES.map((s) => [s, plain.byStage[s], imported.byStage[s]] as [string, StageScore, StageScore]),
    ['all', plain.overall, imported.overall],
  ];
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  const misses = (s: StageScore) => s.wrongPerson + s.afterPurchase + s.duplicates + s.violations;
  const head = [
    'stage',
    'episodes',
    'reachable',
    'w/ import',
    'added',
    'reached',
    'w/ import',
    'added',
    'precision misses',
    'w/ import',
  ];
  const body = rows.map(([name, a, b]) => [
    name,
    a.episodes,
    a.reachable,
    b.reachable,
    signed(b.reachable - a.reachable),
    a.reached,
    b.reached,
    signed(b.reached - a.reached),
    misses(a),
    misses(b),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
