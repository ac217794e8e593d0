import type { Timers } from '../pipeline/pipeline.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Store } from '../store/store.ts';
import { ConsentStateView } from '../consent/consent-stage.ts';
import { FiringSession, type FiringSettings } from './firing.ts';
import { nextDueAt, saveJourneys, toJourney } from './journey-repository.ts';
import type { TriggerSink } from './journey-stage.ts';

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
    const session = new FiringSession(deps.settings, new ConsentStateView());
    await session.load(trx, journeys);
    for (const journey of journeys) session.fire(journey, upTo);
    await saveJourneys(trx, journeys);
    const now = deps.clock.now();
    await session.save(trx, now);
    for (const sink of deps.sinks) await sink(trx, session.triggers, now);
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
