import { once } from 'node:events';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Commits between two looks at the log's size. */
const RESTART_CHECK_EVERY = 50;

/**
 * Copies SQLite's write-ahead log into the database file from a worker thread, so request handlers never
 * wait for a checkpoint's fsync. The main connection runs with `wal_autocheckpoint = 0`; the worker runs a
 * PASSIVE checkpoint (never blocks writers) every `intervalMs` on its own timer — a main thread busy with
 * a long run of database work (a replay, a backlog) never yields to timers, and the log would grow without
 * bound — and a TRUNCATE one on close. The main connection starts a log that grew large over
 * (`afterCommit`).
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #wal: string;
  #commits = 0;
  /** Shared with the worker: who is copying the log now (IDLE, WORKER, MAIN), so neither waits on the other. */
  readonly #copying = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    path: string,
    intervalMs = 1_000,
    /** Log size past which the main connection starts it over between transactions. */
    private readonly restartBytes = 64 * 2 ** 20,
  ) {
    this.#wal = `${path}-wal`;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs, copying: this.#copying },
    });
    this.#worker.unref();
  }

  /**
   * Called on the main connection after each commit. Passive checkpoints never start the log over while
   * writers keep it busy, and every page read searches the whole log, so under sustained writes it would
   * grow without bound and everything would slow down with it. Every so often, when it has grown past
   * `restartBytes`, this copies what the worker has not yet copied and starts the log over: here, between
   * transactions, where no read of this connection can hold it up.
   */
  afterCommit(database: { pragma(source: string): unknown }): void {
    if (++this.#commits < RESTART_CHECK_EVERY) return;
    if ((statSync(this.#wal, { throwIfNoEntry: false })?.size ?? 0) <= this.restartBytes) {
      this.#commits = 0;
      return;
    }
    // While the worker copies, a checkpoint here would sleep until it is done: look again after the next
    // commit instead.
    if (Atomics.compareExchange(this.#copying, 0, IDLE, MAIN) !== IDLE) return;
    this.#commits = 0;
    try {
      database.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The commit stands either way; a busy log is started over at a later look.
    } finally {
      Atomics.store(this.#copying, 0, IDLE);
    }
  }

  /** Checkpoints everything and closes the worker's connection. */
  async close(): Promise<void> {
    this.#worker.ref();
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('close');
    await exited;
  }
}

const [IDLE, WORKER, MAIN] = [0, 1, 2];

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const copying = workerData.copying;
const timer = setInterval(() => {
  // The main connection is starting the log over: nothing to copy this round.
  if (Atomics.compareExchange(copying, 0, ${IDLE}, ${WORKER}) !== ${IDLE}) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A busy or locked database skips this round; the next one catches up.
  } finally {
    Atomics.store(copying, 0, ${IDLE});
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Another connection still reads: the log is copied on its next checkpoint.
  }
  db.close();
  process.exit(0);
});
`;
