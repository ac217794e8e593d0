import type { Config } from '../config/config-schema.ts';
import { deleteExpiredExports, eraseExports } from '../identity/data-exports.ts';
import { Eraser, type ErasureStep } from '../identity/erasure.ts';
import { eraseWebhookDeliveries } from '../ingest/shopify/webhook-erasure.ts';
import { dataRequestCommand, eraseCommand } from '../identity/identity-commands.ts';
import type { IdentityRules } from '../identity/identity-graph.ts';
import { IdentityResolver, type ResolvedEvent } from '../identity/identity-resolver.ts';
import type { ProfileSection } from '../identity/profile-view.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Metrics } from '../runtime/metrics.ts';
import type { Store } from '../store/store.ts';
import { EventProcessor } from '../pipeline/event-processor.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import type { Stage } from '../pipeline/stage.ts';
import { JourneyStage, type TriggerSink } from '../journeys/journey-stage.ts';
import { eraseJourneys, journeySection } from '../journeys/journey-erasure.ts';
import type { FiringSettings } from '../journeys/firing.ts';
import { journeyTimers, type SchedulerDeps } from '../journeys/scheduler.ts';
import type { TriggerDetail } from '../journeys/trigger-routes.ts';
import { outboxSubscriptionSink } from '../delivery/outbox-subscription-sink.ts';
import { ConsentStage } from '../consent/consent-stage.ts';
import { consentSection, eraseConsent } from '../consent/consent-erasure.ts';
import { ConversionStage } from '../delivery/conversion-stage.ts';
import { deliveryDetail } from '../delivery/delivery-admin.ts';
import { deliverySection, eraseDeliveries } from '../delivery/delivery-erasure.ts';
import { outboxTriggerSink } from '../delivery/outbox-trigger-sink.ts';
import { enabledDestinations, type EnabledDestination } from '../destinations/registry.ts';

export interface EngineDeps {
  config: Config;
  store: Store;
  log: Logger;
  clock: Clock;
  /** Counts fired triggers for `/metrics`; none when metrics are off. */
  metrics?: Metrics;
}

/** The processing side of Reclaim, wired once: the event processor with its stages and commands. */
export interface Engine {
  readonly processor: EventProcessor<ResolvedEvent>;
  /** The processor and the journeys' timers, moved forward together (`advanceTo`). */
  readonly pipeline: Pipeline<ResolvedEvent>;
  /** Extra sections of a profile (consents, triggers) for the profile API and data exports. */
  readonly profileSections: Record<string, ProfileSection>;
  /** Fires due journeys the event processor did not have in hand. */
  readonly scheduler: SchedulerDeps;
  /** What other modules add to a trigger in the admin API (delivery state per destination). */
  readonly triggerDetails: TriggerDetail[];
  /** The destinations the config turns on; the engine queues their deliveries. */
  readonly destinations: EnabledDestination[];
  /** Deletes what has outlived its keeping period (data-subject exports); answers how many rows went. */
  housekeep(now: number): Promise<number>;
}

export function identityRules(config: Config): IdentityRules {
  return {
    lookback: config.identity.lookback,
    limits: config.identity.limits,
    blocklist: new Set(config.identity.blocklist.map((v) => v.trim().toLowerCase())),
  };
}

/** Firing settings from config. */
export function firingSettings(config: Config): FiringSettings {
  return {
    windows: {
      browse: config.journeys.browseAfter,
      cart: config.journeys.cartAfter,
      checkout: config.journeys.checkoutAfter,
    },
    lookback: config.identity.lookback,
    browseCap: config.journeys.browseCap,
    quietAfterPurchase: config.journeys.quietAfterPurchase,
    consent: {
      usEmailRequiresOptIn: config.consent.usEmailRequiresOptIn,
      espServiceProviderDpa: config.consent.espServiceProviderDpa,
    },
  };
}

export function createEngine(deps: EngineDeps): Engine {
  const destinations = enabledDestinations(deps.config);
  const consent = new ConsentStage(deps.config.consent, outboxSubscriptionSink(destinations));
  const sinks: TriggerSink[] = [outboxTriggerSink(destinations)];
  const metrics = deps.metrics;
  // Counted as the transaction that stores them is written; one that then fails is counted again when
  // its journeys fire on the next try, so the counter can run ahead of the triggers table after a crash.
  if (metrics)
    sinks.push((_trx, triggers) => {
      for (const trigger of triggers) metrics.triggerFired(trigger.stage);
      return Promise.resolve();
    });
  const settings = firingSettings(deps.config);
  const stages: Stage<ResolvedEvent>[] = [
    consent,
    new JourneyStage(settings, sinks),
    new ConversionStage(destinations),
  ];
  const erasureSteps: ErasureStep[] = [
    eraseJourneys,
    eraseConsent,
    eraseDeliveries(destinations),
    eraseExports,
    eraseWebhookDeliveries,
  ];
  const profileSections: Record<string, ProfileSection> = {
    consents: consentSection,
    journeys: journeySection,
    deliveries: deliverySection,
  };
  const processor = new EventProcessor({
    store: deps.store,
    log: deps.log,
    clock: deps.clock,
    resolver: new IdentityResolver(identityRules(deps.config)),
    stages,
    commands: [eraseCommand(new Eraser(erasureSteps)), dataRequestCommand(profileSections)],
  });
  const scheduler: SchedulerDeps = { store: deps.store, clock: deps.clock, settings, sinks };
  return {
    processor,
    pipeline: new Pipeline(processor, journeyTimers(scheduler)),
    profileSections,
    scheduler,
    triggerDetails: [deliveryDetail],
    destinations,
    housekeep: (now) => deleteExpiredExports(deps.store.db, now - deps.config.exports.ttl),
  };
}
