import { hash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { deleteEvents, deleteWholeLog } from '../event-log/event-log.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import { identifierKeysOf } from './identity-repository.ts';

type Trx = Transaction<Database>;

/** What is being erased: profile ids (with those merged into them) and their identifier keys, or everything. */
export interface ErasureScope {
  profileIds: string[];
  identifierKeys: string[];
  /** `shop/redact`: every shopper's data. */
  all: boolean;
  /** When the erasure happens (the engine's clock). */
  at: number;
}

/**
 * One module's part of an erasure (journeys, triggers, deliveries, consent records…). Returns what it
 * deleted, by table, for the receipt.
 */
export type ErasureStep = (trx: Trx, scope: ErasureScope) => Promise<Record<string, number>>;

/** Proof that a shopper was erased. It holds ids and counts, never personal data. */
export interface ErasureReceipt {
  id: string;
  profileIds: string[];
  erasedAt: number;
  /** Who asked: `admin`, `shopify:customers/redact`, `shopify:shop/redact`. */
  source: string;
  counts: Record<string, number>;
}

async function deleteIn(
  trx: Trx,
  table: 'identifiers' | 'profile_events' | 'profiles',
  column: string,
  values: readonly (string | number)[],
) {
  let deleted = 0;
  for (const part of inChunks(capabilitiesOf(trx), values)) {
    const result = await trx
      .deleteFrom(table)
      .where(column as never, 'in', part as never)
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}

/** Erases shoppers everywhere Reclaim keeps them, in one transaction, and records a receipt. */
export class Eraser {
  constructor(private readonly steps: readonly ErasureStep[] = []) {}

  async erase(
    trx: Trx,
    profileIds: string[],
    source: string,
    erasedAt: number,
    requestId: string,
  ): Promise<ErasureReceipt> {
    const capabilities = capabilitiesOf(trx);
    const group = new Set(profileIds);
    for (const part of inChunks(capabilities, profileIds)) {
      const merged = await trx.selectFrom('profiles').select('id').where('merged_into', 'in', part).execute();
      for (const row of merged) group.add(row.id);
    }
    const ids = [...group];
    return this.#run(
      trx,
      { profileIds: ids, identifierKeys: await identifierKeysOf(trx, ids), all: false, at: erasedAt },
      source,
      erasedAt,
      requestId,
    );
  }

  async eraseAll(trx: Trx, source: string, erasedAt: number, requestId: string): Promise<ErasureReceipt> {
    return this.#run(
      trx,
      { profileIds: [], identifierKeys: [], all: true, at: erasedAt },
      source,
      erasedAt,
      requestId,
    );
  }

  async #run(
    trx: Trx,
    scope: ErasureScope,
    source: string,
    erasedAt: number,
    requestId: string,
  ): Promise<ErasureReceipt> {
    const tally = new Map<string, number>();
    const add = (part: Record<string, number>) => {
      for (const [table, n] of Object.entries(part)) tally.set(table, (tally.get(table) ?? 0) + n);
    };
    for (const step of this.steps) add(await step(trx, scope));
    add(await eraseIdentity(trx, scope));
    const counts = Object.fromEntries(tally);
    const receipt: ErasureReceipt = {
      id: `er_${hash('sha256', requestId, 'base64url').slice(0, 20)}`,
      profileIds: scope.profileIds,
      erasedAt,
      source,
      counts,
    };
    await trx
      .insertInto('erasure_receipts')
      .values({
        id: receipt.id,
        profile_id: scope.all ? '*' : (scope.profileIds[0] ?? '-'),
        erased_at: erasedAt,
        source,
        counts_json: JSON.stringify({ profileIds: scope.profileIds, counts }),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return receipt;
  }
}

/** The identity graph's part: events, identifiers, links, refusals, profiles. */
async function eraseIdentity(trx: Trx, scope: ErasureScope): Promise<Record<string, number>> {
  if (scope.all) {
    const log = await deleteWholeLog(trx);
    const counts: Record<string, number> = { events: log.events };
    for (const table of [
      'profile_events',
      'identity_links',
      'identity_decisions',
      'identifiers',
      'profiles',
    ] as const) {
      counts[table] = Number((await trx.deleteFrom(table).executeTakeFirst()).numDeletedRows);
    }
    counts.anonymous_counts = log.anonymous_counts;
    return counts;
  }
  const capabilities = capabilitiesOf(trx);
  const seqs: number[] = [];
  for (const part of inChunks(capabilities, scope.profileIds)) {
    const rows = await trx
      .selectFrom('profile_events')
      .select('event_seq')
      .where('profile_id', 'in', part)
      .execute();
    seqs.push(...rows.map((r) => r.event_seq));
  }
  const events = await deleteEvents(trx, seqs);
  let links = 0;
  let decisions = 0;
  for (const part of inChunks(capabilities, scope.identifierKeys, { perValue: 2 })) {
    links += Number(
      (
        await trx
          .deleteFrom('identity_links')
          .where((eb) => eb.or([eb('a', 'in', part), eb('b', 'in', part)]))
          .executeTakeFirst()
      ).numDeletedRows,
    );
  }
  for (const part of inChunks(capabilities, scope.profileIds, { perValue: 2 })) {
    decisions += Number(
      (
        await trx
          .deleteFrom('identity_decisions')
          .where((eb) => eb.or([eb('profile_id', 'in', part), eb('other_profile_id', 'in', part)]))
          .executeTakeFirst()
      ).numDeletedRows,
    );
  }
  return {
    events,
    profile_events: await deleteIn(trx, 'profile_events', 'profile_id', scope.profileIds),
    identity_links: links,
    identity_decisions: decisions,
    identifiers: await deleteIn(trx, 'identifiers', 'profile_id', scope.profileIds),
    profiles: await deleteIn(trx, 'profiles', 'id', scope.profileIds),
  };
}

/** A stored erasure receipt, or undefined while the erasure has not run. */
export function loadReceipt(db: Kysely<Database>, id: string) {
  return db.selectFrom('erasure_receipts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A stored receipt, as the admin API and the CLI show it. */
export function readReceipt(row: Database['erasure_receipts']) {
  const body = JSON.parse(row.counts_json) as { profileIds: string[]; counts: Record<string, number> };
  return {
    id: row.id,
    erasedAt: new Date(row.erased_at).toISOString(),
    source: row.source,
    profileIds: body.profileIds,
    counts: body.counts,
  };
}
