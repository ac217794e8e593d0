import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseDuration } from './duration.ts';

/** A duration written as `45s`, `30m`, `2h` or `1d`, parsed to milliseconds. */
const duration = (min = 1_000) =>
  z
    .union([z.string(), z.number()], { error: 'must be a duration such as 45s, 30m, 2h or 1d' })
    .transform((value, ctx) => {
      const ms = typeof value === 'number' ? value : parseDuration(value);
      if (ms === undefined || !Number.isFinite(ms) || ms < min) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration such as 45s, 30m, 2h or 1d, of at least ${min / 1000}s`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** Integers arrive as strings from the environment and as numbers from the file. */
const integer = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: message }).int(message).min(min, message).max(max, message),
  );
};

/** Lists arrive comma-separated from the environment and as arrays from the file. */
const list = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',') : value),
  z
    .array(z.string({ error: 'must be a list of strings' }), { error: 'must be a list of strings' })
    .transform((items) => items.map((item) => item.trim()).filter((item) => item.length > 0)),
);

const bool = z.preprocess(
  (value) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value),
  z.boolean({ error: 'must be true or false' }),
);

const url = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** A number from 0 (exclusive) to 1, from the file or the environment. */
const fraction = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z
    .number({ error: 'must be a number above 0 and at most 1' })
    .gt(0, 'must be a number above 0 and at most 1')
    .max(1, 'must be a number above 0 and at most 1'),
);

const ORIGIN_MESSAGE = 'must be origins such as https://shop.example (scheme and host, no path), * or null';

/**
 * Browser origins exactly as a browser writes them in `Origin` (`https://shop.example`, lower case, no
 * path or trailing slash), `*` for any, or `null` for the opaque origin of a sandboxed frame.
 */
const origins = list.transform((items, ctx) =>
  items.map((item) => {
    if (item === '*' || item === 'null') return item;
    const parsed = URL.canParse(item) ? new URL(item) : undefined;
    const exact =
      parsed && /^https?:$/.test(parsed.protocol) && item.replace(/\/$/, '').toLowerCase() === parsed.origin;
    if (!exact) ctx.addIssue({ code: 'custom', message: `${ORIGIN_MESSAGE}; "${item}" is not one` });
    return parsed?.origin ?? item;
  }),
);

const PROXY_MESSAGE =
  'must be false, a number of proxy hops (1 to 10), or a list of proxy addresses and CIDRs (10.0.0.0/8, loopback)';

/** Named address ranges `proxy-addr` (Fastify's `trustProxy`) understands. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(value: string): boolean {
  if (PROXY_RANGE_NAMES.has(value)) return true;
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which peers may tell Reclaim the client's address through `X-Forwarded-For`: none (`false`), the nearest
 * N hops, or proxies at these addresses. `true` (trust any peer) is refused: it lets every client choose
 * its own address, and with it escape the per-address rate limit.
 */
const trustProxy = z
  .union([z.boolean(), z.number(), z.string(), z.array(z.string())], { error: PROXY_MESSAGE })
  .transform((value, ctx): false | number | string[] => {
    if (value === false || value === 'false' || value === '0' || value === 0) return false;
    const hops = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
    if (Number.isInteger(hops) && hops >= 1 && hops <= 10) return hops;
    const entries = (Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [])
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    if (entries.length === 0 || !entries.every(isAddressOrCidr)) {
      ctx.addIssue({ code: 'custom', message: PROXY_MESSAGE });
      return z.NEVER;
    }
    return entries;
  });

const shortText = z.string().min(1).max(2_000);

/** One locale's banner texts; each one falls back to the default when absent. */
const bannerTexts = z.strictObject({
  title: shortText.optional(),
  description: z.string().min(1).max(5_000).optional(),
  acceptAll: shortText.optional(),
  rejectAll: shortText.optional(),
  preferences: shortText.optional(),
  save: shortText.optional(),
  doNotSell: shortText.optional(),
  necessary: shortText.optional(),
  analytics: shortText.optional(),
  marketing: shortText.optional(),
  preferencesCategory: shortText.optional(),
  saleOfData: shortText.optional(),
  necessaryDescription: shortText.optional(),
  preferencesDescription: shortText.optional(),
  analyticsDescription: shortText.optional(),
  marketingDescription: shortText.optional(),
  saleOfDataDescription: shortText.optional(),
});

const formWording = z.strictObject({
  /** The label next to the unticked box, exactly as shown. */
  wording: z.string().min(1).max(5_000).default('Email me news and offers. You can unsubscribe at any time.'),
  version: z.string().min(1).max(256).default('email-form-1'),
});

const smsWording = z.strictObject({
  wording: z
    .string()
    .min(1)
    .max(5_000)
    .default(
      'Text me marketing messages at the number above. Consent is not a condition of purchase. Message frequency varies; message and data rates may apply. Reply STOP to stop, HELP for help.',
    ),
  version: z.string().min(1).max(256).default('sms-form-1'),
});

const metricName = z.string().min(1).max(127, 'must be under 128 characters');

const databaseUrl = z
  .string()
  .refine((value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value), {
    message: 'must be sqlite:PATH (or sqlite::memory:) or postgres://user@host:port/database',
  });

/**
 * Reclaim's whole configuration: one JSON file (`--config`, `RECLAIM_CONFIG`) overlaid by the
 * environment variables listed in `ENVIRONMENT` (the environment wins). Parsed once at start-up.
 */
export const configSchema = z.strictObject({
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
  databaseUrl: databaseUrl.default('sqlite:./data/reclaim.sqlite'),
  /**
   * SQLite's `synchronous` pragma. `normal` (default, with WAL) survives a crash or kill of the
   * process; `full` also survives a power cut, at a cost in write throughput.
   */
  sqliteSynchronous: z.enum(['normal', 'full']).default('normal'),
  port: integer(0, 65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  /** Proxies believed about the client's address (`X-Forwarded-For`); CONTRACT.md "Network trust". */
  trustProxy: trustProxy.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * `json`: one JSON object a line, for a log collector. `pretty`: coloured, one readable line per entry
   * (pino-pretty). `auto` (default): pretty when stdout is a terminal, JSON otherwise.
   */
  logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeout: duration(100).default(10_000),
  /** Longest a client may take to send a whole request, body included; then 408 and the connection closes. */
  requestTimeout: duration(100).default(30_000),
  /** Longest a client may take to send a request's headers (at most `requestTimeout`). */
  headersTimeout: duration(100).default(10_000),
  /** Write keys for the Segment-compatible API; empty means that API answers 401. */
  writeKeys: list.default([]),
  /**
   * Keys that may appear in the store's pages (the banner, the opt-in forms, the pixel). They authorise
   * only the browser endpoints (`/v1/pixel`, `/v1/consent`, `/v1/consent/*`) and only from
   * `pixel.allowedOrigins`; empty means the banner and forms cannot record decisions.
   */
  publishableKeys: list.default([]),
  /** Bearer token for `/admin/*` and the dashboard; unset means admin answers 401. */
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Reclaim's origin as Shopify and shoppers' browsers reach it (`https://reclaim.example.com`): webhook
   * subscriptions and the web pixel's settings point here. Shopify delivers webhooks to https only.
   */
  publicUrl: url.optional(),
  /**
   * 32 bytes, base64 (44 characters) or hex (64): the AES-256-GCM key that encrypts the offline access
   * tokens the OAuth install stores. Unset: the install route refuses.
   */
  encryptionKey: z
    .string()
    .trim()
    .refine(
      (v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32,
      'must be 32 bytes written as 64 hex digits or 44 base64 characters (openssl rand -base64 32)',
    )
    .optional(),
  shopify: z
    .strictObject({
      /** The app's client secret(s) for webhook HMAC; two during a rotation. Empty: webhooks answer 401. */
      webhookSecrets: list.default([]),
      /** The store's permanent domain (`northwind-demo.myshopify.com`), for `reclaim shopify connect|status`. */
      shop: z
        .string()
        .trim()
        .toLowerCase()
        .regex(
          /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/,
          'must be the store’s myshopify.com domain, such as northwind-demo.myshopify.com',
        )
        .optional(),
      /** Admin API access token of the app installed on that store (`shpat_…`). */
      adminToken: z.string().min(1).optional(),
      /** Admin API origin; default `https://{shop}`. Tests and staging point it at `reclaim stand-in shopify`. */
      adminBaseUrl: url.optional(),
      /**
       * The app's client id (API key), for the OAuth install route of an app distributed from Shopify's
       * dashboard; its client secret is `SHOPIFY_WEBHOOK_SECRET` (the first one). Unset: `/shopify/install` refuses.
       */
      apiKey: z.string().trim().min(1).max(256).optional(),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /**
       * Threads that parse, validate and map large Segment and pixel bodies (8 KiB and more) while the main
       * thread stores rows; 0 does it all on the main thread. Default: one per core beyond the first, at most 4.
       */
      workers: integer(0, 16).default(Math.min(4, availableParallelism() - 1)),
    })
    .prefault({}),
  pixel: z
    .strictObject({
      /**
       * Origins allowed to call `/v1/pixel` and `/v1/consent` from a browser; `*` allows any. A request
       * whose `Origin` is not listed is refused (403); a request without `Origin` is not a browser's.
       */
      allowedOrigins: origins.default(['*']),
      /** Requests per minute one IP address may make to the browser-facing endpoints. */
      rateLimitPerMinute: integer(1, 10_000_000).default(1200),
    })
    .prefault({}),
  consent: z
    .strictObject({
      /** Wording version recorded for tracking decisions made in the store's Shopify cookie banner. */
      bannerWordingVersion: z.string().min(1).max(256).default('shopify-cookie-banner'),
      /**
       * How the store's checkout asks about marketing email. `opt_in` (Shopify's default): an unticked
       * "email me news and offers" box — ticking it is consent, leaving it is a refusal. `opt_out`: the
       * shopper is told at the email field that they will get marketing and can untick to refuse — the
       * precondition of the EU/UK soft opt-in and the Swiss customer exception.
       */
      checkoutMarketingBox: z.enum(['opt_in', 'opt_out']).default('opt_in'),
      /** Wording version of the checkout marketing box (or opt-out notice). */
      checkoutWordingVersion: z.string().min(1).max(256).default('shopify-checkout-email-marketing'),
      /** Wording version of the checkout SMS consent (Shopify shows the TCPA disclosure there). */
      smsCheckoutWordingVersion: z.string().min(1).max(256).default('shopify-checkout-sms-marketing'),
      /** US: require an explicit opt-in instead of CAN-SPAM's opt-out regime. */
      usEmailRequiresOptIn: bool.default(false),
      /** US: a DPA with the email platform is on file (GPC then does not stop browse/cart triggers). */
      espServiceProviderDpa: bool.default(false),
      /**
       * The banner's revision (CONTRACT.md "Storefront consent"): bump it when what the banner asks
       * changes, and every earlier decision counts as none, so each visitor is asked again.
       */
      revision: integer(1, 1_000_000).default(1),
      /**
       * The store's own banner texts per locale (`en`, `de`, `fr-CA`), each field optional; what is not
       * given falls back to Reclaim's defaults (`src/storefront/consent-texts.ts`).
       */
      texts: z
        .record(
          z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a locale such as en or fr-CA'),
          bannerTexts,
        )
        .default({}),
      /**
       * Wording of the embeddable opt-in forms; its `version` is recorded with every submission, so change
       * the version whenever the wording changes.
       */
      forms: z
        .strictObject({
          email: formWording.prefault({}),
          sms: smsWording.prefault({}),
        })
        .prefault({}),
      /** Recorded on every ledger record; bump it when the store's consent texts change. */
      policyRevision: z.string().min(1).max(64).default('1'),
    })
    .prefault({}),
  store: z
    .strictObject({
      /**
       * The store's own country (ISO 3166-1 alpha-2): phone numbers an operator types without a country
       * code (`020 7946 0958`) are read as this country's.
       */
      country: z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as GB')
        .transform((c) => c.toUpperCase())
        .optional(),
    })
    .prefault({}),
  geo: z
    .strictObject({
      /** Trusted request header carrying the visitor's ISO country code (`DE`). */
      countryHeader: z.string().min(1).toLowerCase().default('cf-ipcountry'),
      /** Trusted request header carrying the visitor's subdivision (`US-CA` or `CA`). */
      regionHeader: z.string().min(1).toLowerCase().default('cf-region-code'),
    })
    .prefault({}),
  journeys: z
    .strictObject({
      /** Inactivity after which a browse journey is abandoned. */
      browseAfter: duration().default(2 * 3_600_000),
      /** Inactivity after which a cart journey is abandoned. */
      cartAfter: duration().default(3_600_000),
      /** Inactivity after which a checkout journey is abandoned. */
      checkoutAfter: duration().default(3_600_000),
      /** At most one browse trigger per shopper in this period. */
      browseCap: duration().default(86_400_000),
      /** No trigger for a shopper who bought within this period. */
      quietAfterPurchase: duration().default(86_400_000),
    })
    .prefault({}),
  identity: z
    .strictObject({
      /** How long an identifier link keeps a shopper recognisable. */
      lookback: duration().default(100 * 86_400_000),
      /**
       * Most identifiers of each type one profile may hold; a merge or link beyond it is refused. The
       * defaults stop a shared device or a placeholder value from gluing strangers together.
       */
      limits: z
        .strictObject({
          customerId: integer(1, 1).default(1),
          email: integer(1, 100).default(5),
          phone: integer(1, 100).default(3),
          checkoutToken: integer(1, 10_000).default(500),
          orderId: integer(1, 100_000).default(5_000),
          cartToken: integer(1, 10_000).default(500),
          kx: integer(1, 1_000).default(20),
          browserId: integer(1, 1_000).default(20),
          clientId: integer(1, 1_000).default(50),
          anonymousId: integer(1, 1_000).default(50),
        })
        .prefault({}),
      /** Extra placeholder values never used as identifiers (added to the built-in list). */
      blocklist: list.default([]),
    })
    .prefault({}),
  klaviyo: z
    .strictObject({
      /** Klaviyo private API key (scopes `events:write`, `data-privacy:write`; `accounts:read`, `metrics:read`, `flows:read` for `reclaim klaviyo check`); unset turns Klaviyo off. */
      apiKey: z.string().min(1).optional(),
      baseUrl: url.default('https://a.klaviyo.com'),
      /** Metric names of the triggers (CONTRACT.md "Klaviyo output"); Klaviyo allows under 128 characters. */
      metrics: z
        .strictObject({
          browse: metricName.default('Reclaim Browse Abandonment'),
          cart: metricName.default('Reclaim Cart Abandonment'),
          checkout: metricName.default('Reclaim Checkout Abandonment'),
        })
        .prefault({}),
      /**
       * Share of the account's API quota Reclaim may use. Every private-key integration of a Klaviyo
       * account draws on one quota, so leave room for the others.
       */
      rateLimitShare: fraction.default(0.9),
      /** Triggers waiting before Reclaim switches to the bulk endpoint (up to 1,000 events a request). */
      bulkBacklog: integer(2, 1_000_000).default(100),
      /**
       * Subscribe a phone to SMS marketing in Klaviyo when the ledger records an explicit SMS opt-in with
       * its wording (TCPA prior express written consent), and unsubscribe it on withdrawal. Needs
       * `subscriptions:write` and `profiles:write`.
       */
      syncSmsConsent: bool.default(false),
      /** The same for email marketing (explicit opt-ins only; soft opt-ins stay in Reclaim). */
      syncEmailConsent: bool.default(false),
    })
    .prefault({}),
  meta: z
    .strictObject({
      /** Meta dataset (pixel) id; with `accessToken` it turns the Conversions API destination on. */
      pixelId: z
        .string()
        .regex(/^\d{5,20}$/, 'must be the numeric dataset (pixel) id')
        .optional(),
      /** Conversions API access token from Events Manager. */
      accessToken: z.string().min(1).optional(),
      baseUrl: url.default('https://graph.facebook.com'),
      /** Events Manager test code: events show under Test Events (and still count). */
      testEventCode: z.string().min(1).max(64).optional(),
    })
    .refine((meta) => (meta.pixelId === undefined) === (meta.accessToken === undefined), {
      message: 'needs both pixelId and accessToken, or neither',
    })
    .prefault({}),
  ga4: z
    .strictObject({
      /** GA4 web stream measurement id (`G-XXXXXXX`); with `apiSecret` it turns GA4 on. */
      measurementId: z
        .string()
        .regex(/^G-[A-Z0-9]{4,20}$/, 'must be a measurement id such as G-ABC123XYZ')
        .optional(),
      /** Measurement Protocol API secret of that stream. */
      apiSecret: z.string().min(1).optional(),
      /** `https://region1.google-analytics.com` keeps collection in the EU. */
      baseUrl: url.default('https://www.google-analytics.com'),
    })
    .refine((ga4) => (ga4.measurementId === undefined) === (ga4.apiSecret === undefined), {
      message: 'needs both measurementId and apiSecret, or neither',
    })
    .prefault({}),
  delivery: z
    .strictObject({
      /** How long a failing delivery is retried before it is dead-lettered. */
      retryHorizon: duration().default(24 * 3_600_000),
      /** Longest wait for a partner's answer. */
      timeout: duration(100).default(10_000),
      /** How long a worker holds the rows it took; after that another worker may send them again. */
      claimTimeout: duration().default(120_000),
    })
    .prefault({}),
  exports: z
    .strictObject({
      /** How long a data-subject export is kept for the merchant to fetch before it is deleted. */
      ttl: duration(60_000).default(30 * 86_400_000),
    })
    .prefault({}),
  reports: z
    .strictObject({
      /** Orders placed this long after a Reclaim send are credited to it in the gap report. */
      attributionWindow: duration().default(5 * 86_400_000),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Serve `GET /metrics` (Prometheus text format) and count what the process does. */
      enabled: bool.default(true),
      /**
       * A bearer token for `/metrics` alone, so a Prometheus server need not hold the admin token;
       * `RECLAIM_ADMIN_TOKEN` is accepted too. With neither set, `/metrics` answers 401.
       */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
      /** `reclaim worker` serves its own `/metrics` on this port; unset: the worker serves none. */
      workerPort: integer(0, 65535).optional(),
    })
    .prefault({}),
  scanner: z
    .strictObject({
      /** Storefront pages the server scans on a schedule (`docs/scanner.md`); empty turns scheduled scans off. */
      urls: list
        .transform((items, ctx) =>
          items.map((item) => {
            if (!/^https?:\/\//i.test(item) || !URL.canParse(item))
              ctx.addIssue({
                code: 'custom',
                message: `must be a list of http(s) URLs; "${item}" is not one`,
              });
            return item;
          }),
        )
        .default([]),
      /** How often the scheduled scan runs. */
      every: duration(60_000).default(86_400_000),
      /** The visitor's country (or `CC-SUB`) the scheduled scan poses as; its regime decides the verdicts. */
      region: z
        .string()
        .regex(
          /^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$/,
          'must be a country code such as DE, or CC-SUB such as US-CA',
        )
        .transform((r) => r.toUpperCase())
        .default('DE'),
      /** The Chromium the scanner drives (Debian's `chromium` package by default). */
      chromiumPath: z.string().min(1).default('/usr/bin/chromium'),
    })
    .prefault({}),
  dashboard: z
    .strictObject({
      /** How long a dashboard sign-in lasts; then the browser is asked for the admin token again. */
      sessionTtl: duration(60_000).default(12 * 3_600_000),
      /** Sign-in attempts allowed per client address per minute (wrong tokens included). */
      signInsPerMinute: integer(1, 10_000).default(10),
    })
    .prefault({}),
  features: z.strictObject({ debugRoutes: bool.default(false) }).prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;

/** One environment variable and the config key it sets. */
export interface EnvironmentVariable {
  name: string;
  path: readonly string[];
  secret?: boolean;
}

/** Every environment variable Reclaim reads (CONTRACT.md "Configuration"), and the key each one sets. */
export const ENVIRONMENT: readonly EnvironmentVariable[] = [
  { name: 'RECLAIM_DATABASE_URL', path: ['databaseUrl'], secret: true },
  { name: 'RECLAIM_SQLITE_SYNCHRONOUS', path: ['sqliteSynchronous'] },
  { name: 'PORT', path: ['port'] },
  { name: 'HOST', path: ['host'] },
  { name: 'RECLAIM_TRUST_PROXY', path: ['trustProxy'] },
  { name: 'RECLAIM_LOG_LEVEL', path: ['logLevel'] },
  { name: 'RECLAIM_LOG_FORMAT', path: ['logFormat'] },
  { name: 'RECLAIM_SHUTDOWN_TIMEOUT', path: ['shutdownTimeout'] },
  { name: 'RECLAIM_REQUEST_TIMEOUT', path: ['requestTimeout'] },
  { name: 'RECLAIM_HEADERS_TIMEOUT', path: ['headersTimeout'] },
  { name: 'RECLAIM_WRITE_KEYS', path: ['writeKeys'], secret: true },
  { name: 'RECLAIM_PUBLISHABLE_KEYS', path: ['publishableKeys'] },
  { name: 'RECLAIM_ADMIN_TOKEN', path: ['adminToken'], secret: true },
  { name: 'RECLAIM_PUBLIC_URL', path: ['publicUrl'] },
  { name: 'SHOPIFY_WEBHOOK_SECRET', path: ['shopify', 'webhookSecrets'], secret: true },
  { name: 'SHOPIFY_SHOP', path: ['shopify', 'shop'] },
  { name: 'SHOPIFY_ADMIN_TOKEN', path: ['shopify', 'adminToken'], secret: true },
  { name: 'SHOPIFY_ADMIN_BASE_URL', path: ['shopify', 'adminBaseUrl'] },
  { name: 'SHOPIFY_API_KEY', path: ['shopify', 'apiKey'] },
  { name: 'RECLAIM_ENCRYPTION_KEY', path: ['encryptionKey'], secret: true },
  { name: 'RECLAIM_INGEST_WORKERS', path: ['ingest', 'workers'] },
  { name: 'RECLAIM_PIXEL_ORIGINS', path: ['pixel', 'allowedOrigins'] },
  { name: 'RECLAIM_PIXEL_RATE_LIMIT', path: ['pixel', 'rateLimitPerMinute'] },
  { name: 'RECLAIM_CONSENT_REVISION', path: ['consent', 'revision'] },
  { name: 'RECLAIM_CHECKOUT_MARKETING_BOX', path: ['consent', 'checkoutMarketingBox'] },
  { name: 'RECLAIM_US_EMAIL_REQUIRES_OPT_IN', path: ['consent', 'usEmailRequiresOptIn'] },
  { name: 'RECLAIM_ESP_SERVICE_PROVIDER_DPA', path: ['consent', 'espServiceProviderDpa'] },
  { name: 'RECLAIM_STORE_COUNTRY', path: ['store', 'country'] },
  { name: 'RECLAIM_GEO_COUNTRY_HEADER', path: ['geo', 'countryHeader'] },
  { name: 'RECLAIM_GEO_REGION_HEADER', path: ['geo', 'regionHeader'] },
  { name: 'RECLAIM_BROWSE_AFTER', path: ['journeys', 'browseAfter'] },
  { name: 'RECLAIM_CART_AFTER', path: ['journeys', 'cartAfter'] },
  { name: 'RECLAIM_CHECKOUT_AFTER', path: ['journeys', 'checkoutAfter'] },
  { name: 'RECLAIM_IDENTITY_LOOKBACK', path: ['identity', 'lookback'] },
  { name: 'RECLAIM_IDENTITY_BLOCKLIST', path: ['identity', 'blocklist'] },
  { name: 'KLAVIYO_API_KEY', path: ['klaviyo', 'apiKey'], secret: true },
  { name: 'KLAVIYO_BASE_URL', path: ['klaviyo', 'baseUrl'] },
  { name: 'KLAVIYO_RATE_LIMIT_SHARE', path: ['klaviyo', 'rateLimitShare'] },
  { name: 'RECLAIM_KLAVIYO_SYNC_SMS_CONSENT', path: ['klaviyo', 'syncSmsConsent'] },
  { name: 'RECLAIM_KLAVIYO_SYNC_EMAIL_CONSENT', path: ['klaviyo', 'syncEmailConsent'] },
  { name: 'META_PIXEL_ID', path: ['meta', 'pixelId'] },
  { name: 'META_ACCESS_TOKEN', path: ['meta', 'accessToken'], secret: true },
  { name: 'META_BASE_URL', path: ['meta', 'baseUrl'] },
  { name: 'META_TEST_EVENT_CODE', path: ['meta', 'testEventCode'] },
  { name: 'GA4_MEASUREMENT_ID', path: ['ga4', 'measurementId'] },
  { name: 'GA4_API_SECRET', path: ['ga4', 'apiSecret'], secret: true },
  { name: 'GA4_BASE_URL', path: ['ga4', 'baseUrl'] },
  { name: 'RECLAIM_DELIVERY_RETRY_HORIZON', path: ['delivery', 'retryHorizon'] },
  { name: 'RECLAIM_DELIVERY_TIMEOUT', path: ['delivery', 'timeout'] },
  { name: 'RECLAIM_ATTRIBUTION_WINDOW', path: ['reports', 'attributionWindow'] },
  { name: 'RECLAIM_EXPORT_TTL', path: ['exports', 'ttl'] },
  { name: 'RECLAIM_METRICS_ENABLED', path: ['metrics', 'enabled'] },
  { name: 'RECLAIM_METRICS_TOKEN', path: ['metrics', 'token'], secret: true },
  { name: 'RECLAIM_WORKER_METRICS_PORT', path: ['metrics', 'workerPort'] },
  { name: 'RECLAIM_SCAN_URLS', path: ['scanner', 'urls'] },
  { name: 'RECLAIM_SCAN_EVERY', path: ['scanner', 'every'] },
  { name: 'RECLAIM_SCAN_REGION', path: ['scanner', 'region'] },
  { name: 'RECLAIM_CHROMIUM_PATH', path: ['scanner', 'chromiumPath'] },
  { name: 'RECLAIM_DASHBOARD_SESSION_TTL', path: ['dashboard', 'sessionTtl'] },
  { name: 'RECLAIM_DASHBOARD_SIGN_IN_LIMIT', path: ['dashboard', 'signInsPerMinute'] },
];

/** Config keys whose values are masked wherever the config is shown. */
export const SECRET_PATHS: readonly (readonly string[])[] = ENVIRONMENT.filter((v) => v.secret).map(
  (v) => v.path,
);
