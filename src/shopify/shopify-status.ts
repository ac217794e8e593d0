import type { Kysely } from 'kysely';
import { lastStoredFrom } from '../event-log/event-log.ts';
import { lastWebhookReceipts } from '../ingest/shopify/webhook-ingest.ts';
import type { Database } from '../store/schema.ts';
import {
  SHOPIFY_ADMIN_API_VERSION,
  ShopifyAdminError,
  type ShopifyAdminClient,
} from './shopify-admin-api.ts';
import {
  grantedScopes,
  sameSettings,
  webhookSubscriptions,
  webPixel,
  type WebhookSubscriptionNode,
  type WebPixelNode,
} from './shopify-installation.ts';
import {
  API_TOPICS,
  COMPLIANCE_TOPICS,
  missingScopes,
  pixelSettings,
  webhookUri,
  type RequiredScope,
} from './shopify-requirements.ts';

/** Why a part of the status could not be read from Shopify. */
export interface Unread {
  kind: ShopifyAdminError['kind'] | 'not_configured';
  message: string;
}

export interface TopicStatus {
  topic: string;
  /** A subscription delivers this topic to Reclaim; null when Shopify could not be asked. */
  registered: boolean | null;
  /** Other addresses this topic is delivered to. */
  elsewhere: string[];
  /** When Reclaim last accepted a delivery of this topic from this shop (epoch ms). */
  lastReceivedAt: number | null;
}

/** What `reclaim shopify status` and `GET /admin/v1/shopify/status` show. */
export interface ShopifyStatus {
  shop: string | null;
  apiVersion: string;
  webhookUri: string | null;
  /** Whether the Admin API answered; the local parts below are shown either way. */
  api: { ok: true } | ({ ok: false } & Unread);
  scopes: { granted: string[]; missing: RequiredScope[] } | null;
  topics: TopicStatus[];
  /** Declared in `shopify.app.toml`; the API can neither list nor create them. */
  compliance: { topic: string; configuredIn: 'shopify.app.toml'; lastReceivedAt: number | null }[];
  pixel: {
    /** The app's web pixel exists on the store; null when Shopify could not be asked. */
    active: boolean | null;
    id: string | null;
    settings: Record<string, unknown> | null;
    /** Its settings point at this Reclaim (`RECLAIM_PUBLIC_URL`). */
    settingsMatch: boolean | null;
    unread?: Unread;
    /** When Reclaim last stored an event from a pixel (any pixel: app or custom), epoch ms. */
    lastEventAt: number | null;
  };
  /**
   * Webhooks Reclaim refused (bad signature, malformed body): not recorded. They are answered 401/400
   * and Shopify retries them; see Shopify's webhook delivery metrics in the Partner Dashboard.
   */
  refusedWebhooks: { recorded: false };
}

export interface StatusInputs {
  db: Kysely<Database>;
  shop: string | undefined;
  publicUrl: string | undefined;
  /** Undefined when `SHOPIFY_SHOP` or `SHOPIFY_ADMIN_TOKEN` is not set. */
  client: ShopifyAdminClient | undefined;
}

/**
 * The store's connection to Reclaim: scopes, subscriptions and pixel as Shopify reports them, and what
 * Reclaim last received. A failure to reach Shopify is part of the answer, not an error: the local
 * half is still worth showing.
 */
export async function shopifyStatus({ db, shop, publicUrl, client }: StatusInputs): Promise<ShopifyStatus> {
  const uri = publicUrl ? webhookUri(publicUrl) : null;
  const received = shop
    ? await lastWebhookReceipts(db, shop, [...API_TOPICS.map((t) => t.topic), ...COMPLIANCE_TOPICS])
    : new Map<string, number>();
  const lastEventAt = (await lastStoredFrom(db, 'pixel')) ?? null;

  let api: ShopifyStatus['api'] = { ok: true };
  let scopes: ShopifyStatus['scopes'] = null;
  let subscriptions: WebhookSubscriptionNode[] | undefined;
  let pixel: WebPixelNode | undefined;
  let pixelUnread: Unread | undefined;
  if (!client) {
    api = {
      ok: false,
      kind: 'not_configured',
      message: 'SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN are needed to ask Shopify',
    };
  } else {
    try {
      const granted = await grantedScopes(client);
      scopes = { granted: [...granted].sort(), missing: missingScopes(granted) };
      subscriptions = await webhookSubscriptions(client);
      try {
        pixel = await webPixel(client);
      } catch (error) {
        if (!(error instanceof ShopifyAdminError) || error.kind !== 'access_denied') throw error;
        pixelUnread = { kind: error.kind, message: error.message };
      }
    } catch (error) {
      if (!(error instanceof ShopifyAdminError)) throw error;
      api = { ok: false, kind: error.kind, message: error.message };
    }
  }

  const pixelRead = api.ok && !pixelUnread;
  return {
    shop: shop ?? null,
    apiVersion: SHOPIFY_ADMIN_API_VERSION,
    webhookUri: uri,
    api,
    scopes,
    topics: API_TOPICS.map(({ topic, graphql }) => {
      const sameTopic = subscriptions?.filter((s) => s.topic === graphql);
      return {
        topic,
        registered: sameTopic ? sameTopic.some((s) => s.uri === uri) : null,
        elsewhere: sameTopic?.filter((s) => s.uri !== uri).map((s) => s.uri) ?? [],
        lastReceivedAt: received.get(topic) ?? null,
      };
    }),
    compliance: COMPLIANCE_TOPICS.map((topic) => ({
      topic,
      configuredIn: 'shopify.app.toml' as const,
      lastReceivedAt: received.get(topic) ?? null,
    })),
    pixel: {
      active: pixelRead ? pixel !== undefined : null,
      id: pixel?.id ?? null,
      settings: pixel?.settings ?? null,
      settingsMatch: pixel && publicUrl ? sameSettings(pixel.settings, pixelSettings(publicUrl)) : null,
      ...(pixelUnread ? { unread: pixelUnread } : {}),
      lastEventAt,
    },
    refusedWebhooks: { recorded: false },
  };
}
