import { closeSync, openSync, readSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../runtime/ts-worker.ts';
import { prepareLine, type LineSettings, type PreparedLine } from './replay-line.ts';

/** Where a line of the replay file is, and when it happened. */
export interface IndexedLine {
  at: number;
  offset: number;
  length: number;
}

/** Reads lines of a file by offset and prepares them (`prepareLine`). */
export function readAndPrepare(
  fd: number,
  lines: readonly IndexedLine[],
  settings: LineSettings,
  receivedAt?: number,
): PreparedLine[] {
  return lines.map(({ offset, length }) => {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, offset);
    return prepareLine(bytes, settings, receivedAt);
  });
}

/**
 * Prepares a replay file's lines a chunk at a time, in the order asked for. Reading and parsing a line and
 * mapping its events cost about a sixth of a replay; on a thread (`threaded`) the next chunk is prepared
 * while the engine works on this one.
 */
export class LineReader {
  #worker?: Worker;
  #fd?: number;
  #asked = 0;
  readonly #waiting = new Map<number, (prepared: PreparedLine[]) => void>();
  #failed?: Error;

  private constructor(private readonly settings: LineSettings) {}

  static async open(file: string, settings: LineSettings, threaded: boolean): Promise<LineReader> {
    const reader = new LineReader(settings);
    if (!threaded) {
      reader.#fd = openSync(file, 'r');
      return reader;
    }
    const worker = await startTsWorker(new URL('./line-reader-worker.ts', import.meta.url), {
      file,
      settings,
    });
    worker.on('message', ({ id, prepared }: { id: number; prepared: PreparedLine[] }) => {
      reader.#waiting.get(id)?.(prepared);
      reader.#waiting.delete(id);
    });
    const fail = (error: Error) => {
      reader.#failed = error;
      for (const resolve of reader.#waiting.values()) resolve([]);
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the replay line reader stopped')));
    reader.#worker = worker;
    return reader;
  }

  /** The prepared lines, in the order given. */
  async prepare(lines: readonly IndexedLine[]): Promise<PreparedLine[]> {
    if (this.#fd !== undefined) return readAndPrepare(this.#fd, lines, this.settings);
    const worker = this.#worker!;
    const id = ++this.#asked;
    // While an answer is awaited, the thread keeps the process alive: nothing else may.
    worker.ref();
    const prepared = await new Promise<PreparedLine[]>((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ id, lines });
    });
    if (this.#waiting.size === 0) worker.unref();
    if (this.#failed) throw this.#failed;
    return prepared;
  }

  async close(): Promise<void> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    await this.#worker?.terminate();
  }
}
