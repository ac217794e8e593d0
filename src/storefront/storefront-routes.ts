import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config-schema.ts';
import { resolveJurisdiction } from '../consent/jurisdiction.ts';
import { browserKey, requirePublishableKey } from '../http/auth/browser-key-auth.ts';
import { readRequestSignals } from '../ingest/request-signals.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { apiError } from '../http/errors/api-error.ts';
import { queryParams } from '../http/body/query-params.ts';
import type { BannerCounts } from './banner-counts.ts';
import { bannerRegime, withGpc } from './consent-regimes.ts';
import { bannerTexts } from './consent-texts.ts';
import type { DecisionKind } from './consent-mode.ts';

/** Where `npm run build:banner` writes the browser bundles. */
export const STOREFRONT_DIST = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/storefront',
);

/**
 * Optional observers the operator's metrics hang on (both default to nothing). `regime` is the
 * jurisdiction regime (`EU`, `US`, …).
 */
export interface StorefrontHooks {
  onImpression?: (regime: string) => void;
  onDecision?: (regime: string, decision: DecisionKind) => void;
}

export interface StorefrontRoutesOptions extends StorefrontHooks {
  config: Config;
  clock: Clock;
  counts: BannerCounts;
  log: Logger;
  /** Where the bundles are; tests point it at a missing directory. */
  distDir?: string;
}

/**
 * The storefront's browser endpoints: `GET /v1/consent/config` (the visitor's regime, texts, categories
 * and revision), and the bundles `GET /v1/consent/banner.js` and `GET /v1/consent/forms.js`.
 */
export const storefrontRoutes: FastifyPluginAsync<StorefrontRoutesOptions> = (app, options) => {
  const { config, clock, counts, log } = options;
  const dist = options.distDir ?? STOREFRONT_DIST;

  app.get('/v1/consent/config', async (req, reply) => {
    requirePublishableKey(req, config.publishableKeys, browserKey(req));
    const param = queryParams(req);
    const signals = readRequestSignals(req, config.geo, clock.now());
    const jurisdiction = resolveJurisdiction([{ country: signals.country, region: signals.region }]);
    const regime = bannerRegime(jurisdiction.regime);
    const { locale, texts } = bannerTexts(config.consent.texts, param('locale'));
    const revision = config.consent.revision;
    const decided = Number(param('decided') ?? '0');
    const gpc = param('gpc') === '1' || signals.gpc;
    // Counted when the banner will ask: no decision on this revision, and not a US visitor whose GPC
    // already answered. Nothing about the visitor is kept, only the count.
    if (param('banner') === '1' && decided !== revision && !(gpc && regime.gpcHasForce)) {
      counts.impression(clock.now(), jurisdiction.regime);
      options.onImpression?.(jurisdiction.regime);
    }
    void reply.header('cache-control', 'no-store');
    return {
      regime: jurisdiction.regime,
      mode: regime.mode,
      country: jurisdiction.country ?? null,
      region: jurisdiction.region ?? null,
      categories: [
        'necessary',
        'preferences',
        'analytics',
        'marketing',
        ...(regime.saleOfDataChoice ? ['saleOfData'] : []),
      ],
      defaults: regime.defaults,
      gpcHasForce: regime.gpcHasForce,
      gpcDefaults: regime.gpcHasForce ? withGpc(regime.defaults) : null,
      revision,
      locale,
      texts,
      forms: config.consent.forms,
    };
  });

  const bundle = (name: string) => {
    let cached: Buffer | undefined;
    app.get(`/v1/consent/${name}`, async (_req, reply) => {
      if (cached === undefined) {
        try {
          cached = await readFile(path.join(dist, name));
        } catch {
          log.error({ file: path.join(dist, name) }, 'storefront bundle missing: run npm run build');
          throw apiError('RECLAIM_ERR_BANNER_NOT_BUILT', `${name} is not built; run npm run build`);
        }
      }
      return reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(cached);
    });
  };
  bundle('banner.js');
  bundle('forms.js');
  return Promise.resolve();
};

/** Counts a new banner decision on the consent-rates report (the tracking decisions the banner posts). */
export function bannerDecisionCounter(
  counts: BannerCounts,
  clock: Clock,
  hooks: StorefrontHooks,
): (body: Record<string, unknown>, regime: string, kind: DecisionKind | undefined) => void {
  return (body, regime, kind) => {
    if (body.source !== BANNER_SOURCE || kind === undefined) return;
    counts.decision(clock.now(), regime, kind);
    hooks.onDecision?.(regime, kind);
  };
}

/** The `source` the banner records its decisions with. */
export const BANNER_SOURCE = 'reclaim-banner';
