import type { Config } from '../config/config-schema.ts';
import { klaviyoSettings } from '../destinations/klaviyo/settings.ts';
import type { Logger } from '../runtime/logger.ts';
import { KlaviyoApi } from './klaviyo-api.ts';
import { checkKlaviyo } from './klaviyo-check.ts';

/**
 * The check `serve` runs as it starts, in the background: one log line per problem (an error line for a
 * key Klaviyo refuses, a warning for anything else), nothing when Klaviyo is not configured or all is
 * well. It never throws; `signal` abandons it when the server stops.
 */
export async function startupKlaviyoCheck(
  config: Config,
  log: Logger,
  signal: AbortSignal,
  options: { fetch?: typeof fetch } = {},
): Promise<void> {
  const settings = klaviyoSettings(config);
  if (!settings) return;
  try {
    const check = await checkKlaviyo(new KlaviyoApi(settings, { signal, ...options }));
    if (signal.aborted) return;
    if (!check.api.ok && check.api.kind === 'invalid_key') {
      log.error({ destination: 'klaviyo' }, check.api.message);
      return;
    }
    for (const problem of check.problems) log.warn({ destination: 'klaviyo' }, `klaviyo check: ${problem}`);
  } catch (error) {
    if (!signal.aborted) log.warn({ destination: 'klaviyo', err: error }, 'klaviyo check could not run');
  }
}
