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
