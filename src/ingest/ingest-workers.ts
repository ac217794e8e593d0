import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../runtime/ts-worker.ts';
import { apiError } from '../server/api-error.ts';
import { prepareCall, type PreparedCall, type IngestCall } from './prepared-ingest.ts';

/** Turns Segment and pixel calls into stored rows: in-process, or on worker threads (`IngestWorkers`). */
export interface CallPreparer {
  prepare(call: IngestCall): Promise<PreparedCall>;
  close(): Promise<void>;
}

/** Prepares on the calling thread. */
export const inProcessPreparer: CallPreparer = {
  prepare: (call) => Promise.resolve(prepareCall(call)),
  close: () => Promise.resolve(),
};

/**
 * Bodies smaller than this are prepared in-process: handing a call to a thread and back costs more than
 * preparing a pixel request of a few events (measured: single pixel events lost ~10 % of their rate).
 */
const OFF_THREAD_BYTES = 8 * 1024;

interface Job {
  resolve: (prepared: PreparedCall) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  jobs: Map<number, Job>;
}

/**
 * Parsing, validating, mapping and serialising a batch costs about as much as storing it. These threads
 * do that part for large bodies, so the main thread receives requests and commits rows while another core
 * prepares the next batches. Each call goes to the thread with the fewest calls in hand; a thread that
 * dies fails the calls it held (the client retries; nothing was acknowledged) and is replaced.
 */
export class IngestWorkers implements CallPreparer {
  readonly #threads: Thread[] = [];
  #nextId = 0;
  #closing = false;

  private constructor(private readonly offThreadBytes: number) {}

  /** Starts `count` threads and waits until each has loaded the ingest code. */
  static async start(count: number, offThreadBytes = OFF_THREAD_BYTES): Promise<IngestWorkers> {
    const pool = new IngestWorkers(offThreadBytes);
    await Promise.all(Array.from({ length: count }, () => pool.#spawn()));
    return pool;
  }

  async #spawn(): Promise<Thread> {
    const worker = await startTsWorker(new URL('./ingest-worker-entry.ts', import.meta.url));
    const thread: Thread = { worker, jobs: new Map() };
    worker.on('message', (message: { id: number; prepared?: PreparedCall; defect?: string }) => {
      const job = thread.jobs.get(message.id);
      thread.jobs.delete(message.id);
      if (message.prepared) job?.resolve(message.prepared);
      else job?.reject(new Error(`ingest worker: ${message.defect}`));
    });
    worker.on('error', () => this.#fail(thread));
    worker.on('exit', () => this.#fail(thread));
    this.#threads.push(thread);
    return thread;
  }

  #fail(thread: Thread): void {
    const index = this.#threads.indexOf(thread);
    if (index === -1) return;
    this.#threads.splice(index, 1);
    const error = apiError('RECLAIM_ERR_UNAVAILABLE', 'the call could not be prepared; retry it');
    for (const job of thread.jobs.values()) job.reject(error);
    thread.jobs.clear();
    if (!this.#closing) void this.#spawn().catch(() => undefined);
  }

  prepare(call: IngestCall): Promise<PreparedCall> {
    if (call.body.byteLength < this.offThreadBytes) return inProcessPreparer.prepare(call);
    const thread = this.#threads.reduce<Thread | undefined>(
      (best, t) => (best === undefined || t.jobs.size < best.jobs.size ? t : best),
      undefined,
    );
    // Every thread died at once and none is back yet: prepare here rather than refuse.
    if (!thread) return inProcessPreparer.prepare(call);
    const id = ++this.#nextId;
    return new Promise<PreparedCall>((resolve, reject) => {
      thread.jobs.set(id, { resolve, reject });
      thread.worker.postMessage({ id, call });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }
}
