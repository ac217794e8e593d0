import type { Kysely } from 'kysely';
import { ConsentStateView } from '../consent/consent-stage.ts';
import type { EmailState, SmsState } from '../consent/consent-state.ts';
import { recheckAtSend, type Decision } from '../consent/policy.ts';
import type { AbandonmentSend } from '../destinations/kit/destination.ts';
import type { TriggerBody } from '../journeys/firing.ts';
import type { Database } from '../store/schema.ts';

/** What to do with one abandonment delivery now. */
export type AbandonmentCheck =
  | { action: 'send'; send: AbandonmentSend }
  /** No channel may be used, now or later. */
  | { action: 'skip'; withheld: AbandonmentSend['withheld'] }
  /** Only an SMS is allowed, and not before `at` (the recipient's night). */
  | { action: 'wait'; at: number; withheld: AbandonmentSend['withheld'] };

const contactOf = (trigger: TriggerBody, channel: 'email' | 'sms') => {
  const choice = trigger.recipient[channel === 'sms' ? 'phone' : 'email'];
  return 'value' in choice ? choice.value : undefined;
};

const reasonOf = (decision: Decision) =>
  'defer' in decision ? decision.reason : decision.allowed ? undefined : decision.reason;

/**
 * The trigger's decisions per channel, checked again against the consent ledger as it is now: a
 * shopper who unsubscribed between the trigger and its delivery gets nothing on that channel, and an
 * SMS waits for daytime where the recipient is.
 */
export async function checkAbandonments(
  db: Kysely<Database>,
  triggers: readonly TriggerBody[],
  now: number,
): Promise<AbandonmentCheck[]> {
  const view = new ConsentStateView();
  await view.load(
    db,
    triggers.flatMap((t) => {
      const email = contactOf(t, 'email');
      const phone = contactOf(t, 'sms');
      return [...(email ? [`email:${email}`] : []), ...(phone ? [`phone:${phone}`] : [])];
    }),
  );
  return triggers.map((trigger) => check(trigger, view, now));
}

function check(trigger: TriggerBody, view: ConsentStateView, now: number): AbandonmentCheck {
  const email = contactOf(trigger, 'email');
  const phone = contactOf(trigger, 'sms');
  const emailState = email ? view.get<EmailState>('email', `email:${email}`) : {};
  const smsState = phone ? view.get<SmsState>('sms', `phone:${phone}`) : {};
  const emailDecision = recheckAtSend(trigger.decisions.email, 'email', emailState, now, undefined);
  const smsDecision = recheckAtSend(
    trigger.decisions.sms,
    'sms',
    smsState,
    now,
    phone ? { phone, region: trigger.jurisdiction.region } : undefined,
  );
  const withheld: AbandonmentSend['withheld'] = {
    ...(reasonOf(emailDecision) && { email: reasonOf(emailDecision) }),
    ...(reasonOf(smsDecision) && { sms: reasonOf(smsDecision) }),
  };
  const allowed = (d: Decision) => ('allowed' in d && d.allowed ? d : undefined);
  const emailOk = email ? allowed(emailDecision) : undefined;
  const smsOk = phone ? allowed(smsDecision) : undefined;
  if (emailOk || smsOk) {
    return {
      action: 'send',
      send: {
        trigger,
        ...(emailOk && { email: { address: email!, basis: emailOk.basis, recordIds: emailOk.recordIds } }),
        ...(smsOk && { phone: { number: phone!, basis: smsOk.basis, recordIds: smsOk.recordIds } }),
        withheld,
      },
    };
  }
  // An email is never held back for an SMS: only a trigger whose one allowed channel is a night-time
  // SMS waits.
  if ('defer' in smsDecision && phone) return { action: 'wait', at: smsDecision.defer, withheld };
  return { action: 'skip', withheld };
}
