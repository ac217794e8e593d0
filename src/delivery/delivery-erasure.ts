import { randomUUID } from 'node:crypto';
import type { ErasureRequest } from '../destinations/kit/destination.ts';
import type { EnabledDestination } from '../destinations/registry.ts';
import type { ErasureStep } from '../identity/erasure.ts';
import { parseIdentifierKey } from '../identity/identifiers.ts';
import type { ProfileSection } from '../identity/profile-view.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import { Outbox, type DeliveryDraft } from './outbox.ts';

/**
 * Delivery's part of erasing a shopper: their queued and past deliveries go (nothing pending about them
 * is ever sent), and each destination that can delete people is asked to, once per email and phone —
 * the only rows left that name them, until the request is delivered.
 */
export function eraseDeliveries(destinations: readonly EnabledDestination[]): ErasureStep {
  const erasing = destinations.filter((d) => d.definition.actions.erasure);
  return async (trx, scope) => {
    let deleted = 0;
    if (scope.all) {
      deleted = Number((await trx.deleteFrom('deliveries').executeTakeFirst()).numDeletedRows);
    } else {
      for (const part of inChunks(capabilitiesOf(trx), scope.profileIds)) {
        deleted += Number(
          (await trx.deleteFrom('deliveries').where('profile_id', 'in', part).executeTakeFirst())
            .numDeletedRows,
        );
      }
    }
    const subjects = scope.identifierKeys.flatMap((key): ErasureRequest[] => {
      const { type, value } = parseIdentifierKey(key);
      return type === 'email' ? [{ email: value }] : type === 'phone' ? [{ phone: value }] : [];
    });
    const drafts: DeliveryDraft[] = erasing.flatMap(({ definition }) =>
      subjects.map((payload) => ({
        destination: definition.name,
        kind: 'erasure' as const,
        subjectId: randomUUID(),
        payload,
      })),
    );
    await Outbox.enqueue(trx, drafts, scope.at);
    return { deliveries: deleted, deletion_requests: drafts.length };
  };
}

/** A profile's deliveries (newest first), for the profile API and exports. */
export const deliverySection: ProfileSection = async (db, profileIds) => {
  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'destination', 'kind', 'subject_id', 'status', 'attempts', 'created_at', 'delivered_at'])
    .where('profile_id', 'in', profileIds)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    destination: r.destination,
    kind: r.kind,
    subjectId: r.subject_id,
    status: r.status,
    attempts: r.attempts,
    createdAt: new Date(r.created_at).toISOString(),
    deliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at).toISOString(),
  }));
};
