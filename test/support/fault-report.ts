/** A figure for a fault check's report line: `12,345`. */
export const figure = (n: number) => n.toLocaleString('en-US');

/** Prints one line of a fault check's measurements, marked so `docs/reliability.md` can quote it. */
export function report(check: string, line: string, startedAt: number): void {
  console.info(`[fault] ${check}: ${line}; ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}
