import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const RULE = 'reclaim/no-open-record-lookup';

/**
 * Lints `code` with the project's own config, standing in for a file of the ingest path (the type-aware
 * rule needs a file the TypeScript project knows; only its text is replaced, nothing is written).
 */
async function problems(code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
  const [result] = await eslint.lintText(code, { filePath: 'src/ingest/landing-params.ts' });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('the lint rule against input-keyed plain-object tables', () => {
  it('reports a Record<string, …> read with a string key, and `in` with a name from input', async () => {
    const found = await problems(`
const TOPICS: Record<string, number> = { 'orders/create': 1 };
export function kindOf(topic: string): number | undefined {
  return TOPICS[topic];
}
export function known(topic: string): boolean {
  return topic in TOPICS;
}
`);
    expect(found).toEqual([RULE, 'no-restricted-syntax']);
  });

  it('accepts a Map, a key of known names, and a read guarded by Object.hasOwn', async () => {
    const found = await problems(`
const TOPICS = new Map<string, number>([['orders/create', 1]]);
const DEPTH: Record<'cart' | 'checkout', number> = { cart: 1, checkout: 2 };
const ZONES: Record<string, string> = { CA: 'America/Los_Angeles' };
export function kindOf(topic: string, stage: 'cart' | 'checkout', sub: string) {
  return [TOPICS.get(topic), DEPTH[stage], Object.hasOwn(ZONES, sub) ? ZONES[sub] : undefined];
}
`);
    expect(found).toEqual([]);
  });
});
