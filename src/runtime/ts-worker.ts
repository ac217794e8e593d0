import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Loads the module through tsx, as `bin/reclaim.js` does: a worker thread does not inherit loaders. */
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.loader)
  .then((tsx) => { tsx.register(); return import(workerData.entry); })
  .then(() => parentPort.postMessage('ready'), (error) => { throw error; });
`;

/**
 * Starts a worker thread running the TypeScript module `entry` (its `workerData` is `data`) and resolves
 * once the module has loaded; a module that fails to load rejects. The thread does not keep the process
 * alive.
 */
export async function startTsWorker(entry: URL, data: unknown = {}): Promise<Worker> {
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
