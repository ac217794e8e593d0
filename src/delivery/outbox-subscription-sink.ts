import { createHash } from 'node:crypto';
import type { SubscriptionChange, SubscriptionSink } from '../consent/subscription-change.ts';
import type { EnabledDestination } from '../destinations/registry.ts';
import { Outbox, type DeliveryDraft } from './outbox.ts';

/**
 * Queues each ledger subscription change for the destinations that carry it (Klaviyo, with
 * `RECLAIM_KLAVIYO_SYNC_SMS_CONSENT` / `…_EMAIL_CONSENT`), in the ledger's transaction. The subject id
 * starts with the channel and a digest of the contact, so a newer change drops an older one still
 * pending for the same contact: Klaviyo ends up with the ledger's latest word even if the older one
 * had not been sent yet.
 */
export function outboxSubscriptionSink(
  destinations: readonly EnabledDestination[],
): SubscriptionSink | undefined {
  const carrying = destinations.filter(
    (d) =>
      d.definition.actions.subscription &&
      ((d.settings as { syncConsent?: { sms: boolean; email: boolean } }).syncConsent?.sms ||
        (d.settings as { syncConsent?: { sms: boolean; email: boolean } }).syncConsent?.email),
  );
  if (carrying.length === 0) return undefined;
  return async (trx, changes, now) => {
    const drafts: DeliveryDraft[] = [];
    for (const d of carrying) {
      const sync = (d.settings as { syncConsent: { sms: boolean; email: boolean } }).syncConsent;
      for (const change of changes) {
        if (!sync[change.channel]) continue;
        const prefix = subjectPrefix(change);
        await trx
          .updateTable('deliveries')
          .set({
            status: 'dropped',
            updated_at: now,
            payload_json: '{}',
            outcome_json: JSON.stringify({ superseded_by: change.recordId }),
          })
          .where('destination', '=', d.definition.name)
          .where('kind', '=', 'subscription')
          .where('status', '=', 'pending')
          .where('claimed_by', 'is', null)
          .where('subject_id', 'like', `${prefix}%`)
          .execute();
        drafts.push({
          destination: d.definition.name,
          kind: 'subscription',
          subjectId: `${prefix}${change.recordId}`,
          ...(change.profileId && { profileId: change.profileId }),
          payload: change,
        });
      }
    }
    await Outbox.enqueue(trx, drafts, now);
  };
}

/** `sms:<digest of the number>:` — names the contact without holding it. */
function subjectPrefix(change: SubscriptionChange): string {
  const contact = change.channel === 'sms' ? change.phone : change.email;
  return `${change.channel}:${createHash('sha256')
    .update(contact ?? '')
    .digest('base64url')
    .slice(0, 16)}:`;
}
