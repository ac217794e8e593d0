/**
 * Waits until `condition` holds, looking every 50 ms for at most `limitMs` (generous: the bound is there
 * so a broken run ends with a message, not so a slow machine fails).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 120_000,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > limitMs) throw new Error(`${what}: not reached within ${limitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A figure for a fault check's report line: `12,345`. */
export const figure = (n: number) => n.toLocaleString('en-US');

/** Prints one line of a fault check's measurements, marked so `docs/reliability.md` can quote it. */
export function report(check: string, line: string, startedAt: number): void {
  console.info(`[fault] ${check}: ${line}; ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}
