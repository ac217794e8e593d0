import type { Config } from '../config/config-schema.ts';
import type { DeliveryKind, DestinationDefinition, RateLimit } from './kit/destination.ts';
import { ga4 } from './ga4/index.ts';
import { klaviyo } from './klaviyo/index.ts';
import { meta } from './meta/index.ts';

/** Every destination Reclaim can deliver to, by name. */
export const DESTINATIONS = { klaviyo, meta, ga4 } as const;
export type DestinationName = keyof typeof DESTINATIONS;

/** A destination the config turns on, with its settings. */
export interface EnabledDestination {
  definition: DestinationDefinition;
  settings: unknown;
}

/** The destinations this config turns on. */
export function enabledDestinations(config: Config): EnabledDestination[] {
  return (Object.values(DESTINATIONS) as DestinationDefinition[]).flatMap((definition) => {
    const settings = definition.settings(config);
    return settings === undefined ? [] : [{ definition, settings }];
  });
}

/** Every destination that receives purchases, and whether this config turns it on. */
export function conversionDestinations(enabled: readonly EnabledDestination[]) {
  return (Object.values(DESTINATIONS) as DestinationDefinition[]).flatMap((d) =>
    d.actions.conversion
      ? [
          {
            name: d.name,
            title: d.title,
            event: d.actions.conversion.purchaseEvent,
            enabled: enabled.some((e) => e.definition.name === d.name),
          },
        ]
      : [],
  );
}

/** An enabled destination's send limits per kind of delivery, after its share of the partner's quota. */
export function sendLimits(destination: EnabledDestination): Partial<Record<DeliveryKind, RateLimit>> {
  const { definition, settings } = destination;
  const share = definition.rateShare?.(settings) ?? 1;
  return Object.fromEntries(
    Object.entries(definition.actions).map(([kind, action]) => [
      kind,
      {
        perSecond: Math.max(1, Math.floor(action.rateLimit.perSecond * share)),
        perMinute: Math.max(1, Math.floor(action.rateLimit.perMinute * share)),
      },
    ]),
  );
}
