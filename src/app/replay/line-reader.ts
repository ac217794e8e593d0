import { closeSync, openSync, readSync } from 'node:fs';
import { WorkerChannel } from '../../runtime/ts-worker.ts';
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
  #channel?: WorkerChannel<readonly IndexedLine[], PreparedLine[]>;
  #fd?: number;

  private constructor(private readonly settings: LineSettings) {}

  static async open(file: string, settings: LineSettings, threaded: boolean): Promise<LineReader> {
    const reader = new LineReader(settings);
    if (threaded)
      reader.#channel = await WorkerChannel.start(new URL('./line-reader-worker.ts', import.meta.url), {
        data: { file, settings },
        stopped: () => new Error('the replay line reader stopped'),
      });
    else reader.#fd = openSync(file, 'r');
    return reader;
  }

  /** The prepared lines, in the order given. */
  async prepare(lines: readonly IndexedLine[]): Promise<PreparedLine[]> {
    if (this.#fd !== undefined) return readAndPrepare(this.#fd, lines, this.settings);
    return this.#channel!.request(lines);
  }

  async close(): Promise<void> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    await this.#channel?.terminate();
  }
}
