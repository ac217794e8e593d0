import type { Config } from '../config/config-schema.ts';
import type { DestinationDefinition } from './destination.ts';
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
