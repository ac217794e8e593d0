/**
 * The Admin GraphQL API version Reclaim speaks, for its own calls and for the webhooks it subscribes to
 * (`shopify.app.toml` pins the same one; a test compares them). Shopify supports a stable version for at
 * least twelve months (https://shopify.dev/docs/api/usage/versioning).
 */
export const SHOPIFY_ADMIN_API_VERSION = '2025-10';

/**
 * What a failed Admin API call means, decided once where Shopify's answer is read; the commands switch
 * on `kind` and nothing else.
 * - `unauthorized`: the access token is wrong or revoked (HTTP 401). The operator fixes `SHOPIFY_ADMIN_TOKEN`.
 * - `unknown_shop`: nothing answers for this shop (HTTP 404). The operator fixes `SHOPIFY_SHOP`.
 * - `access_denied`: the token lacks a scope a field needs (`ACCESS_DENIED`). The app's scopes change.
 * - `throttled`: the query-cost bucket stayed empty after waiting for it to refill (`THROTTLED`).
 * - `unavailable`: Shopify could not be reached or failed (network error, 5xx).
 * - `rejected`: Shopify refused the query itself (other GraphQL errors): a defect in Reclaim.
 */
export type ShopifyFailureKind =
  'unauthorized' | 'unknown_shop' | 'access_denied' | 'throttled' | 'unavailable' | 'rejected';

export class ShopifyAdminError extends Error {
  override readonly name = 'ShopifyAdminError';
  constructor(
    readonly kind: ShopifyFailureKind,
    message: string,
    /** `extensions.code` of each GraphQL error, when Shopify answered with some. */
    readonly codes: readonly string[] = [],
  ) {
    super(message);
  }
}

/** `extensions.cost` of an Admin GraphQL answer (https://shopify.dev/docs/api/usage/limits). */
export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost?: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

interface GraphqlError {
  message: string;
  extensions?: { code?: string; requiredAccess?: string; cost?: QueryCost };
}

export interface ShopifyAdminClientOptions {
  /** `northwind-demo.myshopify.com`. */
  shop: string;
  accessToken: string;
  /** Admin API origin (default `https://{shop}`); the stand-in's URL in tests. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Waits before a throttled query is retried; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Throttled attempts retried before the call fails as `throttled`. */
  maxThrottleRetries?: number;
  /** Longest wait for one answer, in ms. */
  timeoutMs?: number;
  /** Longest wait for the cost bucket to refill before a throttled call fails, in ms. */
  maxThrottleWaitMs?: number;
}

/**
 * A small Admin GraphQL client: one POST per operation to `/admin/api/{version}/graphql.json` with
 * `X-Shopify-Access-Token`. A `THROTTLED` answer is retried after the time the bucket needs to refill
 * at its `restoreRate` (points per second) for the requested cost; other failures are classified once
 * as a `ShopifyAdminError`.
 */
export class ShopifyAdminClient {
  readonly endpoint: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #maxWaitMs: number;

  constructor(options: ShopifyAdminClientOptions) {
    const origin = (options.baseUrl ?? `https://${options.shop}`).replace(/\/+$/, '');
    this.endpoint = `${origin}/admin/api/${SHOPIFY_ADMIN_API_VERSION}/graphql.json`;
    this.#token = options.accessToken;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#maxRetries = options.maxThrottleRetries ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#maxWaitMs = options.maxThrottleWaitMs ?? 30_000;
  }

  /** Runs one operation and returns its `data`; throws `ShopifyAdminError` for any failure. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#post(query, variables);
      const throttled = answer.errors?.find((e) => e.extensions?.code === 'THROTTLED');
      if (throttled) {
        const wait = refillDelay(answer.extensions?.cost ?? throttled.extensions?.cost);
        if (attempt >= this.#maxRetries || wait > this.#maxWaitMs)
          throw new ShopifyAdminError(
            'throttled',
            'Shopify is throttling this app’s Admin API queries (query cost limit); wait a minute and run it again',
          );
        await this.#sleep(wait);
        continue;
      }
      if (answer.errors?.length) throw classifyErrors(answer.errors);
      if (answer.data === undefined || answer.data === null)
        throw new ShopifyAdminError('rejected', 'Shopify answered without data');
      return answer.data as T;
    }
  }

  async #post(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ data?: unknown; errors?: GraphqlError[]; extensions?: { cost?: QueryCost } }> {
    let response: Response;
    try {
      response = await this.#fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-shopify-access-token': this.#token,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new ShopifyAdminError(
        'unavailable',
        `cannot reach the Shopify Admin API at ${this.endpoint}: ${(error as Error).message}`,
      );
    }
    if (response.status === 401 || response.status === 403)
      throw new ShopifyAdminError(
        'unauthorized',
        'Shopify refused the access token (401); set SHOPIFY_ADMIN_TOKEN to the Admin API access token of the app installed on this store',
      );
    if (response.status === 404)
      throw new ShopifyAdminError(
        'unknown_shop',
        `no Shopify store answers at ${this.endpoint} (404); set SHOPIFY_SHOP to the store’s myshopify.com domain`,
      );
    if (response.status === 429)
      throw new ShopifyAdminError(
        'throttled',
        'Shopify is rate-limiting this app (429); wait a minute and run it again',
      );
    if (response.status >= 500)
      throw new ShopifyAdminError(
        'unavailable',
        `the Shopify Admin API failed (${response.status}); try again later`,
      );
    try {
      return (await response.json()) as { data?: unknown; errors?: GraphqlError[] };
    } catch {
      throw new ShopifyAdminError('rejected', `Shopify answered ${response.status} without JSON`);
    }
  }
}

/**
 * Milliseconds until the bucket holds the requested cost again at its restore rate (points per second);
 * infinite when the cost is beyond the bucket or it does not refill. Without a cost, one second.
 */
export function refillDelay(cost: QueryCost | undefined): number {
  if (!cost) return 1_000;
  const { currentlyAvailable, restoreRate, maximumAvailable } = cost.throttleStatus;
  if (restoreRate <= 0 || cost.requestedQueryCost > maximumAvailable) return Infinity;
  const missing = Math.max(0, cost.requestedQueryCost - currentlyAvailable);
  return Math.max(100, Math.ceil((missing / restoreRate) * 1_000));
}

function classifyErrors(errors: GraphqlError[]): ShopifyAdminError {
  const denied = errors.filter((e) => e.extensions?.code === 'ACCESS_DENIED');
  if (denied.length > 0)
    return new ShopifyAdminError(
      'access_denied',
      `Shopify denied access: ${denied.map((e) => e.extensions?.requiredAccess ?? e.message).join('; ')}`,
    );
  return new ShopifyAdminError(
    'rejected',
    `Shopify refused the query: ${errors.map((e) => e.message).join('; ')}`,
    errors.map((e) => e.extensions?.code ?? ''),
  );
}

/** A client for the configured store, or undefined while `SHOPIFY_SHOP` or `SHOPIFY_ADMIN_TOKEN` is unset. */
export function adminClientFor(
  shopify: { shop?: string | undefined; adminToken?: string | undefined; adminBaseUrl?: string | undefined },
  options: Partial<ShopifyAdminClientOptions> = {},
): ShopifyAdminClient | undefined {
  if (!shopify.shop || !shopify.adminToken) return undefined;
  return new ShopifyAdminClient({
    shop: shopify.shop,
    accessToken: shopify.adminToken,
    ...(shopify.adminBaseUrl ? { baseUrl: shopify.adminBaseUrl } : {}),
    ...options,
  });
}
