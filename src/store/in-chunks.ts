import type { DialectCapabilities } from './capabilities.ts';

/** How much of a statement's bind parameters one value takes, and how many the rest of it needs. */
export interface InChunksOptions {
  /**
   * Bind parameters per value: 1 for a key in an `IN (…)` list, 2 when the list appears twice
   * (`a IN (…) OR b IN (…)`), a row's column count in a multi-row `INSERT`. Default 1.
   */
  perValue?: number;
  /** Bind parameters the statement carries besides the values (other conditions, `SET` values). Default 0. */
  otherParams?: number;
}

/**
 * `values` in slices that each fit one statement of this dialect (`maxBindParameters`), in order. An empty
 * list gives no slices, so a loop over them runs no statement.
 */
export function inChunks<T>(
  capabilities: Pick<DialectCapabilities, 'maxBindParameters'>,
  values: readonly T[],
  { perValue = 1, otherParams = 0 }: InChunksOptions = {},
): T[][] {
  const size = Math.floor((capabilities.maxBindParameters - otherParams) / perValue);
  if (size < 1) {
    throw new RangeError(
      `A statement of ${otherParams} other parameters leaves no room for values of ${perValue} each`,
    );
  }
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
