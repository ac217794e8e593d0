// The replay line reader's thread (`LineReader`): reads and prepares the chunks of lines it is sent.
import { openSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { serveRequests } from '../../runtime/ts-worker.ts';
import { readAndPrepare, type IndexedLine } from './line-reader.ts';
import type { LineSettings } from './replay-line.ts';

const { file, settings } = (workerData as { data: { file: string; settings: LineSettings } }).data;
const fd = openSync(file, 'r');
serveRequests((lines: IndexedLine[]) => readAndPrepare(fd, lines, settings));
