import type { Config } from '../../config/config-schema.ts';

/** The Graph API version Reclaim speaks to the Conversions API. */
export const META_API_VERSION = 'v25.0';

export interface MetaSettings {
  pixelId: string;
  accessToken: string;
  baseUrl: string;
  testEventCode?: string;
}

/** The Conversions API is on when a dataset id and an access token are configured. */
export function metaSettings(config: Config): MetaSettings | undefined {
  const m = config.meta;
  if (!m.pixelId || !m.accessToken) return undefined;
  return {
    pixelId: m.pixelId,
    accessToken: m.accessToken,
    baseUrl: m.baseUrl,
    testEventCode: m.testEventCode,
  };
}
