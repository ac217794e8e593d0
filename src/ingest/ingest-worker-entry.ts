// An ingest worker thread (`IngestWorkers`): prepares the calls the main thread posts to it.
import { serveRequests } from '../runtime/ts-worker.ts';
import { prepareCall } from './prepared-ingest.ts';

serveRequests(prepareCall);
