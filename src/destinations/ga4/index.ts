import type { DestinationDefinition } from '../kit/destination.ts';
import { conversion } from './actions/conversion.ts';
import { ga4Settings, type Ga4Settings } from './settings.ts';

/** GA4 Measurement Protocol: the store's commerce events, server-side, for analytics. */
export const ga4: DestinationDefinition<Ga4Settings> = {
  name: 'ga4',
  title: 'Google Analytics 4',
  settings: ga4Settings,
  concurrency: 4,
  actions: { conversion },
};
