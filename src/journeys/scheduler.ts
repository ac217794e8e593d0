import type { Timers } from '../pipeline/pipeline.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Store } from '../store/store.ts';
import { consentViewSlot, ConsentStateView } from '../consent/consent-stage.ts';
import { BatchContext } from '../pipeline/batch-context.ts';
import type { FiringSettings } from './firing.ts';
import { nextDueAt, toJourney } from './journey-repository.ts';
import { JourneyBatch, type TriggerSink } from './journey-stage.ts';

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  settings: FiringSettings;
  sinks: readonly TriggerSink[];
}

/**
 * Fires journeys whose due time is at or before `upTo`, found through the index on the due time, a
 * batch per transaction. On PostgreSQL the rows are claimed with `FOR UPDATE SKIP LOCKED`, so several
 * workers share the work and the event processor's locked rows are skipped; on SQLite one worker runs.
 * Returns how many journeys it looked at.
 */
export async function fireDueJourneys(deps: SchedulerDeps, upTo: number, limit = 500): Promise<number> {
  return deps.store.db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('journeys')
      .selectAll()
      .where('status', '=', 'open')
      .where('due_at', '<=', upTo)
      .orderBy('due_at')
      .limit(limit);
    if (deps.store.capabilities.supportsSkipLocked) query = query.forUpdate().skipLocked();
    const journeys = (await query.execute()).map(toJourney);
    if (journeys.length === 0) return 0;
    const ctx = new BatchContext(trx, deps.clock);
    ctx.provide(consentViewSlot, new ConsentStateView());
    const batch = new JourneyBatch(deps.settings, deps.sinks, ctx);
    await batch.fireClaimed(journeys, upTo);
    await batch.save();
    return journeys.length;
  });
}

/** Fires everything due at or before `upTo`. */
export async function fireAllDue(deps: SchedulerDeps, upTo: number, limit = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await fireDueJourneys(deps, upTo, limit);
    total += n;
    if (n < limit) return total;
  }
}

/** The journeys' due times as the pipeline's timers. */
export const journeyTimers = (deps: SchedulerDeps): Timers => ({
  fireDue: (upTo, limit) => fireDueJourneys(deps, upTo, limit),
  nextDueAt: () => nextDueAt(deps.store.db),
});
