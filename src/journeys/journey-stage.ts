import { consentViewSlot } from '../consent/consent-stage.ts';
import { identitySlot, type ResolvedEvent } from '../identity/identity-resolver.ts';
import type { BatchContext } from '../pipeline/batch-context.ts';
import type { Stage, StageBatch } from '../pipeline/stage.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import { DueQueue } from './due-queue.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { FiringSession, type FiringSettings, type TriggerBody } from './firing.ts';
import { absorb, applyActivity, isPurchase, newJourney, stageOf, type Journey } from './journey.ts';
import { loadOpenJourneys, saveJourneys, savePurchases, type Purchase } from './journey-repository.ts';

/** Called with the triggers fired, inside the transaction that stores them (the delivery outbox). */
export type TriggerSink = (
  trx: Transaction<Database>,
  triggers: readonly TriggerBody[],
  now: number,
) => Promise<void>;

/**
 * Journeys per profile, in event time: activity deepens and extends a journey, a purchase closes it,
 * profile merges join journeys, and journeys whose due time the clock passes fire — between the events
 * of a batch, in order, so a purchase after the due time never cancels a trigger the clock already
 * passed, and one before it always does.
 */
export class JourneyStage implements Stage<ResolvedEvent> {
  readonly name = 'journeys';

  constructor(
    private readonly settings: FiringSettings,
    private readonly sinks: readonly TriggerSink[] = [],
  ) {}

  async begin(ctx: BatchContext, events: readonly ResolvedEvent[]): Promise<StageBatch<ResolvedEvent>> {
    const batch = new JourneyBatch(this.settings, this.sinks, ctx);
    await batch.load(events);
    return batch;
  }
}

/**
 * One batch of the journey stage: the open journeys of its profiles, and what firing them needs. Every
 * journey fires here, in a batch of events or claimed by the timers.
 */
export class JourneyBatch implements StageBatch<ResolvedEvent> {
  readonly #journeys = new Map<string, Journey>();
  readonly #open = new Map<string, Journey>();
  readonly #dirty = new Set<string>();
  readonly #purchases: Purchase[] = [];
  readonly #queue = new DueQueue();
  readonly #session: FiringSession;

  constructor(
    private readonly settings: FiringSettings,
    private readonly sinks: readonly TriggerSink[],
    private readonly ctx: BatchContext,
  ) {
    this.#session = new FiringSession(settings, ctx.get(consentViewSlot));
  }

  async load(events: readonly ResolvedEvent[]): Promise<void> {
    const { trx } = this.ctx;
    const identity = this.ctx.get(identitySlot);
    const profiles = new Set<string>(identity.profiles.keys());
    for (const { resolution } of events) if (resolution.profileId) profiles.add(resolution.profileId);
    const open = await loadOpenJourneys(trx, [...profiles]);
    for (const journey of open.sort((a, b) => a.startedAt - b.startedAt)) {
      const existing = this.#open.get(journey.profileId);
      if (existing) {
        absorb(existing, journey, this.settings.windows);
        this.#track(journey);
      } else this.#open.set(journey.profileId, journey);
      this.#track(existing ?? journey);
    }
    this.#session.liveCounts = (root) =>
      identity.profiles.has(root) ? identity.root(root).counts : undefined;
    const probes = events
      .map(({ event, resolution }) => probeJourney(event, resolution.profileId))
      .filter((j): j is Journey => j !== undefined);
    const roots = [...profiles].map((id) => (identity.profiles.has(id) ? identity.root(id).id : id));
    await this.#session.load(trx, [...open, ...probes], roots);
    for (const record of identity.identifiers.values()) {
      if (identity.profiles.has(record.profileId))
        this.#session.noteContact(identity.root(record.profileId).id, record);
    }
  }

  apply({ event, resolution }: ResolvedEvent): void {
    this.#fireDue(event.receivedAt);
    for (const { from, into } of resolution.merged) this.#merge(from, into);
    const profileId = resolution.profileId;
    if (!profileId) return;
    if (isPurchase(event)) this.#purchase(event, profileId);
    const stage = opensJourneys(event) ? stageOf(event) : undefined;
    if (!stage || this.#precedesPurchase(event, profileId)) return;
    let journey = this.#open.get(profileId);
    if (!journey) {
      journey = newJourney(profileId, event, stage);
      this.#open.set(profileId, journey);
    }
    applyActivity(journey, event, stage, this.settings.windows);
    this.#track(journey);
  }

  async save(): Promise<void> {
    const { trx, clock } = this.ctx;
    this.#fireDue(clock.now());
    await saveJourneys(
      trx,
      [...this.#dirty].map((id) => this.#journeys.get(id)!),
    );
    await savePurchases(trx, this.#purchases);
    await this.#session.save(trx, clock.now());
    for (const sink of this.sinks) await sink(trx, this.#session.triggers, clock.now());
  }

  #track(journey: Journey): void {
    this.#journeys.set(journey.id, journey);
    this.#dirty.add(journey.id);
    if (journey.status === 'open' && journey.dueAt !== null) this.#queue.push(journey.dueAt, journey.id);
  }

  /**
   * The timers' part: journeys the clock passed that no batch of events had in hand, claimed in due
   * order, fired in that order up to `upTo`.
   */
  async fireClaimed(journeys: readonly Journey[], upTo: number): Promise<void> {
    for (const journey of journeys) this.#journeys.set(journey.id, journey);
    await this.#session.load(this.ctx.trx, journeys);
    for (const journey of journeys) this.#fire(journey, upTo);
  }

  /** Fires, in due order, every journey of the batch whose due time the clock has passed. */
  #fireDue(now: number): void {
    for (let entry = this.#queue.popDue(now); entry; entry = this.#queue.popDue(now)) {
      const journey = this.#journeys.get(entry.id);
      if (!journey || journey.status !== 'open' || journey.dueAt !== entry.due) continue;
      this.#fire(journey, now);
    }
  }

  #fire(journey: Journey, now: number): void {
    this.#session.fire(journey, now);
    if (journey.status !== 'open') this.#open.delete(journey.profileId);
    this.#dirty.add(journey.id);
  }

  #merge(from: string, into: string): void {
    this.#session.noteMerge(from, into);
    const loser = this.#open.get(from);
    if (!loser) return;
    this.#open.delete(from);
    const winner = this.#open.get(into);
    if (!winner) {
      loser.profileId = into;
      this.#open.set(into, loser);
      this.#track(loser);
      return;
    }
    const [target, other] = loser.startedAt < winner.startedAt ? [loser, winner] : [winner, loser];
    target.profileId = into;
    absorb(target, other, this.settings.windows);
    this.#open.set(into, target);
    this.#track(target);
    this.#track(other);
  }

  #purchase(event: CanonicalEvent, profileId: string): void {
    const purchase: Purchase = {
      orderKey: event.ids.orderId
        ? `order:${event.ids.orderId}`
        : event.ids.checkoutToken
          ? `checkout:${event.ids.checkoutToken}`
          : `event:${event.id}`,
      profileId,
      at: event.eventTime,
      checkoutToken: event.ids.checkoutToken ?? null,
      cartToken: event.ids.cartToken ?? null,
      value: event.commerce?.value ?? null,
      currency: event.commerce?.currency ?? null,
    };
    this.#purchases.push(purchase);
    this.#session.notePurchase(purchase);
    const journey = this.#open.get(profileId);
    if (!journey) return;
    const s = journey.state;
    const sameBasket =
      (purchase.checkoutToken && s.checkoutTokens.includes(purchase.checkoutToken)) ||
      (purchase.cartToken && s.cartTokens.includes(purchase.cartToken));
    if (journey.startedAt <= event.eventTime || sameBasket) {
      journey.status = 'purchased';
      journey.outcome = 'purchased';
      journey.dueAt = null;
      this.#open.delete(profileId);
      this.#track(journey);
    }
  }

  /** Activity from before a purchase the profile already made (it arrived late): part of a bought journey. */
  #precedesPurchase(event: CanonicalEvent, profileId: string): boolean {
    return this.#session
      .purchasesOf(profileId)
      .some(
        (p) =>
          event.eventTime <= p.at ||
          (p.checkoutToken !== null && p.checkoutToken === event.ids.checkoutToken) ||
          (p.cartToken !== null && p.cartToken === event.ids.cartToken),
      );
  }
}

/** A stand-in journey carrying an event's tokens, contacts and devices, so their caps and consent load up front. */
function probeJourney(event: CanonicalEvent, profileId: string | undefined): Journey | undefined {
  const stage = opensJourneys(event) ? stageOf(event) : undefined;
  if (!profileId || !stage) return undefined;
  const journey = newJourney(profileId, event, stage);
  applyActivity(journey, event, stage, { browse: 0, cart: 0, checkout: 0 });
  return journey;
}

/**
 * The store's history read by `reclaim shopify import` identifies shoppers and records purchases, but an
 * abandoned checkout from last week is no journey to act on now.
 */
function opensJourneys(event: CanonicalEvent): boolean {
  return event.source !== 'shopify_import';
}
