import { once } from 'node:events';
import { parentPort, Worker } from 'node:worker_threads';

/** Loads the module through tsx, as `bin/reclaim.js` does: a worker thread does not inherit loaders. */
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.loader)
  .then((tsx) => { tsx.register(); return import(workerData.entry); })
  .then(() => parentPort.postMessage('ready'), (error) => { throw error; });
`;

/**
 * Starts a worker thread running the TypeScript module `entry` (its `workerData.data` is `data`) and
 * resolves once the module has loaded; a module that fails to load rejects. The thread does not keep the
 * process alive.
 */
async function startTsWorker(entry: URL, data: unknown = {}): Promise<Worker> {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { loader: import.meta.resolve('tsx/esm/api'), entry: entry.href, data },
  });
  const [ready] = (await Promise.race([once(worker, 'message'), once(worker, 'error')])) as unknown[];
  if (ready !== 'ready') {
    await worker.terminate();
    throw ready instanceof Error ? ready : new Error(`worker ${entry.pathname} failed to start`);
  }
  worker.unref();
  return worker;
}

type Answer<Reply> = { id: number; reply: Reply } | { id: number; defect: string };

export interface ChannelOptions {
  /** The module's `workerData.data`. */
  data?: unknown;
  /** What requests in flight fail with when the thread stops. */
  stopped?: () => Error;
  /** Told once when the thread stops (crashed, exited or terminated). */
  onStop?: () => void;
}

/**
 * Requests to a TypeScript worker thread that answers them with `serveRequests`, each answered once and
 * matched by id. The thread keeps the process alive while requests are in flight; when it stops, they fail.
 */
export class WorkerChannel<Request, Reply> {
  readonly #pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: unknown) => void }
  >();
  #nextId = 0;
  #stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly stopped: () => Error,
    onStop: () => void,
  ) {
    worker.on('message', (answer: Answer<Reply>) => {
      const request = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if (this.#pending.size === 0) worker.unref();
      if ('reply' in answer) request?.resolve(answer.reply);
      else request?.reject(new Error(`worker: ${answer.defect}`));
    });
    const stop = () => {
      if (this.#stopped) return;
      this.#stopped = true;
      for (const request of this.#pending.values()) request.reject(this.stopped());
      this.#pending.clear();
      onStop();
    };
    worker.on('error', stop);
    worker.on('exit', stop);
  }

  static async start<Request, Reply>(
    entry: URL,
    options: ChannelOptions = {},
  ): Promise<WorkerChannel<Request, Reply>> {
    const worker = await startTsWorker(entry, options.data);
    return new WorkerChannel<Request, Reply>(
      worker,
      options.stopped ?? (() => new Error(`worker ${entry.pathname} stopped`)),
      options.onStop ?? (() => undefined),
    );
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  request(body: Request): Promise<Reply> {
    if (this.#stopped) return Promise.reject(this.stopped());
    const id = ++this.#nextId;
    this.worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, body });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The worker's side of a `WorkerChannel`: answers each request with `handle`; a throw is a defect. */
export function serveRequests<Request, Reply>(handle: (body: Request) => Reply): void {
  parentPort!.on('message', ({ id, body }: { id: number; body: Request }) => {
    try {
      parentPort!.postMessage({ id, reply: handle(body) });
    } catch (error) {
      parentPort!.postMessage({ id, defect: error instanceof Error ? error.message : String(error) });
    }
  });
}
