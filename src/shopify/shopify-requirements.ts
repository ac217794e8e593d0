import { COMPLIANCE_TOPICS, CONSUMED_TOPICS } from '../ingest/shopify/webhook-mapper.ts';

/** An access scope Reclaim needs, and what for (shown when it is missing, and in `docs/shopify.md`). */
export interface RequiredScope {
  handle: string;
  reason: string;
}

/**
 * The least scopes Reclaim needs. Webhook topics need the scope that reads their resource: carts,
 * checkouts and orders `read_orders`, customers and their consent `read_customers`
 * (https://shopify.dev/docs/api/webhooks). The app web pixel needs `write_pixels` and
 * `read_customer_events` (https://shopify.dev/docs/apps/build/marketing-analytics/build-web-pixels).
 */
export const REQUIRED_SCOPES: readonly RequiredScope[] = [
  {
    handle: 'read_orders',
    reason: 'webhooks carts/*, checkouts/* and orders/*: what shoppers put in carts, started and bought',
  },
  {
    handle: 'read_customers',
    reason:
      'webhooks customers/* and the marketing-consent topics: who the shopper is and what they agreed to',
  },
  { handle: 'write_pixels', reason: 'creating and updating the Reclaim web pixel on the store' },
  { handle: 'read_customer_events', reason: 'the web pixel receiving storefront and checkout events' },
];

/** Scopes Shopify grants along with another: a `write_` scope includes its `read_` scope. */
export function grantedIncludes(granted: ReadonlySet<string>, handle: string): boolean {
  return granted.has(handle) || (handle.startsWith('read_') && granted.has(`write_${handle.slice(5)}`));
}

/** Required scopes the installation lacks. */
export function missingScopes(granted: ReadonlySet<string>): RequiredScope[] {
  return REQUIRED_SCOPES.filter((scope) => !grantedIncludes(granted, scope.handle));
}

/** A topic `reclaim shopify connect` subscribes to through the API. */
export interface ApiTopic {
  /** As `X-Shopify-Topic` and `shopify.app.toml` write it: `checkouts/update`. */
  topic: string;
  /** The Admin GraphQL `WebhookSubscriptionTopic` value: `CHECKOUTS_UPDATE`. */
  graphql: string;
}

/** `checkouts/update` → `CHECKOUTS_UPDATE`, as Shopify derives its enum from the topic name. */
export function graphqlTopic(topic: string): string {
  return topic.replace(/\//g, '_').toUpperCase();
}

/** Every consumed topic that the API can subscribe to (all but the compliance topics). */
export const API_TOPICS: readonly ApiTopic[] = CONSUMED_TOPICS.filter(
  (topic) => !COMPLIANCE_TOPICS.includes(topic),
).map((topic) => ({ topic, graphql: graphqlTopic(topic) }));

export { COMPLIANCE_TOPICS };

/** Where Shopify delivers webhooks to Reclaim. */
export function webhookUri(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/shopify`;
}

/** The web pixel's settings, as its extension's settings definition declares them. */
export function pixelSettings(publicUrl: string): Record<string, string> {
  return { endpoint: publicUrl.replace(/\/+$/, '') };
}
