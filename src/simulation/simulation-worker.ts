import { parentPort, workerData } from 'node:worker_threads';
import { simulateBlock, type BlockTask } from './simulation-blocks.ts';

/** A simulator worker: simulates the blocks of shoppers it is given and sends back their lines. */
const { settings } = workerData as { settings: BlockTask['settings'] };
parentPort!.on('message', (task: { block: number; from: number; to: number } | 'stop') => {
  if (task === 'stop') {
    parentPort!.close();
    return;
  }
  const result = simulateBlock({ ...task, settings });
  // Encoded here and handed over without a copy: the main thread only writes bytes.
  const input = Buffer.from(result.input);
  const truth = Buffer.from(result.truth);
  const customers = Buffer.from(result.customers);
  const orders = Buffer.from(result.orders);
  const klaviyo = Buffer.from(result.klaviyo);
  parentPort!.postMessage({ ...result, input, truth, customers, orders, klaviyo }, [
    input.buffer,
    truth.buffer,
    customers.buffer,
    orders.buffer,
    klaviyo.buffer,
  ] as ArrayBuffer[]);
});
