import { hash } from 'node:crypto';
import { Slot, type BatchContext } from '../pipeline/batch-context.ts';
import type { Stage, StageBatch } from '../pipeline/stage.ts';
import type { ResolvedEvent } from '../identity/identity-resolver.ts';
import type { CanonicalEvent } from '../event-log/canonical-event.ts';
import type { Kysely, Transaction } from 'kysely';
import { capabilitiesOf } from '../store/capabilities.ts';
import { inChunks } from '../store/in-chunks.ts';
import type { Database, StatePermission } from '../store/schema.ts';
import {
  ConsentLedger,
  type LedgerHead,
  jurisdictionOfRecord,
  type ConsentRecord,
  type ConsentSubject,
} from './consent-ledger.ts';
import {
  applyEmail,
  applySms,
  applyTracking,
  type ConsentRecordEffect,
  type EmailState,
  type LedgerAction,
  type LedgerPermission,
  type LegalBasis,
  type SmsState,
  type TrackingState,
} from './consent-state.ts';
import { resolveJurisdiction, type Regime } from './jurisdiction.ts';
import type { SubscriptionChange, SubscriptionSink } from './subscription-change.ts';

/** The merchant settings the ledger needs (from `config.consent`). */
export interface ConsentStageSettings {
  bannerWordingVersion: string;
  checkoutMarketingBox: 'opt_in' | 'opt_out';
  checkoutWordingVersion: string;
  smsCheckoutWordingVersion: string;
  policyRevision: string;
}

type Db = Kysely<Database> | Transaction<Database>;
type AnyState = EmailState | SmsState | TrackingState;

/**
 * The consent states a batch works with, shared by the consent stage (which changes them as records
 * arrive) and the journey stage (which decides sends with them), so a withdrawal earlier in a batch
 * stops a trigger fired later in it.
 */
export class ConsentStateView {
  readonly #states = new Map<string, AnyState>();
  readonly #loaded = new Set<string>();
  /** States set since the last save, by `permission|key`. */
  readonly dirty = new Map<string, { permission: StatePermission; key: string }>();

  /** Subject keys loaded or set so far. */
  get size(): number {
    return this.#loaded.size;
  }

  /** Loads the states of these subject keys that are not loaded yet. */
  async load(db: Db, keys: Iterable<string>): Promise<void> {
    const wanted = [...new Set(keys)].filter((key) => !this.#loaded.has(key));
    for (const part of inChunks(capabilitiesOf(db), wanted)) {
      const rows = await db
        .selectFrom('consent_states')
        .selectAll()
        .where('subject_key', 'in', part)
        .execute();
      for (const row of rows)
        this.#states.set(`${row.permission}|${row.subject_key}`, JSON.parse(row.state_json) as AnyState);
    }
    for (const key of wanted) this.#loaded.add(key);
  }

  get<T extends AnyState>(permission: StatePermission, key: string): T {
    return (this.#states.get(`${permission}|${key}`) ?? {}) as T;
  }

  set(permission: StatePermission, key: string, state: AnyState): void {
    this.#states.set(`${permission}|${key}`, state);
    this.#loaded.add(key);
    this.dirty.set(`${permission}|${key}`, { permission, key });
  }

  /** Tracking state merged over several devices: the latest banner decision, the first GPC signal. */
  tracking(devices: readonly string[]): TrackingState {
    let merged: TrackingState = {};
    for (const device of devices) {
      const state = this.get<TrackingState>('tracking', device);
      if (state.decision && (!merged.decision || state.decision.at > merged.decision.at))
        merged = { ...merged, decision: state.decision };
      if (state.gpc && (!merged.gpc || state.gpc.at < merged.gpc.at)) merged = { ...merged, gpc: state.gpc };
    }
    return merged;
  }

  rows(now: number): Database['consent_states'][] {
    return [...this.dirty].map(([id, { permission, key }]) => ({
      subject_key: key,
      permission,
      state_json: JSON.stringify(this.#states.get(id)),
      updated_at: now,
    }));
  }
}

const DEVICE_KEYS = ['clientId', 'browserId', 'anonymousId'] as const;
const PURCHASE_KINDS = new Set(['order_completed', 'order_paid']);
const CHECKOUT_KINDS = new Set(['checkout_contact', 'checkout_update']);
const TWO_YEARS = Math.round(2 * 365.25 * 86_400_000);
/** Subjects whose consent states stay in memory between batches; past it, the next batch starts afresh. */
const WARM_SUBJECTS = 50_000;

/** A record the stage wants to write, before it is chained. */
interface Draft {
  permission: LedgerPermission;
  action: LedgerAction;
  basis: LegalBasis;
  subject: ConsentSubject;
  capture: ConsentRecord['capture'];
  wording: ConsentRecord['wording'];
  evidence?: ConsentRecord['evidence'];
  extras?: ConsentRecord['extras'];
  effect: Omit<ConsentRecordEffect, 'permission' | 'action' | 'at' | 'recordId'>;
}

export const deviceKeysOf = (event: CanonicalEvent): string[] =>
  DEVICE_KEYS.flatMap((type) => (event.ids[type] ? [`${type}:${event.ids[type]}`] : []));

/** The batch's consent states, as the consent stage leaves them for journeys and conversions. */
export const consentViewSlot = new Slot<ConsentStateView>('consent.view');

/**
 * Turns consent-bearing events into ledger records and keeps each subject's current state: explicit
 * decisions (consent endpoint, banner, Shopify consent webhooks), the checkout marketing box, soft
 * opt-ins and CASL implied consent established by purchases, Global Privacy Control. A record is written
 * only when it changes what the ledger says; decisions are always written.
 */
export class ConsentStage implements Stage<ResolvedEvent> {
  readonly name = 'consent';
  /**
   * What the last committed batch left: the ledger's head and the consent states it loaded or wrote. This
   * stage is the only writer of both, so they stay true for the next batch until `forget`.
   */
  #warm: { view: ConsentStateView; head: LedgerHead | undefined } | undefined;

  /** `subscriptions`: told of every marketing opt-in and withdrawal the batch records. */
  constructor(
    private readonly settings: ConsentStageSettings,
    private readonly subscriptions?: SubscriptionSink,
  ) {}

  async begin(ctx: BatchContext, events: readonly ResolvedEvent[]): Promise<StageBatch<ResolvedEvent>> {
    const warm = this.#warm && this.#warm.view.size < WARM_SUBJECTS ? this.#warm : undefined;
    const view = warm?.view ?? new ConsentStateView();
    const ledger = new ConsentLedger(warm?.head);
    this.#warm = undefined;
    const batch = new ConsentBatch(this.settings, ctx, ledger, view, this.subscriptions);
    await batch.load(events);
    ctx.provide(consentViewSlot, view);
    return {
      apply: (event) => batch.apply(event),
      save: () => batch.save(),
      committed: () => {
        view.dirty.clear();
        this.#warm = { view, head: ledger.head };
      },
    };
  }

  forget(): void {
    this.#warm = undefined;
  }
}

/** One batch of the consent stage: the ledger's head, the states its events touch, the changes it made. */
class ConsentBatch {
  readonly #changes: SubscriptionChange[] = [];

  constructor(
    private readonly settings: ConsentStageSettings,
    private readonly ctx: BatchContext,
    private readonly ledger: ConsentLedger,
    readonly view: ConsentStateView,
    private readonly subscriptions?: SubscriptionSink,
  ) {}

  async load(events: readonly ResolvedEvent[]): Promise<void> {
    const { trx } = this.ctx;
    if (!this.ledger.head) await this.ledger.loadHead(trx);
    const keys = new Set<string>();
    for (const { event } of events) {
      if (event.ids.email) keys.add(`email:${event.ids.email}`);
      if (event.ids.phone) keys.add(`phone:${event.ids.phone}`);
      for (const key of deviceKeysOf(event)) keys.add(key);
    }
    await this.view.load(trx, keys);
  }

  apply({ event, resolution }: ResolvedEvent): void {
    const drafts = this.#draftsFor(event);
    drafts.forEach((draft, index) => this.#record(event, draft, index, resolution.profileId));
  }

  async save(): Promise<void> {
    const { trx, clock } = this.ctx;
    await this.ledger.save(trx);
    if (this.subscriptions && this.#changes.length) await this.subscriptions(trx, this.#changes, clock.now());
    for (const part of inChunks(capabilitiesOf(trx), this.view.rows(clock.now()), { perValue: 4 })) {
      await trx
        .insertInto('consent_states')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['subject_key', 'permission']).doUpdateSet((eb) => ({
            state_json: eb.ref('excluded.state_json'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  /** Chains the record and folds it into every subject's state; skips what changes nothing. */
  #record(event: CanonicalEvent, draft: Draft, index: number, profileId: string | undefined): void {
    const recordId = `cr_${hash('sha256', `${event.id}:${index}`, 'base64url').slice(0, 20)}`;
    const effect: ConsentRecordEffect = {
      ...draft.effect,
      permission: draft.permission,
      action: draft.action,
      at: event.eventTime,
      recordId,
    };
    const targets = this.#targets(draft);
    const updates = targets.map(({ permission, key }) => {
      const before = this.view.get<AnyState>(permission, key);
      const after =
        permission === 'email'
          ? applyEmail(before as EmailState, effect)
          : permission === 'sms'
            ? applySms(before as SmsState, effect)
            : applyTracking(before as TrackingState, effect);
      return { permission, key, before, after };
    });
    const decision = event.kind === 'consent';
    if (!decision && updates.every((u) => u.after === u.before)) return;
    for (const { permission, key, after } of updates) this.view.set(permission, key, after);
    const change = subscriptionChange(draft, updates, recordId, event.eventTime, profileId);
    if (change) this.#changes.push(change);
    this.ledger.append(
      {
        recordId,
        permission: draft.permission,
        action: draft.action,
        basis: draft.basis,
        occurredAt: event.eventTime,
        receivedAt: event.receivedAt,
        jurisdiction: jurisdictionOfRecord(resolveJurisdiction([event.context.geo])),
        capture: draft.capture,
        wording: draft.wording,
        ...(draft.evidence ? { evidence: draft.evidence } : {}),
        ...(event.context.gpc ? { gpc: true } : {}),
        ...(draft.extras ? { extras: draft.extras } : {}),
        policyRevision: this.settings.policyRevision,
        sourceEventId: event.id,
      },
      draft.subject,
    );
  }

  #targets(draft: Draft): { permission: StatePermission; key: string }[] {
    if (draft.permission === 'email_marketing')
      return draft.subject.email ? [{ permission: 'email', key: `email:${draft.subject.email}` }] : [];
    if (draft.permission === 'sms_marketing')
      return draft.subject.phone ? [{ permission: 'sms', key: `phone:${draft.subject.phone}` }] : [];
    return (draft.subject.devices ?? []).map((key) => ({ permission: 'tracking' as const, key }));
  }

  #draftsFor(event: CanonicalEvent): Draft[] {
    const drafts: Draft[] = [];
    const network = { ip: event.context.ip, userAgent: event.context.userAgent };
    const devices = deviceKeysOf(event);
    const decision = event.consent;
    if (event.kind === 'consent' && decision) {
      const action: LedgerAction =
        decision.state === 'granted' ? 'grant' : decision.state === 'denied' ? 'deny' : 'withdraw';
      const wording = {
        id: decision.wordingVersion,
        text: decision.wording,
        initialState: decision.initialState,
      };
      const capture = { source: decision.source, pageUrl: decision.captureUrl, formId: decision.formId };
      const evidence = {
        optInLevel: decision.optInLevel,
        confirmed: decision.confirmed,
        message: decision.message,
        categories: decision.categories,
      };
      if (decision.permission === 'tracking') {
        const granted =
          decision.state === 'granted' &&
          (decision.categories ? decision.categories.analytics && decision.categories.marketing : true);
        drafts.push({
          permission: 'tracking',
          action,
          basis: granted ? 'consent' : 'none',
          subject: { devices, ...(event.ids.email ? { email: event.ids.email } : {}) },
          capture,
          wording,
          evidence,
          effect: { granted, saleOfData: decision.categories?.saleOfData ?? decision.state === 'granted' },
        });
      } else {
        const email = decision.permission === 'email';
        drafts.push({
          permission: email ? 'email_marketing' : 'sms_marketing',
          action,
          basis: action === 'grant' ? 'consent' : 'none',
          subject: {
            ...(email ? { email: event.ids.email } : { phone: event.ids.phone }),
            ...(event.ids.customerId ? { customerId: event.ids.customerId } : {}),
            ...(action === 'grant' ? { network } : {}),
          },
          capture,
          wording,
          evidence,
          extras:
            decision.optOutWording || decision.optOutOffered
              ? { optOutWordingId: decision.optOutWording, optOutUsed: false }
              : undefined,
          effect: {},
        });
      }
    }
    drafts.push(...this.#fromCommerce(event, network));
    if (event.context.gpc && devices.length > 0) {
      drafts.push({
        permission: 'tracking',
        action: 'gpc_signal',
        basis: 'none',
        subject: { devices },
        capture: { source: 'gpc_header' },
        wording: {},
        effect: {},
      });
    }
    return drafts;
  }

  /** The checkout marketing box, and what a purchase establishes (soft opt-in, CASL implied consent). */
  #fromCommerce(event: CanonicalEvent, network: ConsentSubject['network']): Draft[] {
    const commerce = event.commerce;
    const email = event.ids.email;
    const drafts: Draft[] = [];
    if (!commerce) return drafts;
    const purchase = PURCHASE_KINDS.has(event.kind);
    const checkout = CHECKOUT_KINDS.has(event.kind) || event.kind === 'checkout_started';
    if (!purchase && !checkout) return drafts;
    const regime = resolveJurisdiction([event.context.geo]).regime;
    const capture = {
      source: purchase ? 'shopify_order' : 'shopify_checkout',
      pageUrl: event.context.pageUrl,
    };
    const extras = { orderId: event.ids.orderId, checkoutToken: event.ids.checkoutToken };
    if (email && commerce.buyerAcceptsEmail !== undefined) {
      if (this.settings.checkoutMarketingBox === 'opt_in') {
        if (commerce.buyerAcceptsEmail) {
          drafts.push({
            permission: 'email_marketing',
            action: 'grant',
            basis: 'consent',
            subject: { email, network },
            capture,
            wording: { id: this.settings.checkoutWordingVersion, initialState: 'unchecked' },
            extras,
            effect: {},
          });
        }
      } else if (!commerce.buyerAcceptsEmail) {
        drafts.push({
          permission: 'email_marketing',
          action: 'object',
          basis: 'none',
          subject: { email },
          capture,
          wording: { id: this.settings.checkoutWordingVersion },
          extras: { ...extras, optOutUsed: true },
          effect: {},
        });
      } else if (softOptInApplies(regime, purchase)) {
        const kind = regime === 'CH' ? 'ch_customer_exception' : 'soft_opt_in';
        drafts.push({
          permission: 'email_marketing',
          action: 'soft_optin_established',
          basis: kind,
          subject: { email },
          capture,
          wording: { id: this.settings.checkoutWordingVersion },
          extras: { ...extras, optOutWordingId: this.settings.checkoutWordingVersion, optOutUsed: false },
          effect: { softKind: kind },
        });
      }
    }
    if (event.ids.phone && commerce.buyerAcceptsSms) {
      drafts.push({
        permission: 'sms_marketing',
        action: 'grant',
        basis: 'consent',
        subject: { phone: event.ids.phone, network },
        capture,
        wording: { id: this.settings.smsCheckoutWordingVersion, initialState: 'unchecked' },
        extras,
        effect: {},
      });
    }
    if (email && purchase && (regime === 'CA' || regime === 'CA-QC')) {
      const expiresAt = event.eventTime + TWO_YEARS;
      drafts.push({
        permission: 'email_marketing',
        action: 'implied_ebr_established',
        basis: 'casl_implied_ebr',
        subject: { email },
        capture,
        wording: {},
        extras: { ...extras, expiresAt },
        effect: { expiresAt },
      });
    }
    return drafts;
  }
}

/**
 * Soft opt-in (EU, UK) and the Swiss customer exception need a completed sale; the UK also accepts
 * negotiations for a sale — an email typed into checkout with the opt-out offered there (RULES.md E-UK).
 */
function softOptInApplies(regime: Regime, purchase: boolean): boolean {
  if (regime === 'EU' || regime === 'CH') return purchase;
  return regime === 'UK';
}

/** A subject's current consent, merged over its devices, outside a batch (admin API, delivery). */
export async function readConsent(db: Db, subject: { email?: string; phone?: string; devices?: string[] }) {
  const view = new ConsentStateView();
  const email = subject.email ? `email:${subject.email}` : undefined;
  const phone = subject.phone ? `phone:${subject.phone}` : undefined;
  await view.load(db, [...(email ? [email] : []), ...(phone ? [phone] : []), ...(subject.devices ?? [])]);
  return {
    email: email ? view.get<EmailState>('email', email) : {},
    sms: phone ? view.get<SmsState>('sms', phone) : {},
    tracking: view.tracking(subject.devices ?? []),
  };
}

/**
 * The platform-facing side of a record: an explicit opt-in (`consent` basis, with the wording the
 * shopper was shown: the proof TCPA and GDPR ask for) that is now the subject's latest word subscribes;
 * a withdrawal or objection that changed the state, or a refusal after an opt-in, unsubscribes. Soft opt-ins and implied consent stay
 * in Reclaim: they permit Reclaim's own sends, not a platform-wide subscription.
 */
function subscriptionChange(
  draft: Draft,
  updates: { permission: StatePermission; before: AnyState; after: AnyState }[],
  recordId: string,
  at: number,
  profileId: string | undefined,
): SubscriptionChange | undefined {
  const channel =
    draft.permission === 'sms_marketing'
      ? 'sms'
      : draft.permission === 'email_marketing'
        ? 'email'
        : undefined;
  const update = updates[0];
  if (!channel || !update || update.after === update.before) return undefined;
  const contact = channel === 'sms' ? { phone: draft.subject.phone } : { email: draft.subject.email };
  if (!contact.phone && !contact.email) return undefined;
  const base = {
    channel,
    at,
    recordId,
    source: draft.capture.source,
    ...contact,
    ...(profileId && { profileId }),
  } as const;
  if (draft.action === 'withdraw' || draft.action === 'object') return { ...base, action: 'unsubscribe' };
  // A refusal after an opt-in ends it (consent-state.ts): the platform must stop too.
  if (draft.action === 'deny')
    return (update.before as { explicit?: unknown }).explicit
      ? { ...base, action: 'unsubscribe' }
      : undefined;
  if (draft.action !== 'grant' || draft.basis !== 'consent' || !(draft.wording.id || draft.wording.text))
    return undefined;
  const state = update.after as {
    explicit?: { at: number };
    withdrawn?: { at: number };
    denied?: { at: number };
  };
  const latest = state.explicit?.at ?? -Infinity;
  if ((state.withdrawn?.at ?? -Infinity) >= latest || (state.denied?.at ?? -Infinity) > latest)
    return undefined;
  return { ...base, action: 'subscribe' };
}
