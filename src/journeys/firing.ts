import type { Kysely, Transaction } from 'kysely';
import type { ConsentStateView } from '../consent/consent-stage.ts';
import type { EmailState, SmsState } from '../consent/consent-state.ts';
import { consentSignals, type ConsentSignals } from '../consent/consent-signals.ts';
import { resolveJurisdiction } from '../consent/jurisdiction.ts';
import { decide, type ConsentSettings, type Decision } from '../consent/policy.ts';
import type { IdentifierRecord, TypeCounts } from '../identity/identity-graph.ts';
import { DEVICE_TYPES } from '../identity/identifiers.ts';
import { identifiersByKey, identifiersOfProfiles, typeCountsOf } from '../identity/identity-repository.ts';
import { chooseRecipient, type RecipientChoice } from '../identity/recipient.ts';
import type { LineItem } from '../event-log/canonical-event.ts';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database } from '../store/schema.ts';
import { orderedId } from '../store/ordered-id.ts';
import { itemsOf, recoveryUrlOf, type Journey, type JourneyStage, type Windows } from './journey.ts';
import { CONTACT_IDENTIFIERS, loadPurchases, type Purchase } from './journey-repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

const CONTACT_TYPES: ReadonlySet<string> = new Set(CONTACT_IDENTIFIERS);

export interface FiringSettings {
  windows: Windows;
  /** Identity lookback (ms): contacts whose link is older are not used. */
  lookback: number;
  /** At most one browse trigger per profile in this period (ms). */
  browseCap: number;
  /** No trigger for a shopper who bought within this period before it would fire (ms). */
  quietAfterPurchase: number;
  consent: ConsentSettings;
}

/** A fired trigger, as stored and as destinations read it. */
export interface TriggerBody {
  id: string;
  journeyId: string;
  profileId: string;
  stage: JourneyStage;
  /** When the stage went idle past its window (event time). */
  dueAt: number;
  /** When the trigger fired (event time): the due time, or the arrival of a late event that made it due. */
  firedAt: number;
  items: LineItem[];
  value?: string;
  currency?: string;
  /** Shopify's `abandoned_checkout_url`, or a cart permalink. */
  recoveryUrl?: string;
  shop?: string;
  locale?: string;
  /** Who receives it per channel, and why (or why no one). */
  recipient: RecipientChoice;
  /** The shopper's Shopify customer id and Klaviyo exchange id (`_kx`), when known and linked. */
  ids?: { customerId?: string; kx?: string };
  /** The consent decision per channel, with the ledger records behind it. */
  decisions: { email: Decision; sms: Decision };
  jurisdiction: { regime: string; country?: string; region?: string; signals: string[] };
  /** Consent Mode v2 and Meta LDU values for conversion destinations. */
  signals: ConsentSignals;
  /** Whether Klaviyo's own browser tracking or Shopify integration likely started its native flow too. */
  native: { klaviyoLikelySaw: boolean; reason: NativeReason };
}

/**
 * Why Klaviyo's own tracking likely did or did not see a journey. It saw it when its cookie had identified
 * the browser (browse, cart) or an email was typed into checkout (Klaviyo's Shopify integration). It
 * missed it when its script never ran in the journey's browser (blocked, or tracking refused), when its
 * cookie there was anonymous although Reclaim knew the shopper from another browser or device, or —
 * with this browser the only one Reclaim knows — when the cookie had lost the shopper (Safari's 7-day
 * cap, cleared cookies).
 */
export type NativeReason =
  | 'klaviyo_cookie_identified'
  | 'email_typed_in_checkout'
  | 'klaviyo_script_not_seen'
  | 'known_from_other_device'
  | 'klaviyo_cookie_anonymous'
  | 'no_email_typed_in_checkout';

export type FireOutcome =
  'triggered' | 'purchased' | 'recent_purchase' | 'cap_cart' | 'cap_checkout' | 'cap_browse';

/** A journey's trigger id: one per journey, ordered by when it fell due. */
export const triggerIdFor = (journey: Pick<Journey, 'id' | 'dueAt'>) =>
  orderedId('tr_', journey.dueAt ?? undefined, journey.id);

/**
 * Fires due journeys: suppression (bought since, bought recently), caps (one trigger per cart, per
 * checkout, one browse trigger per profile per day), then recipient and consent decision per channel.
 * Everything it needs is loaded first; `fire` itself only computes, so the event processor can fire
 * in event-time order between the events of a batch.
 */
export class FiringSession {
  readonly triggers: TriggerBody[] = [];
  readonly #usedCaps = new Set<string>();
  readonly #newCaps: { cap_key: string; trigger_id: string }[] = [];
  readonly #lastBrowse = new Map<string, number>();
  readonly #contacts = new Map<string, Map<string, IdentifierRecord>>();
  readonly #purchases = new Map<string, Purchase[]>();
  /** Contacts typed in journeys, wherever they belong now (`type:value` → root profile and record). */
  readonly #asserted = new Map<string, { root: string; record: IdentifierRecord }>();
  /** Identifier counts of profiles as loaded (browsers and devices they are known from). */
  readonly #counts = new Map<string, TypeCounts>();
  /**
   * The identity working set's counts of a profile, where a batch holds it: newer than what was loaded,
   * merges included.
   */
  liveCounts?: (root: string) => TypeCounts | undefined;

  constructor(
    private readonly settings: FiringSettings,
    readonly consent: ConsentStateView,
  ) {}

  /**
   * Loads what firing these journeys needs — contacts, purchases, caps already used, consent states — for
   * their profiles and for `profiles` (those a batch may still give a journey to).
   */
  async load(db: Db, journeys: readonly Journey[], profiles: Iterable<string> = []): Promise<void> {
    const roots = [...new Set([...profiles, ...journeys.map((j) => j.profileId)])].filter(
      (root) => !this.#contacts.has(root),
    );
    for (const root of roots) {
      this.#contacts.set(root, new Map());
      this.#purchases.set(root, []);
    }
    for (const { root, record } of await identifiersOfProfiles(db, roots, CONTACT_IDENTIFIERS))
      this.#contacts.get(root)?.set(record.key, record);
    for (const purchase of await loadPurchases(db, roots))
      this.#purchases.get(purchase.profileId)?.push(purchase);
    const capKeys = journeys.flatMap((j) => [
      ...j.state.cartTokens.map((t) => `cart:${t}`),
      ...j.state.checkoutTokens.map((t) => `checkout:${t}`),
    ]);
    const capabilities = capabilitiesOf(db);
    for (const part of inChunks(
      capabilities,
      capKeys.filter((k) => !this.#usedCaps.has(k)),
    )) {
      const rows = await db
        .selectFrom('trigger_caps')
        .select('cap_key')
        .where('cap_key', 'in', part)
        .execute();
      for (const row of rows) this.#usedCaps.add(row.cap_key);
    }
    for (const [id, counts] of await typeCountsOf(db, roots)) this.#counts.set(id, counts);
    for (const part of inChunks(capabilities, roots, { otherParams: 1 })) {
      const rows = await db
        .selectFrom('triggers')
        .select(['profile_id', (eb) => eb.fn.max('fired_at').as('last')])
        .where('profile_id', 'in', part)
        .where('stage', '=', 'browse')
        .groupBy('profile_id')
        .execute();
      for (const row of rows) this.#lastBrowse.set(row.profile_id, Number(row.last));
    }
    const assertedKeys = journeys.flatMap((j) => [
      ...(j.state.assertedEmail ? [`email:${j.state.assertedEmail}`] : []),
      ...(j.state.assertedPhone ? [`phone:${j.state.assertedPhone}`] : []),
    ]);
    for (const asserted of await identifiersByKey(
      db,
      assertedKeys.filter((k) => !this.#asserted.has(k)),
    ))
      this.#asserted.set(asserted.record.key, asserted);
    const contactKeys = [...this.#contacts.values()].flatMap((m) => [...m.keys()]);
    await this.consent.load(db, [
      ...contactKeys,
      ...assertedKeys,
      ...journeys.flatMap((j) => j.state.devices),
    ]);
  }

  /** A contact the identity graph holds for `root` now (newer than what was loaded). */
  noteContact(root: string, record: IdentifierRecord): void {
    if (!CONTACT_TYPES.has(record.type)) return;
    for (const contacts of this.#contacts.values()) contacts.delete(record.key);
    this.#contacts.get(root)?.set(record.key, record);
    if (this.#asserted.has(record.key)) this.#asserted.set(record.key, { root, record });
  }

  /** A purchase learnt in this batch. */
  notePurchase(purchase: Purchase): void {
    const list = this.#purchases.get(purchase.profileId);
    if (list) list.push(purchase);
    else this.#purchases.set(purchase.profileId, [purchase]);
  }

  /** Moves one profile's contacts and purchases to the profile it merged into. */
  noteMerge(from: string, into: string): void {
    const contacts = this.#contacts.get(from);
    if (contacts) {
      const target = this.#contacts.get(into) ?? new Map<string, IdentifierRecord>();
      for (const [key, record] of contacts) target.set(key, record);
      this.#contacts.set(into, target);
    }
    const purchases = this.#purchases.get(from);
    if (purchases)
      this.#purchases.set(into, [
        ...(this.#purchases.get(into) ?? []),
        ...purchases.map((p) => ({ ...p, profileId: into })),
      ]);
    const browse = this.#lastBrowse.get(from);
    if (browse !== undefined) this.#lastBrowse.set(into, Math.max(browse, this.#lastBrowse.get(into) ?? 0));
    for (const entry of this.#asserted.values()) if (entry.root === from) entry.root = into;
  }

  /** Browsers and devices the profile is known from. */
  #devicesOf(root: string): number {
    const counts = this.liveCounts?.(root) ?? this.#counts.get(root) ?? {};
    let n = 0;
    for (const type of DEVICE_TYPES) n += counts[type] ?? 0;
    return n;
  }

  purchasesOf(root: string): readonly Purchase[] {
    return this.#purchases.get(root) ?? [];
  }

  /** Fires `journey` if it is due by `now`; returns what happened, or undefined when it is not due. */
  fire(journey: Journey, now: number): FireOutcome | undefined {
    if (journey.status !== 'open' || journey.dueAt === null || journey.dueAt > now) return undefined;
    const firedAt = Math.max(journey.dueAt, journey.updatedReceivedAt);
    const outcome = this.#suppression(journey, firedAt);
    if (outcome) {
      journey.status = outcome === 'purchased' ? 'purchased' : 'suppressed';
      journey.outcome = outcome;
      journey.dueAt = null;
      return outcome;
    }
    const trigger = this.#build(journey, firedAt);
    this.triggers.push(trigger);
    const caps =
      journey.stage === 'cart'
        ? journey.state.cartTokens.map((t) => `cart:${t}`)
        : journey.stage === 'checkout'
          ? journey.state.checkoutTokens.map((t) => `checkout:${t}`)
          : [];
    for (const cap of caps) {
      this.#usedCaps.add(cap);
      this.#newCaps.push({ cap_key: cap, trigger_id: trigger.id });
    }
    if (journey.stage === 'browse') this.#lastBrowse.set(journey.profileId, firedAt);
    journey.status = 'fired';
    journey.outcome = 'triggered';
    journey.triggerId = trigger.id;
    journey.dueAt = null;
    return 'triggered';
  }

  #suppression(journey: Journey, firedAt: number): Exclude<FireOutcome, 'triggered'> | undefined {
    const s = journey.state;
    for (const p of this.purchasesOf(journey.profileId)) {
      if (p.at >= journey.startedAt) return 'purchased';
      if (
        (p.checkoutToken && s.checkoutTokens.includes(p.checkoutToken)) ||
        (p.cartToken && s.cartTokens.includes(p.cartToken))
      )
        return 'purchased';
      if (firedAt - p.at <= this.settings.quietAfterPurchase) return 'recent_purchase';
    }
    if (journey.stage === 'cart' && s.cartTokens.some((t) => this.#usedCaps.has(`cart:${t}`)))
      return 'cap_cart';
    if (journey.stage === 'checkout' && s.checkoutTokens.some((t) => this.#usedCaps.has(`checkout:${t}`)))
      return 'cap_checkout';
    const lastBrowse = this.#lastBrowse.get(journey.profileId);
    if (
      journey.stage === 'browse' &&
      lastBrowse !== undefined &&
      firedAt - lastBrowse < this.settings.browseCap
    )
      return 'cap_browse';
    return undefined;
  }

  #build(journey: Journey, firedAt: number): TriggerBody {
    const s = journey.state;
    const root = journey.profileId;
    const members = [...(this.#contacts.get(root)?.values() ?? [])].filter((m) => m.firstSeen <= firedAt);
    const asserted = (type: 'email' | 'phone', value: string | undefined) => {
      if (!value) return undefined;
      const found = this.#asserted.get(`${type}:${value}`);
      if (!found) return value;
      return found.root === root ? { ...found.record, profileId: root } : found.record;
    };
    const recipient = chooseRecipient({
      profileId: root,
      members: members.map((m) => ({ ...m, profileId: root })),
      asserted: { email: asserted('email', s.assertedEmail), phone: asserted('phone', s.assertedPhone) },
      at: firedAt,
      lookback: this.settings.lookback,
    });
    const jurisdiction = resolveJurisdiction(s.geos);
    const tracking = {
      categories: s.tracking?.categories,
      recorded: this.consent.tracking(s.devices),
      gpc: s.gpc,
    };
    const email = 'value' in recipient.email ? recipient.email.value : undefined;
    const phone = 'value' in recipient.phone ? recipient.phone.value : undefined;
    const purchases = this.purchasesOf(root);
    const input = {
      stage: journey.stage,
      jurisdiction,
      tracking,
      email: email
        ? { address: email, state: this.consent.get<EmailState>('email', `email:${email}`) }
        : undefined,
      phone: phone
        ? { number: phone, state: this.consent.get<SmsState>('sms', `phone:${phone}`) }
        : undefined,
      lastPurchaseAt: purchases.length ? Math.max(...purchases.map((p) => p.at)) : undefined,
    };
    const { items, value, currency } = itemsOf(journey);
    const latest = (type: 'customerId' | 'kx') =>
      members
        .filter(
          (m) => m.type === type && m.status === 'active' && firedAt - m.linkedAt <= this.settings.lookback,
        )
        .sort((a, b) => b.lastSeen - a.lastSeen || a.value.localeCompare(b.value))[0]?.value;
    const customerId = latest('customerId');
    const kx = latest('kx');
    return {
      id: triggerIdFor(journey),
      journeyId: journey.id,
      profileId: root,
      stage: journey.stage,
      dueAt: journey.dueAt!,
      firedAt,
      items,
      value,
      currency,
      recoveryUrl: recoveryUrlOf(journey, items),
      shop: s.shop,
      locale: s.locale,
      recipient,
      ...((customerId || kx) && { ids: { ...(customerId && { customerId }), ...(kx && { kx }) } }),
      decisions: {
        email: decide(input, 'email', firedAt, this.settings.consent),
        sms: decide(input, 'sms', firedAt, this.settings.consent),
      },
      jurisdiction: {
        regime: jurisdiction.regime,
        country: jurisdiction.country,
        region: jurisdiction.region,
        signals: jurisdiction.signals,
      },
      signals: consentSignals({ jurisdiction, ...tracking }),
      native: nativeOf(journey, this.#devicesOf(root)),
    };
  }

  /** Writes the triggers fired and the caps they used. */
  async save(trx: Transaction<Database>, createdAt: number): Promise<void> {
    const capabilities = capabilitiesOf(trx);
    for (const part of inChunks(capabilities, this.triggers, { perValue: 8 })) {
      await trx
        .insertInto('triggers')
        .values(
          part.map((t) => ({
            id: t.id,
            journey_id: t.journeyId,
            profile_id: t.profileId,
            stage: t.stage,
            due_at: t.dueAt,
            fired_at: t.firedAt,
            created_at: createdAt,
            body_json: JSON.stringify(t),
          })),
        )
        .execute();
    }
    for (const part of inChunks(capabilities, this.#newCaps, { perValue: 2 }))
      await trx.insertInto('trigger_caps').values(part).execute();
  }
}

/** Whether Klaviyo's own tracking likely started its native flow for this journey, and why (`NativeReason`). */
function nativeOf(journey: Journey, profileDevices: number): TriggerBody['native'] {
  if (journey.stage === 'checkout') {
    return journey.state.assertedEmail
      ? { klaviyoLikelySaw: true, reason: 'email_typed_in_checkout' }
      : { klaviyoLikelySaw: false, reason: 'no_email_typed_in_checkout' };
  }
  const k = journey.state.klaviyo;
  if (k.identified) return { klaviyoLikelySaw: true, reason: 'klaviyo_cookie_identified' };
  if (!k.scriptSeen) return { klaviyoLikelySaw: false, reason: 'klaviyo_script_not_seen' };
  return {
    klaviyoLikelySaw: false,
    reason:
      profileDevices > journey.state.devices.length ? 'known_from_other_device' : 'klaviyo_cookie_anonymous',
  };
}
