import type { JourneyStage } from '../journeys/journey.ts';
import type { KlaviyoApi } from './klaviyo-api.ts';

/** A JSON:API resource as Klaviyo answers it. */
export interface KlaviyoResource {
  type?: string;
  id: string;
  attributes: Record<string, unknown>;
}

/** Pages of a collection followed at most (Klaviyo pages hold 50 to 200 resources). */
const MAX_PAGES = 50;

/** Every resource of a collection, following `links.next`. */
export async function listAll(api: KlaviyoApi, path: string): Promise<KlaviyoResource[]> {
  const all: KlaviyoResource[] = [];
  let next: string | undefined = path;
  for (let page = 0; next && page < MAX_PAGES; page++) {
    const body = (await api.get(next)) as
      { data?: KlaviyoResource[]; links?: { next?: unknown } } | undefined;
    for (const r of body?.data ?? [])
      if (typeof r.id === 'string') all.push({ ...r, attributes: r.attributes ?? {} });
    next = typeof body?.links?.next === 'string' ? body.links.next : undefined;
  }
  return all;
}

/**
 * The metrics Shopify's Klaviyo integration records, whose flows are the native abandonment flows, and
 * the ones the dedup filters read. Klaviyo names them so in every account with the Shopify integration.
 */
export const NATIVE_METRICS: Record<JourneyStage, string> = {
  browse: 'Viewed Product',
  cart: 'Added to Cart',
  checkout: 'Started Checkout',
};
export const PLACED_ORDER = 'Placed Order';
export const RECEIVED_EMAIL = 'Received Email';
export const RECEIVED_SMS = 'Received SMS';

/**
 * The marker in the name of every object `reclaim klaviyo setup` creates: the native flow it sits
 * beside. Setup finds its own objects by it (so a rerun creates nothing) and `results` pairs the flows
 * by it, even after the native flow is renamed.
 */
const BESIDE = / \[beside ([A-Za-z0-9]+)\]$/;

export const reclaimFlowName = (native: { id: string; name: string }) =>
  `Reclaim · ${native.name} [beside ${native.id}]`;
export const reclaimSegmentName = (native: { id: string; name: string }) =>
  `Reclaim only · ${native.name} [beside ${native.id}]`;

/** The native flow id an object setup created names, or undefined for any other object. */
export function besideOf(name: unknown): string | undefined {
  return typeof name === 'string' && name.startsWith('Reclaim ') ? BESIDE.exec(name)?.[1] : undefined;
}

/** Metric ids by name (the first of a name, as Klaviyo lists them). */
export async function metricIds(api: KlaviyoApi): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const m of await listAll(api, '/api/metrics'))
    if (typeof m.attributes.name === 'string' && !ids.has(m.attributes.name))
      ids.set(m.attributes.name, m.id);
  return ids;
}
