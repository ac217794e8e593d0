import { SHOPIFY_ADMIN_API_VERSION, type ShopifyAdminClient } from './shopify-admin-api.ts';
import {
  grantedScopes,
  sameSettings,
  webhookSubscriptions,
  webPixel,
  type WebhookSubscriptionNode,
} from './shopify-installation.ts';
import {
  API_TOPICS,
  COMPLIANCE_TOPICS,
  missingScopes,
  pixelSettings,
  webhookUri,
  type RequiredScope,
} from './shopify-requirements.ts';

/** What `connect` did to one topic's subscription. */
export interface TopicOutcome {
  topic: string;
  action: 'created' | 'updated' | 'unchanged' | 'failed';
  /** The subscription pointing at Reclaim. */
  id?: string;
  /** Shopify's user errors, when `failed`. */
  error?: string;
  /** Subscriptions of the same topic that deliver elsewhere: reported, never deleted. */
  elsewhere: string[];
  /** The subscription sends only some fields or filters events; Reclaim may miss what it needs. */
  narrowed?: boolean;
}

export interface PixelOutcome {
  action: 'created' | 'updated' | 'unchanged' | 'failed';
  id?: string;
  settings: Record<string, string>;
  error?: string;
}

export interface ConnectOptions {
  /**
   * false: leave webhook subscriptions alone (an app deployed with the Shopify CLI subscribes in
   * `shopify.app.toml`; shop subscriptions on top would deliver every webhook twice). Default true.
   */
  webhooks?: boolean;
  /**
   * false: leave the web pixel alone (an app created in the Shopify admin has no pixel extension; its
   * store pastes the custom pixel instead). Default true.
   */
  pixel?: boolean;
}

/** Everything `reclaim shopify connect` found and did. */
export interface ConnectReport {
  shop: string;
  apiVersion: string;
  webhookUri: string;
  scopes: { granted: string[]; missing: RequiredScope[] };
  /** Empty when scopes are missing: nothing is changed until they are granted. */
  webhooks: TopicOutcome[];
  /** Compliance topics cannot be subscribed through the API; `shopify.app.toml` declares them. */
  compliance: { topic: string; configuredIn: 'shopify.app.toml' }[];
  /** Absent with `pixel: false` or while scopes are missing. */
  pixel?: PixelOutcome;
  /** Something on the store was created or updated. */
  changed: boolean;
  /** Every scope granted, every topic subscribed, the pixel in place. */
  ok: boolean;
}

type UserError = { field?: string[] | null; message: string; code?: string | null };

const CREATE = `mutation ReclaimSubscribe($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`;

const UPDATE = `mutation ReclaimResubscribe($id: ID!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`;

const PIXEL_CREATE = `mutation ReclaimPixelCreate($settings: JSON!) {
  webPixelCreate(webPixel: { settings: $settings }) {
    webPixel { id settings }
    userErrors { code field message }
  }
}`;

const PIXEL_UPDATE = `mutation ReclaimPixelUpdate($id: ID!, $settings: JSON!) {
  webPixelUpdate(id: $id, webPixel: { settings: $settings }) {
    webPixel { id settings }
    userErrors { code field message }
  }
}`;

/**
 * Points the store at Reclaim: checks the granted scopes (and changes nothing while one is missing),
 * creates or corrects a JSON subscription to Reclaim's webhook address for every topic Reclaim consumes,
 * and creates or updates the web pixel's settings. A rerun against a store already connected changes
 * nothing. Subscriptions of the same topic to other addresses are reported and left alone.
 */
export async function connectShopify(
  client: ShopifyAdminClient,
  shop: string,
  publicUrl: string,
  options: ConnectOptions = {},
): Promise<ConnectReport> {
  const uri = webhookUri(publicUrl);
  const granted = await grantedScopes(client);
  const report: ConnectReport = {
    shop,
    apiVersion: SHOPIFY_ADMIN_API_VERSION,
    webhookUri: uri,
    scopes: { granted: [...granted].sort(), missing: missingScopes(granted) },
    webhooks: [],
    compliance: COMPLIANCE_TOPICS.map((topic) => ({ topic, configuredIn: 'shopify.app.toml' as const })),
    changed: false,
    ok: false,
  };
  if (report.scopes.missing.length > 0) return report;

  const existing = options.webhooks === false ? [] : await webhookSubscriptions(client);
  for (const { topic, graphql } of options.webhooks === false ? [] : API_TOPICS) {
    report.webhooks.push(
      await subscribe(
        client,
        topic,
        graphql,
        uri,
        existing.filter((s) => s.topic === graphql),
      ),
    );
  }
  if (options.pixel !== false) report.pixel = await placePixel(client, pixelSettings(publicUrl));
  report.changed =
    report.webhooks.some((w) => w.action === 'created' || w.action === 'updated') ||
    report.pixel?.action === 'created' ||
    report.pixel?.action === 'updated';
  report.ok = report.webhooks.every((w) => w.action !== 'failed') && report.pixel?.action !== 'failed';
  return report;
}

async function subscribe(
  client: ShopifyAdminClient,
  topic: string,
  graphql: string,
  uri: string,
  sameTopic: WebhookSubscriptionNode[],
): Promise<TopicOutcome> {
  const elsewhere = sameTopic.filter((s) => s.uri !== uri).map((s) => s.uri);
  const ours = sameTopic.find((s) => s.uri === uri);
  const subscription = { uri, format: 'JSON' };
  const narrowed = ours ? ours.includeFields.length > 0 || Boolean(ours.filter) : undefined;
  if (ours && ours.format === 'JSON')
    return { topic, action: 'unchanged', id: ours.id, elsewhere, ...(narrowed ? { narrowed } : {}) };
  if (ours) {
    const data = await client.request<{
      webhookSubscriptionUpdate: { webhookSubscription: { id: string } | null; userErrors: UserError[] };
    }>(UPDATE, { id: ours.id, subscription });
    const result = data.webhookSubscriptionUpdate;
    return result.userErrors.length > 0 || !result.webhookSubscription
      ? { topic, action: 'failed', id: ours.id, error: describe(result.userErrors), elsewhere }
      : { topic, action: 'updated', id: result.webhookSubscription.id, elsewhere };
  }
  const data = await client.request<{
    webhookSubscriptionCreate: { webhookSubscription: { id: string } | null; userErrors: UserError[] };
  }>(CREATE, { topic: graphql, subscription });
  const result = data.webhookSubscriptionCreate;
  return result.userErrors.length > 0 || !result.webhookSubscription
    ? { topic, action: 'failed', error: describe(result.userErrors), elsewhere }
    : { topic, action: 'created', id: result.webhookSubscription.id, elsewhere };
}

async function placePixel(
  client: ShopifyAdminClient,
  settings: Record<string, string>,
): Promise<PixelOutcome> {
  const current = await webPixel(client);
  if (current && sameSettings(current.settings, settings))
    return { action: 'unchanged', id: current.id, settings };
  const json = JSON.stringify(settings);
  if (current) {
    const data = await client.request<{
      webPixelUpdate: { webPixel: { id: string } | null; userErrors: UserError[] };
    }>(PIXEL_UPDATE, { id: current.id, settings: json });
    const result = data.webPixelUpdate;
    return result.userErrors.length > 0 || !result.webPixel
      ? { action: 'failed', id: current.id, settings, error: describe(result.userErrors) }
      : { action: 'updated', id: result.webPixel.id, settings };
  }
  const data = await client.request<{
    webPixelCreate: { webPixel: { id: string } | null; userErrors: UserError[] };
  }>(PIXEL_CREATE, { settings: json });
  const result = data.webPixelCreate;
  return result.userErrors.length > 0 || !result.webPixel
    ? { action: 'failed', settings, error: describe(result.userErrors) }
    : { action: 'created', id: result.webPixel.id, settings };
}

function describe(errors: UserError[]): string {
  if (errors.length === 0) return 'Shopify returned nothing and no reason';
  return errors
    .map(
      (e) => `${e.code ? `${e.code}: ` : ''}${e.message}${e.field?.length ? ` (${e.field.join('.')})` : ''}`,
    )
    .join('; ');
}
