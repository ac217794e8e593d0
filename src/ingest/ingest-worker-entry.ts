// An ingest worker thread (`IngestWorkers`): prepares the calls the main thread posts to it.
import { parentPort } from 'node:worker_threads';
import { prepareCall, type IngestCall } from './prepared-ingest.ts';

parentPort!.on('message', ({ id, call }: { id: number; call: IngestCall }) => {
  try {
    parentPort!.postMessage({ id, prepared: prepareCall(call) });
  } catch (error) {
    parentPort!.postMessage({ id, defect: error instanceof Error ? error.message : String(error) });
  }
});
