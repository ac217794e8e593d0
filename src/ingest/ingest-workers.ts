import { WorkerChannel } from '../runtime/ts-worker.ts';
import { apiError } from '../http/errors/api-error.ts';
import type { TrackingGate } from '../event-log/tracking-gate.ts';
import { prepareCall, type PreparedCall, type IngestCall } from './prepared-ingest.ts';

/** Turns Segment and pixel calls into stored rows: in-process, or on worker threads (`IngestWorkers`). */
export interface CallPreparer {
  prepare(call: IngestCall): Promise<PreparedCall>;
  close(): Promise<void>;
}

/** Prepares on the calling thread. */
export const inProcessPreparer = (gate: TrackingGate): CallPreparer => ({
  prepare: (call) => Promise.resolve(prepareCall(call, gate)),
  close: () => Promise.resolve(),
});

/**
 * Bodies smaller than this are prepared in-process: handing a call to a thread and back costs more than
 * preparing a pixel request of a few events (measured: single pixel events lost ~10 % of their rate).
 */
const OFF_THREAD_BYTES = 8 * 1024;

type Thread = WorkerChannel<IngestCall, PreparedCall>;

/**
 * Parsing, validating, mapping and serialising a batch costs about as much as storing it. These threads
 * do that part for large bodies, so the main thread receives requests and commits rows while another core
 * prepares the next batches. Each call goes to the thread with the fewest calls in hand; a thread that
 * dies fails the calls it held (the client retries; nothing was acknowledged) and is replaced.
 */
export class IngestWorkers implements CallPreparer {
  readonly #threads: Thread[] = [];
  readonly #inProcess: CallPreparer;
  #closing = false;

  private constructor(
    gate: TrackingGate,
    private readonly offThreadBytes: number,
  ) {
    this.#inProcess = inProcessPreparer(gate);
  }

  /**
   * Starts `count` threads and waits until each has loaded the ingest code. `gate` serves the calls
   * prepared here; the threads apply the one their entry names (`ingest-worker-entry.ts`).
   */
  static async start(
    count: number,
    gate: TrackingGate,
    offThreadBytes = OFF_THREAD_BYTES,
  ): Promise<IngestWorkers> {
    const pool = new IngestWorkers(gate, offThreadBytes);
    await Promise.all(Array.from({ length: count }, () => pool.#spawn()));
    return pool;
  }

  async #spawn(): Promise<void> {
    const thread: Thread = await WorkerChannel.start(new URL('./ingest-worker-entry.ts', import.meta.url), {
      stopped: () => apiError('RECLAIM_ERR_UNAVAILABLE', 'the call could not be prepared; retry it'),
      onStop: () => {
        const index = this.#threads.indexOf(thread);
        if (index !== -1) this.#threads.splice(index, 1);
        if (!this.#closing) void this.#spawn().catch(() => undefined);
      },
    });
    this.#threads.push(thread);
  }

  prepare(call: IngestCall): Promise<PreparedCall> {
    if (call.body.byteLength < this.offThreadBytes) return this.#inProcess.prepare(call);
    const thread = this.#threads.reduce<Thread | undefined>(
      (best, t) => (best === undefined || t.inFlight < best.inFlight ? t : best),
      undefined,
    );
    // Every thread died at once and none is back yet: prepare here rather than refuse.
    return thread ? thread.request(call) : this.#inProcess.prepare(call);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#threads.map((t) => t.terminate()));
  }
}
