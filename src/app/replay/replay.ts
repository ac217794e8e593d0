import { closeSync, createReadStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config } from '../../config/config-schema.ts';
import { consentTrackingGate } from '../../consent/tracking-gate.ts';
import { consentEvent } from '../../ingest/consent-endpoint/consent-mapper.ts';
import { EventLog } from '../../event-log/event-log.ts';
import { Ingestor } from '../../ingest/ingestor.ts';
import { acceptWebhook } from '../../ingest/shopify/webhook-ingest.ts';
import { ManualClock } from '../../runtime/clock.ts';
import type { Logger } from '../../runtime/logger.ts';
import { ApiError } from '../../http/errors/api-error.ts';
import type { Store } from '../../store/store.ts';
import { DeliveryRunner } from '../../delivery/delivery-runner.ts';
import { deliveryCounts } from '../../delivery/delivery-admin.ts';
import { Outbox } from '../../delivery/outbox.ts';
import { triggerCounts } from '../../journeys/trigger-repository.ts';
import { createEngine } from '../engine.ts';
import { LineReader, readAndPrepare, type IndexedLine } from './line-reader.ts';
import { lineHeaders, lineSignals, type PreparedLine } from './replay-line.ts';

/** Most lines ingested per step; timers inside a step fire in event-time order between its events. */
const CHUNK = 2000;
/**
 * How late (event time) a step may end after a journey fell due. The journey itself fires at its due
 * time, between the events of the step; only its delivery waits for the step to end, so deliveries
 * leave at most this late — and a replay of a month is not a step per trigger.
 */
const TIMER_STEP = 60_000;
/** Lines read and prepared at a time, the next chunk while the engine works on this one. */
const READ_AHEAD = 100;
/** Files this long are read on a thread of their own (`ingest.workers` > 0); shorter ones in-process. */
const THREADED_FROM_LINES = 2_000;

export interface ReplaySummary {
  lines: number;
  /** Lines refused as the live endpoint would have refused them, by error code. */
  rejected: Record<string, number>;
  events: { stored: number; duplicates: number };
  triggers: { browse: number; cart: number; checkout: number; total: number };
  deliveries: Record<string, Record<string, number>>;
  clock: { from: string; until: string };
}

export interface ReplayOptions {
  file: string;
  /** Lines before this time (ms) are left out, as for an install that began then. */
  from?: number;
  /** Run the clock on to this time after the last line (ms); default: last line + longest window + 1 min. */
  until?: number;
  config: Config;
  store: Store;
  log: Logger;
  /** Called after every step with lines done and total (progress display). */
  onProgress?: (done: number, total: number) => void;
  /** The replay clock, when the caller wants to see it move (tests scheduling a partner outage). */
  clock?: ManualClock;
  /** Benchmarks and tests only: the HTTP client deliveries use. */
  fetch?: typeof fetch;
  /**
   * The destinations are stand-ins whose rate limits follow the replay clock (scoring, the demo, the
   * benchmarks): partner limits then run in event time too. Against a real partner they stay real time.
   */
  partnersOnReplayClock?: boolean;
}

/** Pass one: where each line is and when it happened, without keeping the lines in memory. */
async function indexFile(file: string, from = Number.NEGATIVE_INFINITY): Promise<IndexedLine[]> {
  const lines: IndexedLine[] = [];
  let offset = 0;
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of reader) {
    const length = Buffer.byteLength(line);
    if (line.trim()) {
      const quick = /"at"\s*:\s*"([^"]+)"/.exec(line.slice(0, 300));
      const at = Date.parse(quick?.[1] ?? String((JSON.parse(line) as { at?: unknown }).at));
      const when = Number.isFinite(at) ? at : Number.NEGATIVE_INFINITY;
      if (!(when < from)) lines.push({ at: when, offset, length });
    }
    offset += length + 1;
  }
  // A stable sort: lines with the same time keep the file's order.
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => a.l.at - b.l.at || a.i - b.i)
    .map(({ l }) => l);
}

/**
 * Replays recorded requests through the live ingest path and the same engine, the clock following the
 * input: each line is ingested with the clock at its `at`, timers fire as the clock passes them, and after
 * the last line the clock runs on to `until`. Deliveries go to the configured destinations.
 */
export async function replayFile(options: ReplayOptions): Promise<ReplaySummary> {
  const { config, store } = options;
  const index = await indexFile(options.file, options.from);
  const first = index.find((l) => Number.isFinite(l.at))?.at ?? Date.now();
  const clock = options.clock ?? new ManualClock(first);
  clock.advanceTo(first);
  const engine = createEngine({ config, store, log: options.log, clock });
  const delivery = new DeliveryRunner({
    destinations: engine.destinations,
    store,
    clock,
    log: options.log,
    settings: config.delivery,
    fetch: options.fetch,
    ...(options.partnersOnReplayClock && { partnerClock: clock }),
  });
  const eventLog = new EventLog(store);
  const ingestor = new Ingestor(eventLog, consentTrackingGate);
  const outbox = new Outbox(store);
  const summary: ReplaySummary = {
    lines: index.length,
    rejected: {},
    events: { stored: 0, duplicates: 0 },
    triggers: { browse: 0, cart: 0, checkout: 0, total: 0 },
    deliveries: {},
    clock: { from: new Date(first).toISOString(), until: '' },
  };
  const rejected = new Map<string, number>();
  const reject = (code: string) => rejected.set(code, (rejected.get(code) ?? 0) + 1);
  const shortest = Math.min(
    config.journeys.browseAfter,
    config.journeys.cartAfter,
    config.journeys.checkoutAfter,
  );
  let pending: Promise<void>[] = [];
  let stepStart = first;
  let nextDue = await engine.pipeline.timers.nextDueAt();
  // Replay re-runs from its file after a crash, so its many small transactions may share commits: a
  // group is committed before anything is delivered (a partner never sees a trigger the database could
  // still lose) and at least every CHUNK lines.
  const group = store.commitGroup;
  let uncommitted = 0;
  group?.open();
  const commit = (reopen: boolean) => {
    group?.commit();
    uncommitted = 0;
    if (reopen) group?.open();
  };
  /** Ends a step: processes what it ingested, fires what is due, delivers. */
  const settle = async () => {
    const ingested = pending.length > 0;
    if (ingested) {
      uncommitted += pending.length;
      await Promise.all(pending);
      pending = [];
    }
    if (ingested || nextDue <= clock.now()) nextDue = await engine.pipeline.advanceTo(clock.now(), ingested);
    if (((await outbox.nextDueAt(delivery.destinations)) ?? Infinity) <= clock.now()) {
      commit(true);
      await delivery.drain();
    } else if (uncommitted >= CHUNK) commit(true);
  };
  const settings = { geo: config.geo, bannerWordingVersion: config.consent.bannerWordingVersion };
  let fd: number | undefined;
  const reader = await LineReader.open(
    options.file,
    settings,
    config.ingest.workers > 0 && index.length >= THREADED_FROM_LINES,
  );
  try {
    let prepared: PreparedLine[] = [];
    let next = reader.prepare(index.slice(0, READ_AHEAD));
    for (let i = 0; i < index.length; i++) {
      if (i % READ_AHEAD === 0) {
        prepared = await next;
        next = reader.prepare(index.slice(i + READ_AHEAD, i + 2 * READ_AHEAD));
      }
      const entry = index[i]!;
      // A step ends before a line that comes after a due time (the clock passes it first), after
      // CHUNK lines, or once it spans the shortest window (a journey it starts could fall due).
      if (
        pending.length >= CHUNK ||
        (pending.length > 0 && entry.at - stepStart >= shortest) ||
        entry.at > nextDue + TIMER_STEP
      ) {
        await settle();
        // Timers between the last line and this one fire at their time, deliveries right after.
        while (nextDue < entry.at) {
          clock.advanceTo(Math.min(entry.at, nextDue + TIMER_STEP));
          await settle();
        }
        stepStart = entry.at;
        options.onProgress?.(i, index.length);
      }
      let line = prepared[i % READ_AHEAD]!;
      if (line.outcome !== 'unreadable') {
        clock.advanceTo(line.at);
        // Prepared with the clock at the line's own time; should the clock already be past it (a line
        // whose time the index read differently), prepare it again with the time it is received at.
        if (clock.now() !== line.at) {
          fd ??= openSync(options.file, 'r');
          line = readAndPrepare(fd, [entry], settings, clock.now())[0]!;
        }
      }
      if (line.outcome === 'unreadable' || line.outcome === 'refused') {
        reject(line.code);
        continue;
      }
      pending.push(
        ingest(line, ingestor, eventLog, config, clock.now()).then(
          (result) => {
            summary.events.stored += result.stored;
            summary.events.duplicates += result.duplicates;
          },
          (error: unknown) => {
            if (!(error instanceof ApiError)) throw error;
            reject(error.code);
          },
        ),
      );
    }
    await settle();
    options.onProgress?.(index.length, index.length);
  } finally {
    await reader.close();
    if (fd !== undefined) closeSync(fd);
  }
  const longest = Math.max(
    config.journeys.browseAfter,
    config.journeys.cartAfter,
    config.journeys.checkoutAfter,
  );
  const until = options.until ?? clock.now() + longest + 60_000;
  clock.advanceTo(until);
  await engine.pipeline.advanceTo(until);
  commit(false);
  summary.clock.until = new Date(clock.now()).toISOString();
  await delivery.settleAll(clock);
  summary.triggers = await triggerCounts(store.db);
  summary.deliveries = await deliveryCounts(store.db);
  summary.rejected = Object.fromEntries(rejected);
  return summary;
}

/**
 * One line through the same code the live endpoint runs after authentication (webhooks: after the HMAC).
 * Segment and pixel lines arrive prepared (`prepareLine`); the event log stores their rows.
 */
async function ingest(
  prepared: Extract<PreparedLine, { outcome: 'rows' | 'line' }>,
  ingestor: Ingestor,
  eventLog: EventLog,
  config: Config,
  receivedAt: number,
): Promise<{ stored: number; duplicates: number }> {
  if (prepared.outcome === 'rows') return eventLog.appendRows(prepared.rows, prepared.counts);
  const { line } = prepared;
  if (line.kind === 'shopify') {
    const headers = lineHeaders(line);
    const result = await acceptWebhook(ingestor, headers, JSON.stringify(line.body), line.body, receivedAt);
    return result.status === 'accepted'
      ? { stored: result.events, duplicates: 0 }
      : { stored: 0, duplicates: result.status === 'duplicate' ? 1 : 0 };
  }
  return ingestor.accept([consentEvent(line.body, lineSignals(line, config.geo, receivedAt))]);
}
