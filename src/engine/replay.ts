import { closeSync, openSync, readSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Config } from '../config/config-schema.ts';
import { consentTrackingGate } from '../consent/tracking-gate.ts';
import { consentEvent } from '../ingest/consent-endpoint/consent-mapper.ts';
import { EventLog } from '../ingest/event-log.ts';
import { Ingestor } from '../ingest/ingestor.ts';
import { pixelEvents } from '../ingest/pixel/pixel-ingest.ts';
import { signalsFrom } from '../ingest/request-signals.ts';
import { segmentEvents } from '../ingest/segment/segment-ingest.ts';
import { acceptWebhook } from '../ingest/shopify/webhook-ingest.ts';
import { fireAllDue } from '../journeys/scheduler.ts';
import { ManualClock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { ApiError } from '../server/api-error.ts';
import { parseJsonExact } from '../server/json-body.ts';
import type { Store } from '../store/store.ts';
import { DeliveryRunner } from '../delivery/delivery-runner.ts';
import { Outbox } from '../delivery/outbox.ts';
import { createEngine } from './engine.ts';

/** One recorded request (CONTRACT.md "Event time and replay"). */
const lineSchema = z.looseObject({
  at: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'at must be an ISO-8601 time'),
  kind: z.enum(['segment', 'pixel', 'shopify', 'consent']),
  path: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown(),
});
type ReplayLine = z.output<typeof lineSchema>;

/** Most lines ingested per step; timers inside a step fire in event-time order between its events. */
const CHUNK = 2000;
/**
 * How late (event time) a step may end after a journey fell due. The journey itself fires at its due
 * time, between the events of the step; only its delivery waits for the step to end, so deliveries
 * leave at most this late — and a replay of a month is not a step per trigger.
 */
const TIMER_STEP = 60_000;

/** The earliest due time of an open journey, or Infinity. */
async function nextDueAt(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('journeys')
    .select((eb) => eb.fn.min<number>('due_at').as('at'))
    .where('status', '=', 'open')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? Number.POSITIVE_INFINITY : Number(row.at);
}

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

interface Indexed {
  at: number;
  offset: number;
  length: number;
}

/** Pass one: where each line is and when it happened, without keeping the lines in memory. */
async function indexFile(file: string): Promise<Indexed[]> {
  const lines: Indexed[] = [];
  let offset = 0;
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of reader) {
    const length = Buffer.byteLength(line);
    if (line.trim()) {
      const quick = /"at"\s*:\s*"([^"]+)"/.exec(line.slice(0, 300));
      const at = Date.parse(quick?.[1] ?? String((JSON.parse(line) as { at?: unknown }).at));
      lines.push({ at: Number.isFinite(at) ? at : Number.NEGATIVE_INFINITY, offset, length });
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
  const index = await indexFile(options.file);
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
  const ingestor = new Ingestor(new EventLog(store), consentTrackingGate);
  const outbox = new Outbox(store);
  const summary: ReplaySummary = {
    lines: index.length,
    rejected: {},
    events: { stored: 0, duplicates: 0 },
    triggers: { browse: 0, cart: 0, checkout: 0, total: 0 },
    deliveries: {},
    clock: { from: new Date(first).toISOString(), until: '' },
  };
  const reject = (code: string) => (summary.rejected[code] = (summary.rejected[code] ?? 0) + 1);
  const shortest = Math.min(
    config.journeys.browseAfter,
    config.journeys.cartAfter,
    config.journeys.checkoutAfter,
  );
  let pending: Promise<void>[] = [];
  let stepStart = first;
  let nextDue = await nextDueAt(store);
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
    if (pending.length > 0) {
      uncommitted += pending.length;
      await Promise.all(pending);
      pending = [];
      await engine.processor.drain();
    }
    if (nextDue <= clock.now()) await fireAllDue(engine.scheduler, clock.now());
    if (((await outbox.nextDueAt(delivery.destinations)) ?? Infinity) <= clock.now()) {
      commit(true);
      await delivery.drain();
    } else if (uncommitted >= CHUNK) commit(true);
    nextDue = await nextDueAt(store);
  };
  const fd = openSync(options.file, 'r');
  try {
    for (let i = 0; i < index.length; i++) {
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
      const buffer = Buffer.alloc(entry.length);
      readSync(fd, buffer, 0, entry.length, entry.offset);
      let line: ReplayLine;
      try {
        const parsed = lineSchema.safeParse(parseJsonExact(buffer));
        if (!parsed.success) throw new ApiError('RECLAIM_ERR_INVALID_SHAPE', parsed.error.issues[0]!.message);
        line = parsed.data;
      } catch (error) {
        reject(error instanceof ApiError ? error.code : 'RECLAIM_ERR_MALFORMED_JSON');
        continue;
      }
      clock.advanceTo(Date.parse(line.at));
      pending.push(
        dispatch(line, ingestor, config, clock.now()).then(
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
    closeSync(fd);
  }
  const longest = Math.max(
    config.journeys.browseAfter,
    config.journeys.cartAfter,
    config.journeys.checkoutAfter,
  );
  const until = options.until ?? clock.now() + longest + 60_000;
  clock.advanceTo(until);
  await engine.processor.drain();
  await fireAllDue(engine.scheduler, until);
  commit(false);
  summary.clock.until = new Date(clock.now()).toISOString();
  await delivery.settleAll(clock);
  const stages = await store.db
    .selectFrom('triggers')
    .select(['stage', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('stage')
    .execute();
  for (const row of stages) {
    summary.triggers[row.stage as 'browse'] = Number(row.n);
    summary.triggers.total += Number(row.n);
  }
  const deliveries = await store.db
    .selectFrom('deliveries')
    .select(['destination', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['destination', 'status'])
    .execute();
  for (const row of deliveries) (summary.deliveries[row.destination] ??= {})[row.status] = Number(row.n);
  return summary;
}

/** One line through the same code the live endpoint runs after authentication (webhooks: after the HMAC). */
async function dispatch(
  line: ReplayLine,
  ingestor: Ingestor,
  config: Config,
  receivedAt: number,
): Promise<{ stored: number; duplicates: number }> {
  const headers = Object.fromEntries(
    Object.entries(line.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const signals = signalsFrom(
    headers,
    headers['x-forwarded-for']?.split(',')[0]?.trim(),
    config.geo,
    receivedAt,
  );
  switch (line.kind) {
    case 'segment':
      return ingestor.accept(segmentEvents(line.path ?? '/v1/batch', line.body, signals));
    case 'pixel':
      return ingestor.accept(pixelEvents(line.body, signals, config.consent.bannerWordingVersion));
    case 'consent':
      return ingestor.accept([consentEvent(line.body, signals)]);
    case 'shopify': {
      const result = await acceptWebhook(ingestor, headers, JSON.stringify(line.body), line.body, receivedAt);
      return result.status === 'accepted'
        ? { stored: result.events, duplicates: 0 }
        : { stored: 0, duplicates: result.status === 'duplicate' ? 1 : 0 };
    }
  }
}
