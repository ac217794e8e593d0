import type { EventContext } from '../event-log/canonical-event.ts';

/** Marketing ids a landing URL carries: UTM tags, Meta and Google click ids, Klaviyo's `_kx`. */
export interface LandingParams {
  utm?: EventContext['utm'];
  fbclid?: string;
  gclid?: string;
  kx?: string;
}

const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

/** Reads the marketing ids from a page URL; anything unparseable yields nothing. */
export function readLandingParams(url: string | undefined): LandingParams {
  const start = url ? url.indexOf('?') : -1;
  if (!url || start === -1) return {};
  const end = url.indexOf('#', start);
  const params = new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end));
  const utm: NonNullable<EventContext['utm']> = {};
  for (const key of UTM_KEYS) {
    const value = bounded(params.get(`utm_${key}`));
    if (value) utm[key] = value;
  }
  return {
    ...(Object.keys(utm).length ? { utm } : {}),
    ...optional('fbclid', bounded(params.get('fbclid'))),
    ...optional('gclid', bounded(params.get('gclid'))),
    ...optional('kx', bounded(params.get('_kx'))),
  };
}

/**
 * Meta's click cookie value built from a landing `fbclid`, as Meta's pixel would set it:
 * `fb.1.<creation time ms>.<fbclid>` (Conversions API, `fbc` parameter).
 */
export function fbcFromClickId(fbclid: string, clickTime: number): string {
  return `fb.1.${clickTime}.${fbclid}`;
}

function bounded(value: string | null): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= 2048 ? trimmed : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
