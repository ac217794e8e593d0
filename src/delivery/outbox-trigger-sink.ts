import type { EnabledDestination } from '../destinations/registry.ts';
import type { TriggerSink } from '../journeys/journey-stage.ts';
import { Outbox, type AbandonmentPayload, type DeliveryDraft } from './outbox.ts';

/**
 * Queues every fired trigger for each destination that delivers abandonments, in the transaction that
 * stores the trigger. A trigger no channel may use is recorded as skipped, with the reasons, so the
 * operator sees why nothing went out.
 */
export function outboxTriggerSink(destinations: readonly EnabledDestination[]): TriggerSink {
  const targets = destinations.filter((d) => d.definition.actions.abandonment);
  return async (trx, triggers, now) => {
    if (targets.length === 0 || triggers.length === 0) return;
    const drafts: DeliveryDraft[] = [];
    for (const trigger of triggers) {
      const usable = (['email', 'sms'] as const).some((channel) => {
        const decision = trigger.decisions[channel];
        return 'defer' in decision || decision.allowed;
      });
      const withheld = Object.fromEntries(
        (['email', 'sms'] as const).flatMap((channel) => {
          const decision = trigger.decisions[channel];
          return 'allowed' in decision && !decision.allowed ? [[channel, decision.reason]] : [];
        }),
      );
      const payload: AbandonmentPayload = { triggerId: trigger.id };
      for (const { definition } of targets) {
        drafts.push({
          destination: definition.name,
          kind: 'abandonment',
          subjectId: trigger.id,
          profileId: trigger.profileId,
          payload,
          ...(!usable && { status: 'skipped', outcome: { withheld } }),
        });
      }
    }
    await Outbox.enqueue(trx, drafts, now);
  };
}
