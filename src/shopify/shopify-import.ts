import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { EventLog } from '../event-log/event-log.ts';
import type { Store } from '../store/store.ts';
import type { ShopifyAdminClient } from './shopify-admin-api.ts';
import {
  BulkExportError,
  type BulkOperation,
  jsonlLines,
  startBulkQuery,
  waitForBulkOperation,
} from './shopify-bulk-operation.ts';
import { bulkQuery, IMPORT_EXPORTS, LINE_MAPPERS, type ImportExport } from './shopify-import-mapper.ts';

const DAY = 86_400_000;

/**
 * Lines stored per transaction, which is also how far a crash sets an import back. A few thousand lines
 * make transactions large enough that committing is a small part of the work.
 */
export const CHECKPOINT_LINES = 4_000;

/** Lines and events of one export. `stored` counts new events; a rerun stores none. */
export interface ExportCounts {
  lines: number;
  stored: number;
  duplicates: number;
}

export interface ImportReport {
  id: string;
  shop: string;
  /** True when this run picked up an import that had stopped. */
  resumed: boolean;
  /** Orders and abandoned checkouts created from this time on (epoch ms). */
  ordersSinceAt: number;
  counts: Partial<Record<ImportExport, ExportCounts>>;
  startedAt: number;
  finishedAt: number;
}

export interface ImportDeps {
  client: ShopifyAdminClient;
  store: Store;
  shop: string;
  /** Orders and abandoned checkouts of the last `days` days. */
  days: number;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Called as lines are stored: the export, lines done, lines in it. */
  onProgress?: (name: ImportExport, done: number, total: number) => void;
  checkpointLines?: number;
}

/**
 * `reclaim shopify import`: reads customers (with their marketing consent), recent orders and abandoned
 * checkouts through Shopify bulk operations and appends them to the event log as `shopify_import`
 * events, which the engine then processes like any other (identity, consent ledger, purchases) except
 * that they open no journey.
 *
 * Each export is streamed line by line. Every `CHECKPOINT_LINES` lines, the events and the line count
 * reached are committed in one transaction (`shopify_imports`), so a run that stops — crash, kill, a
 * failed export, a broken line — leaves its row `running` or `failed` and the next run resumes at that
 * line, with the same bulk operation while Shopify still has it. Event ids come from what the line says
 * (customer and `updatedAt`, order id, consent state and time), so a line stored twice, or a whole rerun,
 * adds nothing.
 */
export async function runShopifyImport(deps: ImportDeps): Promise<ImportReport> {
  const db = deps.store.db;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const every = deps.checkpointLines ?? CHECKPOINT_LINES;
  const log = new EventLog(deps.store);
  const stopped = await db
    .selectFrom('shopify_imports')
    .selectAll()
    .where('shop', '=', deps.shop)
    .where('status', '!=', 'completed')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const startedAt = deps.now();
  const row = stopped ?? {
    id: `imp_${randomUUID()}`,
    shop: deps.shop,
    status: 'running',
    days: deps.days,
    since: startedAt - deps.days * DAY,
    export: IMPORT_EXPORTS[0],
    bulk_operation_id: null,
    lines_done: 0,
    counts_json: '{}',
    error: null,
    started_at: startedAt,
    updated_at: startedAt,
    finished_at: null,
  };
  if (stopped)
    await db
      .updateTable('shopify_imports')
      .set({ status: 'running', error: null, updated_at: startedAt })
      .where('id', '=', row.id)
      .execute();
  else await db.insertInto('shopify_imports').values(row).execute();
  const counts = JSON.parse(row.counts_json) as ImportReport['counts'];
  const update = (values: Partial<typeof row>) =>
    db
      .updateTable('shopify_imports')
      .set({ ...values, updated_at: deps.now() })
      .where('id', '=', row.id)
      .execute();

  try {
    const first = row.export === 'done' ? IMPORT_EXPORTS.length : IMPORT_EXPORTS.indexOf(row.export);
    for (const name of IMPORT_EXPORTS.slice(first)) {
      const query = bulkQuery(name, row.since);
      let linesDone = row.export === name ? row.lines_done : 0;
      let operationId = row.export === name ? row.bulk_operation_id : null;
      let operation = operationId ? await resumable(deps.client, operationId, sleep) : undefined;
      if (!operation) {
        // Never started, or Shopify no longer has it (its file expires after a week): export again.
        // Lines already stored are found again by their ids and add nothing.
        operationId = await startBulkQuery(deps.client, query);
        await update({ export: name, bulk_operation_id: operationId, lines_done: linesDone });
        operation = await waitForBulkOperation(deps.client, operationId, sleep);
        if (!operation)
          throw new BulkExportError('failed', `Shopify lost its bulk export ${operationId}`, 'LOST');
      }
      const tally = (counts[name] ??= { lines: 0, stored: 0, duplicates: 0 });
      const total = operation.objectCount;
      deps.onProgress?.(name, linesDone, total);
      let pending: CanonicalEvent[] = [];
      let line = 0;
      const commit = async (reached: number) => {
        const events = pending;
        pending = [];
        const lines = reached - linesDone;
        const result = await log.append(events, [], async (trx) => {
          tally.lines += lines;
          await trx
            .updateTable('shopify_imports')
            .set({
              export: name,
              lines_done: reached,
              counts_json: JSON.stringify({ ...counts, [name]: tally }),
              updated_at: deps.now(),
            })
            .where('id', '=', row.id)
            .execute();
          return true;
        });
        tally.stored += result.stored;
        tally.duplicates += result.duplicates;
        linesDone = reached;
        deps.onProgress?.(name, linesDone, total);
      };
      const ctx = { shop: deps.shop, receivedAt: deps.now() };
      if (operation.url) {
        for await (const text of jsonlLines(operation.url, deps.fetch)) {
          line++;
          if (line <= linesDone) continue;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            if (pending.length > 0 || line - 1 > linesDone) await commit(line - 1);
            throw new BulkExportError(
              'malformed',
              `line ${line} of the ${name} export is not a JSON object (a broken download?)`,
            );
          }
          for (const e of LINE_MAPPERS[name](ctx, parsed as Record<string, unknown>)) pending.push(e);
          if (line - linesDone >= every) await commit(line);
        }
      }
      if (line > linesDone || pending.length > 0) await commit(line);
      const next = IMPORT_EXPORTS[IMPORT_EXPORTS.indexOf(name) + 1] ?? 'done';
      await update({ export: next, bulk_operation_id: null, lines_done: 0 });
      row.export = next;
    }
    const finishedAt = deps.now();
    await update({ status: 'completed', finished_at: finishedAt, counts_json: JSON.stringify(counts) });
    return {
      id: row.id,
      shop: deps.shop,
      resumed: stopped !== undefined,
      ordersSinceAt: row.since,
      counts,
      startedAt,
      finishedAt,
    };
  } catch (error) {
    await update({ status: 'failed', error: (error as Error).message.slice(0, 2000) }).catch(() => undefined);
    throw error;
  }
}

/** A stopped import's operation, or undefined when it must be exported again (gone, or it had failed). */
async function resumable(
  client: ShopifyAdminClient,
  id: string,
  sleep: (ms: number) => Promise<void>,
): Promise<BulkOperation | undefined> {
  try {
    return await waitForBulkOperation(client, id, sleep);
  } catch (error) {
    if (error instanceof BulkExportError && error.kind === 'failed') return undefined;
    throw error;
  }
}
