// An ingest worker thread (`IngestWorkers`): prepares the calls the main thread posts to it. A thread
// receives no functions, so its entry names the tracking gate, the same one the server passes in-process.
import { consentTrackingGate } from '../consent/tracking-gate.ts';
import { serveRequests } from '../runtime/ts-worker.ts';
import { prepareCall, type IngestCall } from './prepared-ingest.ts';

serveRequests((call: IngestCall) => prepareCall(call, consentTrackingGate));
