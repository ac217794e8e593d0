import { Slot, type BatchContext } from '../pipeline/batch-context.ts';
import type { LoggedEvent, ResolvedBatch, Resolver } from '../pipeline/stage.ts';
import { BulkWriter } from '../store/bulk-writer.ts';
import type { Database } from '../store/schema.ts';
import { IdentityGraph, IdentityWorkingSet, type IdentityRules, type Resolution } from './identity-graph.ts';
import { IdentityRepository } from './identity-repository.ts';

/** An event after identity resolution, as every later stage sees it. */
export interface ResolvedEvent extends LoggedEvent {
  resolution: Resolution;
}

/** The batch's identity working set: profiles and identifiers of its events, merges included. */
export const identitySlot = new Slot<IdentityWorkingSet>('identity');

const profileEventWriter = new BulkWriter<Database['profile_events']>(
  ['profile_id', 'event_seq'],
  (trx, rows) =>
    trx
      .insertInto('profile_events')
      .values(rows)
      .onConflict((oc) => oc.doNothing()),
);

/**
 * Resolves each event of a batch to a profile, in log order, against the identity graph loaded for the
 * whole batch; saves the graph's changes and links each event to its profile. The identifiers and
 * profiles a batch loaded stay cached for the next one (`IdentityRepository`).
 */
export class IdentityResolver implements Resolver<ResolvedEvent> {
  readonly #graph: IdentityGraph;
  readonly #repository = new IdentityRepository();

  constructor(rules: IdentityRules) {
    this.#graph = new IdentityGraph(rules);
  }

  async begin(ctx: BatchContext, batch: readonly LoggedEvent[]): Promise<ResolvedBatch<ResolvedEvent>> {
    const ws = new IdentityWorkingSet();
    await this.#repository.load(
      ctx.trx,
      ws,
      batch.flatMap(({ event }) => this.#graph.keysOf(event)),
    );
    const events: ResolvedEvent[] = [];
    for (const { seq, event } of batch) {
      const resolution = this.#graph.resolve(event, ws);
      for (const refusal of resolution.refusals)
        ws.refusals.push({ ...refusal, eventId: event.id, at: event.eventTime });
      events.push({ seq, event, resolution });
    }
    ctx.provide(identitySlot, ws);
    return {
      events,
      save: async () => {
        await this.#repository.save(ctx.trx, ws);
        const links = events
          .filter((r) => r.resolution.profileId !== undefined)
          .map((r) => ({ profile_id: r.resolution.profileId!, event_seq: r.seq }));
        await profileEventWriter.write(ctx.trx, links);
      },
      committed: () => this.#repository.remember(ws),
    };
  }

  forget(): void {
    this.#repository.forget();
  }
}
