import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { apiError } from '../../http/errors/api-error.ts';
import { text } from '../fields.ts';
import type { Ingestor } from '../ingestor.ts';
import { parseTime } from '../validation.ts';
import { mapWebhook, TOPIC_ALIASES } from './webhook-mapper.ts';

export type WebhookResult =
  { status: 'accepted'; events: number } | { status: 'duplicate' } | { status: 'ignored'; topic: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = own(headers, name) ?? own(headers, name.toLowerCase());
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.length <= 1024 ? first : undefined;
}

/** A header a replayed line names itself; `constructor` and the like are no header. */
function own(headers: Headers, name: string): string | string[] | undefined {
  return Object.hasOwn(headers, name) ? headers[name] : undefined;
}

/**
 * Everything after a webhook's signature was verified — the live route and replay share it: the canonical
 * events and the delivery id are stored in one transaction, and a redelivery (same shop and
 * `X-Shopify-Webhook-Id`) is recognised and stores nothing.
 */
export async function acceptWebhook(
  ingestor: Ingestor,
  headers: Headers,
  raw: string,
  payload: unknown,
  receivedAt: number,
): Promise<WebhookResult> {
  const topic = header(headers, 'x-shopify-topic');
  if (!topic)
    throw apiError('RECLAIM_ERR_BAD_REQUEST', 'X-Shopify-Topic header is missing', 'X-Shopify-Topic');
  const shop = text(header(headers, 'x-shopify-shop-domain'), 255) ?? 'unknown-shop';
  const webhookId =
    text(header(headers, 'x-shopify-webhook-id'), 256) ??
    `sha256:${createHash('sha256').update(topic).update(raw).digest('hex')}`;
  const triggeredAt = parseTime(header(headers, 'x-shopify-triggered-at'));
  const events = mapWebhook(payload, {
    topic,
    shop,
    webhookId,
    receivedAt,
    ...(triggeredAt ? { triggeredAt } : {}),
  });
  if (!events) return { status: 'ignored', topic };
  const result = await ingestor.accept(events, async (trx) => {
    const inserted = await trx
      .insertInto('webhook_deliveries')
      .values({ shop, webhook_id: webhookId, topic, received_at: receivedAt })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
  });
  return result.stored === 0 && result.duplicates > 0
    ? { status: 'duplicate' }
    : { status: 'accepted', events: result.stored };
}

/**
 * When Reclaim last accepted a webhook of each of `topics` from `shop` (epoch ms; absent if never), keyed
 * by the topic as given; a consent topic's other spelling counts too. Only verified, mapped deliveries
 * are recorded; refused and ignored ones are not. One index seek per spelling.
 */
export async function lastWebhookReceipts(
  db: Kysely<Database>,
  shop: string,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const last = new Map<string, number>();
  for (const topic of topics) {
    const spellings = [
      topic,
      ...[...TOPIC_ALIASES].filter(([, canonical]) => canonical === topic).map(([alias]) => alias),
    ];
    for (const spelled of spellings) {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.max('received_at').as('last'))
        .where('shop', '=', shop)
        .where('topic', '=', spelled)
        .executeTakeFirst();
      const at = row?.last === null || row?.last === undefined ? undefined : Number(row.last);
      if (at !== undefined && at > (last.get(topic) ?? -1)) last.set(topic, at);
    }
  }
  return last;
}
