// The replay line reader's thread (`LineReader`): reads and prepares the chunks of lines it is sent.
import { openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { readAndPrepare, type IndexedLine } from './line-reader.ts';
import type { LineSettings } from './replay-line.ts';

const { file, settings } = (workerData as { data: { file: string; settings: LineSettings } }).data;
const fd = openSync(file, 'r');
parentPort!.on('message', ({ id, lines }: { id: number; lines: IndexedLine[] }) => {
  parentPort!.postMessage({ id, prepared: readAndPrepare(fd, lines, settings) });
});
