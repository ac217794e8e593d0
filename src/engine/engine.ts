import type { Config } from '../config/config-schema.ts';
import { Eraser, type ErasureStep } from '../identity/erasure.ts';
import { dataRequestCommand, eraseCommand } from '../identity/identity-commands.ts';
import type { IdentityRules } from '../identity/identity-graph.ts';
import type { ProfileSection } from '../identity/profile-view.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Store } from '../store/store.ts';
import { EventProcessor, type Stage } from './event-processor.ts';
import { ConsentStage } from '../consent/consent-stage.ts';
import { consentSection, eraseConsent } from '../consent/consent-erasure.ts';

export interface EngineDeps {
  config: Config;
  store: Store;
  log: Logger;
  clock: Clock;
}

/** The processing side of Reclaim, wired once: the event processor with its stages and commands. */
export interface Engine {
  readonly processor: EventProcessor;
  /** Extra sections of a profile (consents, triggers) for the profile API and data exports. */
  readonly profileSections: Record<string, ProfileSection>;
}

export function identityRules(config: Config): IdentityRules {
  return {
    lookback: config.identity.lookback,
    limits: config.identity.limits,
    blocklist: new Set(config.identity.blocklist.map((v) => v.trim().toLowerCase())),
  };
}

export function createEngine(deps: EngineDeps): Engine {
  const stages: Stage[] = [new ConsentStage(deps.config.consent)];
  const erasureSteps: ErasureStep[] = [eraseConsent];
  const profileSections: Record<string, ProfileSection> = { consents: consentSection };
  const processor = new EventProcessor({
    store: deps.store,
    log: deps.log,
    clock: deps.clock,
    identity: identityRules(deps.config),
    stages,
    commands: [eraseCommand(new Eraser(erasureSteps)), dataRequestCommand(profileSections)],
  });
  return { processor, profileSections };
}
