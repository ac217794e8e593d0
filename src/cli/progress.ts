import type { Writable } from 'node:stream';

export interface ProgressOptions {
  /** What is being done: `replaying`, `simulating`. */
  label: string;
  /** What is counted: `lines`, `shoppers`. */
  unit: string;
  /** Where it is shown (stderr, so stdout stays for results). A TTY gets a bar; anything else, lines. */
  stream: Writable & { isTTY?: boolean; columns?: number };
  /** Wall clock (ms); tests pass their own. */
  now?: () => number;
  /** Least time between two plain lines (ms). */
  lineEvery?: number;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Shows the final state and ends the bar's line. */
  finish(): void;
}

const BAR = 24;
const REDRAW_EVERY = 100;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Progress of long work (simulate, replay, score, demo) with its rate and an ETA: a bar redrawn in place
 * on a terminal, a plain line every few seconds anywhere else (CI logs, files).
 */
export function progress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const lineEvery = options.lineEvery ?? 5_000;
  let last = { done: 0, total: 0 };
  let shownAt = Number.NEGATIVE_INFINITY;
  const describe = () => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (last.done / elapsed) * 1000 : 0;
    // A rate from the first second says little; no ETA until there is more to go on.
    const eta =
      rate > 0 && elapsed >= 1000 ? ((last.total - last.done) / rate) * 1000 : Number.POSITIVE_INFINITY;
    const share = last.total > 0 ? last.done / last.total : 0;
    return {
      share,
      text: `${count(last.done)}/${count(last.total)} ${options.unit}, ${count(rate)}/s, ${last.done >= last.total ? `done in ${duration(elapsed)}` : `ETA ${duration(eta)}`}`,
    };
  };
  const draw = (final: boolean) => {
    const { share, text } = describe();
    if (options.stream.isTTY) {
      const filled = Math.round(share * BAR);
      options.stream.write(
        `\r${options.label} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${text}\u001b[K${final ? '\n' : ''}`,
      );
    } else {
      options.stream.write(`${options.label}: ${(share * 100).toFixed(0)}% (${text})\n`);
    }
    shownAt = now();
  };
  return {
    update(done, total) {
      last = { done, total };
      if (now() - shownAt >= (options.stream.isTTY ? REDRAW_EVERY : lineEvery)) draw(false);
    },
    finish() {
      draw(true);
    },
  };
}
