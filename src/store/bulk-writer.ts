import { CompiledQuery, type Compilable, type Transaction } from 'kysely';
import { capabilitiesOf } from './capabilities.ts';
import type { Database } from './schema.ts';

/**
 * Multi-row INSERT/UPSERT statements compiled once per row count and re-run with new parameters. On hot
 * paths (the event log, the identity graph) building a query costs more than executing it.
 *
 * `columns` fixes the parameter order; every row must carry every column (null, not undefined). The first
 * compilation is checked against that order, so a mismatch fails loudly instead of writing wrong columns.
 */
export class BulkWriter<Row extends object> {
  /** Compiled SQL by row count, per database (its dialect adapter): placeholders differ by dialect. */
  readonly #sqlByAdapter = new WeakMap<object, Map<number, string>>();

  constructor(
    private readonly columns: readonly (keyof Row & string)[],
    private readonly build: (trx: Transaction<Database>, rows: Row[]) => Compilable,
  ) {}

  async write(trx: Transaction<Database>, rows: readonly Row[]): Promise<{ [column: string]: unknown }[]> {
    const returned: { [column: string]: unknown }[] = [];
    const fullStatement = Math.floor(capabilitiesOf(trx).maxBindParameters / this.columns.length);
    for (let i = 0; i < rows.length;) {
      const part = rows.slice(i, i + statementSize(rows.length - i, fullStatement));
      i += part.length;
      const parameters = part.flatMap((row) =>
        this.columns.map((column) => row[column as keyof Row] as unknown),
      );
      const adapter = trx.getExecutor().adapter;
      let byRows = this.#sqlByAdapter.get(adapter);
      if (!byRows) this.#sqlByAdapter.set(adapter, (byRows = new Map<number, string>()));
      let sql = byRows.get(part.length);
      if (sql === undefined) {
        const compiled = this.build(trx, part).compile();
        if (
          compiled.parameters.length !== parameters.length ||
          compiled.parameters.some((p, n) => p !== parameters[n])
        ) {
          throw new Error(
            `BulkWriter columns do not match the statement's parameter order (${this.columns.join(', ')})`,
          );
        }
        sql = compiled.sql;
        byRows.set(part.length, sql);
      }
      const result = await trx.executeQuery<{ [column: string]: unknown }>(
        CompiledQuery.raw(sql, parameters),
      );
      returned.push(...result.rows);
    }
    return returned;
  }
}

/**
 * Rows for the next statement: full statements (as many rows as the dialect's bind parameters hold), then
 * the remainder in powers of two, so only a handful of distinct statements is ever compiled.
 */
function statementSize(remaining: number, full: number): number {
  if (remaining >= full) return full;
  return 2 ** Math.floor(Math.log2(remaining));
}
