import type { Config } from '../../config/config-schema.ts';

export interface Ga4Settings {
  measurementId: string;
  apiSecret: string;
  baseUrl: string;
}

/** GA4 is on when a measurement id and a Measurement Protocol API secret are configured. */
export function ga4Settings(config: Config): Ga4Settings | undefined {
  const g = config.ga4;
  if (!g.measurementId || !g.apiSecret) return undefined;
  return { measurementId: g.measurementId, apiSecret: g.apiSecret, baseUrl: g.baseUrl };
}
