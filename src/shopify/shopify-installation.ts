import { ShopifyAdminError, type ShopifyAdminClient } from './shopify-admin-api.ts';

/** A webhook subscription as the Admin API lists it (shop-scoped ones only; `shopify.app.toml` ones are not listed). */
export interface WebhookSubscriptionNode {
  id: string;
  /** `CHECKOUTS_UPDATE`. */
  topic: string;
  /** Delivery address: an https URL, or a Pub/Sub or EventBridge address. */
  uri: string;
  /** `JSON` or `XML`. */
  format: string;
  includeFields: string[];
  filter: string | null;
}

export interface WebPixelNode {
  id: string;
  settings: Record<string, unknown>;
}

const SCOPES = `query ReclaimScopes {
  currentAppInstallation { accessScopes { handle } }
}`;

const SUBSCRIPTIONS = `query ReclaimSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri format includeFields filter }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PIXEL = `query ReclaimPixel {
  webPixel { id settings }
}`;

/** The scopes granted to the app on this store. */
export async function grantedScopes(client: ShopifyAdminClient): Promise<Set<string>> {
  const data = await client.request<{ currentAppInstallation: { accessScopes: { handle: string }[] } }>(
    SCOPES,
  );
  return new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
}

/** Every shop-scoped webhook subscription of the app, all pages. */
export async function webhookSubscriptions(client: ShopifyAdminClient): Promise<WebhookSubscriptionNode[]> {
  const all: WebhookSubscriptionNode[] = [];
  let after: string | null = null;
  for (;;) {
    const data: {
      webhookSubscriptions: {
        nodes: WebhookSubscriptionNode[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await client.request(SUBSCRIPTIONS, { after });
    all.push(...data.webhookSubscriptions.nodes);
    const { hasNextPage, endCursor } = data.webhookSubscriptions.pageInfo;
    if (!hasNextPage || !endCursor) return all;
    after = endCursor;
  }
}

/**
 * The app's web pixel on this store, or undefined when none was created. Without a pixel Shopify answers
 * `webPixel: null` with a `RESOURCE_NOT_FOUND` error; a bare `null` is read the same way.
 */
export async function webPixel(client: ShopifyAdminClient): Promise<WebPixelNode | undefined> {
  let data: { webPixel: { id: string; settings: unknown } | null };
  try {
    data = await client.request(PIXEL);
  } catch (error) {
    const notFound =
      error instanceof ShopifyAdminError &&
      error.kind === 'rejected' &&
      error.codes.length > 0 &&
      error.codes.every((code) => code === 'RESOURCE_NOT_FOUND' || code === 'NOT_FOUND');
    if (notFound) return undefined;
    throw error;
  }
  return data.webPixel ? { id: data.webPixel.id, settings: readSettings(data.webPixel.settings) } : undefined;
}

/** The `JSON` scalar arrives as an object or as a JSON string, depending on how it was stored. */
export function readSettings(value: unknown): Record<string, unknown> {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** Same keys and values, whatever their order. */
export function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const own = (o: Record<string, unknown>, key: string) => (Object.hasOwn(o, key) ? o[key] : undefined);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => JSON.stringify(own(a, key)) === JSON.stringify(own(b, key)));
}
