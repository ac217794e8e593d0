import type { IdentifierRecord } from './identity-graph.ts';

/** Why a contact was (or was not) chosen to receive a trigger. */
export type RecipientReason =
  /** The shopper typed it into this journey's checkout: the strongest evidence there is. */
  | 'asserted_in_journey'
  /** The profile's contact most recently confirmed by a trusted source (checkout, customer record, consent). */
  | 'most_recently_confirmed'
  /** No confirmation on record; the contact most recently seen with this profile. */
  | 'most_recently_seen';

export type RecipientRefusal =
  /** The journey's contact belongs to another shopper's profile (a refused merge): never used. */
  | 'belongs_to_another_profile'
  /** Its link to the profile is older than the identity lookback. */
  | 'link_expired'
  /** No contact of this channel is known for the profile. */
  | 'none_known';

export interface ContactChoice {
  value: string;
  reason: RecipientReason;
}

export interface RecipientChoice {
  email: ContactChoice | { refused: RecipientRefusal };
  phone: ContactChoice | { refused: RecipientRefusal };
}

export interface RecipientInput {
  /** The journey's profile. */
  profileId: string;
  /** The profile's identifiers (members of it and of profiles merged into it). */
  members: readonly IdentifierRecord[];
  /** Contacts typed into this journey, with where they live now (their identifier record, if any). */
  asserted: { email?: IdentifierRecord | string; phone?: IdentifierRecord | string };
  /** Event time of the decision, and how long an idle link keeps connecting. */
  at: number;
  lookback: number;
}

/**
 * Who receives a trigger, per channel, with the reason: the contact typed in this journey comes first;
 * otherwise the profile's most recently confirmed contact. A contact that belongs to another profile is
 * never chosen, nor one whose link expired.
 */
export function chooseRecipient(input: RecipientInput): RecipientChoice {
  return { email: choose(input, 'email'), phone: choose(input, 'phone') };
}

function choose(
  input: RecipientInput,
  type: 'email' | 'phone',
): ContactChoice | { refused: RecipientRefusal } {
  const asserted = input.asserted[type];
  if (asserted !== undefined) {
    if (typeof asserted === 'string') return { value: asserted, reason: 'asserted_in_journey' };
    if (asserted.status === 'active' && asserted.profileId === input.profileId)
      return { value: asserted.value, reason: 'asserted_in_journey' };
    if (asserted.profileId !== input.profileId) return { refused: 'belongs_to_another_profile' };
  }
  const candidates = input.members.filter((m) => m.type === type && m.status === 'active');
  if (candidates.length === 0) return { refused: 'none_known' };
  const live = candidates.filter((m) => input.at - m.linkedAt <= input.lookback);
  if (live.length === 0) return { refused: 'link_expired' };
  const confirmed = live
    .filter((m) => m.confirmedAt !== null)
    .sort((a, b) => b.confirmedAt! - a.confirmedAt! || a.value.localeCompare(b.value));
  if (confirmed.length > 0) return { value: confirmed[0]!.value, reason: 'most_recently_confirmed' };
  const seen = [...live].sort((a, b) => b.lastSeen - a.lastSeen || a.value.localeCompare(b.value));
  return { value: seen[0]!.value, reason: 'most_recently_seen' };
}
