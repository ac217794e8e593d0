import { hash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { CommandHandler } from '../pipeline/stage.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { eventIdFor, rewriteEventBody } from '../event-log/event-log.ts';
import type { Database } from '../store/schema.ts';
import type { Eraser } from './erasure.ts';
import { IDENTIFIER_TYPES } from './identifiers.ts';
import { currentProfileId, profilesHolding } from './profile-group.ts';
import { buildProfileView, type ProfileSection } from './profile-view.ts';

type Trx = Transaction<Database>;

/** The profiles a compliance request names: an explicit profile id (admin API), else its identifiers. */
async function targetProfiles(trx: Trx, event: CanonicalEvent): Promise<string[]> {
  const explicit = event.properties?.profileId;
  if (typeof explicit === 'string') {
    const current = await currentProfileId(trx, explicit);
    return current ? [current] : [];
  }
  const identifiers = IDENTIFIER_TYPES.flatMap((type) =>
    event.ids[type] ? [{ type, value: event.ids[type] }] : [],
  );
  const orders = Array.isArray(event.properties?.ordersToRedact)
    ? (event.properties.ordersToRedact as string[])
    : [];
  return profilesHolding(trx, [
    ...identifiers,
    ...orders.map((value) => ({ type: 'orderId' as const, value })),
  ]);
}

/** The request id a receipt or export is named after: stable for the same request. */
export const receiptIdFor = (event: CanonicalEvent) =>
  `er_${hash('sha256', event.id, 'base64url').slice(0, 20)}`;
export const exportIdFor = (event: CanonicalEvent) =>
  `ex_${hash('sha256', event.id, 'base64url').slice(0, 20)}`;

/**
 * `customers/redact`, `shop/redact` and the admin API's erase: removes the shopper everywhere, writes a
 * receipt without personal data, and scrubs the request itself so it no longer names them.
 */
export function eraseCommand(eraser: Eraser): CommandHandler {
  return {
    handles: (event) => event.kind === 'erase_customer' || event.kind === 'erase_shop',
    async run(trx, event) {
      const source = event.source === 'admin' ? 'admin' : `shopify:${event.name}`;
      if (event.kind === 'erase_shop') {
        await eraser.eraseAll(trx, source, event.receivedAt, event.id);
        return;
      }
      const receipt = await eraser.erase(
        trx,
        await targetProfiles(trx, event),
        source,
        event.receivedAt,
        event.id,
      );
      await rewriteEventBody(trx, event.id, {
        name: event.name,
        ids: {},
        context: {},
        properties: { receiptId: receipt.id },
      });
    },
  };
}

/** `customers/data_request`: everything Reclaim holds on the shopper, stored as an export for the merchant. */
export function dataRequestCommand(sections: Record<string, ProfileSection>): CommandHandler {
  return {
    handles: (event) => event.kind === 'data_request',
    async run(trx, event) {
      const profiles = [];
      for (const id of await targetProfiles(trx, event)) {
        profiles.push(await buildProfileView(trx, id, { fullEvents: true, sections }));
      }
      const body = {
        requestId: event.properties?.dataRequestId ?? null,
        generatedAt: new Date(event.receivedAt).toISOString(),
        profiles,
      };
      await trx
        .insertInto('data_exports')
        .values({
          id: exportIdFor(event),
          profile_id: profiles[0]?.id ?? null,
          created_at: event.receivedAt,
          source: event.source === 'admin' ? 'admin' : `shopify:${event.name}`,
          body_json: JSON.stringify(body),
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
  };
}

/** An erase or export request made by an operator (admin API, CLI), as an event for the log. */
export function adminCommandEvent(
  kind: 'erase_customer' | 'data_request',
  profileId: string,
  now: number,
  via: 'api' | 'cli',
): CanonicalEvent {
  const idempotencyKey = `admin:${kind}:${profileId}:${now}`;
  return {
    id: eventIdFor(idempotencyKey, now),
    kind,
    source: 'admin',
    name: `${via}/${kind === 'erase_customer' ? 'erase' : 'export'}`,
    idempotencyKey,
    eventTime: now,
    receivedAt: now,
    ids: {},
    context: {},
    properties: { profileId },
  };
}
