import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ShopifyAdminClient } from './shopify-admin-api.ts';

/**
 * A bulk operation as Reclaim reads it (https://shopify.dev/docs/api/usage/bulk-operations/queries).
 * `url` is the JSONL file once `COMPLETED` (null when the export holds no object).
 */
export interface BulkOperation {
  id: string;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELED' | 'CANCELING' | 'EXPIRED';
  errorCode: string | null;
  objectCount: number;
  url: string | null;
}

/**
 * What went wrong with an export, decided where Shopify's answer is read; the command switches on `kind`.
 * - `in_progress`: another bulk query of this app runs on the shop (Shopify allows one at a time).
 * - `failed`: the bulk operation ended `FAILED`, `CANCELED` or `EXPIRED`; `code` is Shopify's `errorCode`
 *   (`ACCESS_DENIED`: a scope is missing).
 * - `refused`: Shopify refused the bulk query itself (a defect in Reclaim).
 * - `download`: the JSONL file could not be read to its end.
 * - `malformed`: a line of the file is not a JSON object.
 */
export class BulkExportError extends Error {
  override readonly name = 'BulkExportError';
  constructor(
    readonly kind: 'in_progress' | 'failed' | 'refused' | 'download' | 'malformed',
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const FIELDS = 'id status errorCode objectCount url';

const RUN = `mutation ReclaimBulkExport($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { ${FIELDS} }
    userErrors { code field message }
  }
}`;

const READ = `query ReclaimBulkOperation($id: ID!) {
  node(id: $id) { ... on BulkOperation { ${FIELDS} } }
}`;

const CURRENT = `query ReclaimCurrentBulkOperation {
  currentBulkOperation(type: QUERY) { ${FIELDS} query }
}`;

type RawOperation = Omit<BulkOperation, 'objectCount'> & { objectCount: string | number };

const read = (raw: RawOperation): BulkOperation => ({ ...raw, objectCount: Number(raw.objectCount) });

/**
 * Starts a bulk query and returns its operation id. When a bulk query is already running and it is this
 * very query (an import that stopped before it could note the id), that operation is adopted.
 */
export async function startBulkQuery(client: ShopifyAdminClient, query: string): Promise<string> {
  const data = await client.request<{
    bulkOperationRunQuery: {
      bulkOperation: RawOperation | null;
      userErrors: { code: string | null; message: string }[];
    };
  }>(RUN, { query });
  const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
  if (bulkOperation && userErrors.length === 0) return bulkOperation.id;
  if (userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS')) {
    const current = await client.request<{ currentBulkOperation: (RawOperation & { query: string }) | null }>(
      CURRENT,
    );
    const running = current.currentBulkOperation;
    if (running && running.query === query) return running.id;
    throw new BulkExportError(
      'in_progress',
      `another bulk query of this app is running on the shop (${running?.id ?? 'unknown'}); wait until it finishes and run the import again`,
    );
  }
  throw new BulkExportError(
    'refused',
    `Shopify refused the bulk query: ${userErrors.map((e) => e.message).join('; ')}`,
  );
}

/** The operation as it stands, or undefined when Shopify no longer knows it. */
export async function readBulkOperation(
  client: ShopifyAdminClient,
  id: string,
): Promise<BulkOperation | undefined> {
  const data = await client.request<{ node: RawOperation | null }>(READ, { id });
  return data.node && data.node.status ? read(data.node) : undefined;
}

/**
 * Polls until the operation finishes: waits grow from `firstWait` to five seconds (a large export runs for
 * minutes; Shopify recommends polling rather than a tight loop).
 */
export async function waitForBulkOperation(
  client: ShopifyAdminClient,
  id: string,
  sleep: (ms: number) => Promise<void>,
  firstWait = 250,
): Promise<BulkOperation | undefined> {
  for (let wait = firstWait; ; wait = Math.min(5_000, wait * 2)) {
    const operation = await readBulkOperation(client, id);
    if (!operation) return undefined;
    if (operation.status === 'COMPLETED') return operation;
    if (operation.status === 'FAILED' || operation.status === 'CANCELED' || operation.status === 'EXPIRED') {
      const code = operation.errorCode ?? operation.status;
      throw new BulkExportError(
        'failed',
        `Shopify’s bulk export ${id} ended ${operation.status} (${code})`,
        code,
      );
    }
    await sleep(wait);
  }
}

/**
 * The lines of a JSONL file, streamed as they arrive: never more than a read buffer of it in memory.
 */
export async function* jsonlLines(url: string, fetchImpl: typeof fetch = fetch): AsyncGenerator<string> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new BulkExportError('download', `cannot download the export: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body)
    throw new BulkExportError('download', `downloading the export answered ${response.status}`);
  const lines = createInterface({
    input: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    crlfDelay: Infinity,
  });
  try {
    for await (const line of lines) if (line.length > 0) yield line;
  } catch (error) {
    throw new BulkExportError('download', `the export download broke off: ${(error as Error).message}`);
  }
}
