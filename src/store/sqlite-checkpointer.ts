import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies SQLite's write-ahead log into the database file from a worker thread, so request handlers never
 * wait for a checkpoint's fsync. The main connection runs with `wal_autocheckpoint = 0`; this thread runs
 * a PASSIVE checkpoint (never blocks writers) every `intervalMs`, and a TRUNCATE one on close.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #timer: NodeJS.Timeout;

  constructor(path: string, intervalMs = 1_000) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
    this.#worker.unref();
    this.#timer = setInterval(() => this.#worker.postMessage('checkpoint'), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer, checkpoints everything and closes the worker's connection. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#worker.ref();
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('close');
    await exited;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (message) => {
  try {
    if (message === 'checkpoint') db.pragma('wal_checkpoint(PASSIVE)');
    if (message === 'close') {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      process.exit(0);
    }
  } catch {
    // A busy or locked database skips this round; the next one catches up.
  }
});
`;
