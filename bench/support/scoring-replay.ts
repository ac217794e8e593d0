import { join } from 'node:path';
import { replayFile, type ReplaySummary } from '../../src/app/replay/replay.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ManualClock } from '../../src/runtime/clock.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { scoringOverrides } from '../../src/simulation/scorer.ts';
import { SIMULATION_FILES, type SimulationMeta } from '../../src/simulation/simulator.ts';
import { KlaviyoStandIn, type RecordedKlaviyoEvent } from '../../src/stand-ins/klaviyo-stand-in.ts';
import type { Store } from '../../src/store/store.ts';

export interface ScoringReplay {
  /** Replays the simulation's requests (in `dir`, as `simulate` wrote them) into a migrated store. */
  replay(store: Store): Promise<ReplaySummary>;
  /** What the Klaviyo stand-in has received so far. */
  readonly received: readonly RecordedKlaviyoEvent[];
  close(): Promise<void>;
}

/**
 * A simulated store's replay set up as `reclaim score` sets it up: a Klaviyo stand-in on the replay's clock,
 * and the simulation's config pointed at it, partners paced by event time.
 */
export async function scoringReplay(dir: string, meta: SimulationMeta): Promise<ScoringReplay> {
  const clock = new ManualClock(0);
  const standIn = new KlaviyoStandIn({ clock: () => clock.now() });
  const config = loadConfig({ env: {}, overrides: scoringOverrides(meta, await standIn.start()) });
  const log = createLogger({ level: 'silent' });
  return {
    replay: (store) =>
      replayFile({
        file: join(dir, SIMULATION_FILES.input),
        config,
        store,
        log,
        clock,
        partnersOnReplayClock: true,
      }),
    received: standIn.events,
    close: () => standIn.close(),
  };
}
