import type { Config } from '../../src/config/config-schema.ts';
import { consentSignals } from '../../src/consent/consent-signals.ts';
import { resolveJurisdiction } from '../../src/consent/jurisdiction.ts';
import type { Decision } from '../../src/consent/policy.ts';
import { Deliverer } from '../../src/delivery/deliverer.ts';
import { outboxTriggerSink } from '../../src/delivery/outbox-trigger-sink.ts';
import type { Conversion } from '../../src/destinations/kit/destination.ts';
import { enabledDestinations } from '../../src/destinations/registry.ts';
import type { TriggerBody } from '../../src/journeys/firing.ts';
import type { Clock } from '../../src/runtime/clock.ts';
import { createLogger, type Logger } from '../../src/runtime/logger.ts';
import type { Store } from '../../src/store/store.ts';
import { Ga4StandIn } from '../../src/stand-ins/ga4-stand-in.ts';
import { KlaviyoStandIn } from '../../src/stand-ins/klaviyo-stand-in.ts';
import { MetaStandIn } from '../../src/stand-ins/meta-stand-in.ts';

export const allow = (
  basis: 'consent' | 'can_spam_opt_out' = 'consent',
  recordIds = ['cr_test'],
): Decision => ({
  allowed: true,
  basis,
  recordIds,
});
export const deny = (reason: 'no_contact' | 'no_marketing_permission' = 'no_contact'): Decision => ({
  allowed: false,
  reason,
  recordIds: [],
});

let counter = 0;

/** A fired cart trigger, as the journey stage writes it. */
export function sampleTrigger(
  patch: Partial<TriggerBody> & { email?: string; phone?: string } = {},
): TriggerBody {
  const { email = 'ana@shop.example', phone, ...rest } = patch;
  const at = Date.UTC(2026, 10, 22, 12);
  const jurisdiction = resolveJurisdiction([{ country: 'US', region: 'US-NY' }]);
  return {
    id: `tr_test_${++counter}`,
    journeyId: `jn_test_${counter}`,
    profileId: `pr_test_${counter}`,
    stage: 'cart',
    dueAt: at,
    firedAt: at,
    items: [
      {
        productId: '632910392',
        variantId: '808950810',
        title: 'IPod Nano - 8GB',
        price: '199.00',
        quantity: 1,
      },
    ],
    value: '199.00',
    currency: 'USD',
    recoveryUrl: 'https://northwind-demo.myshopify.com/cart/808950810:1',
    shop: 'northwind-demo.myshopify.com',
    recipient: {
      email: email ? { value: email, reason: 'asserted_in_journey' } : { refused: 'none_known' },
      phone: phone ? { value: phone, reason: 'most_recently_confirmed' } : { refused: 'none_known' },
    },
    ids: { customerId: '207119551' },
    decisions: { email: email ? allow('can_spam_opt_out') : deny(), sms: phone ? allow() : deny() },
    jurisdiction: {
      regime: jurisdiction.regime,
      country: 'US',
      region: 'US-NY',
      signals: jurisdiction.signals,
    },
    signals: consentSignals({ jurisdiction, recorded: {}, gpc: false }),
    native: { klaviyoLikelySaw: false, reason: 'klaviyo_script_not_seen' },
    ...rest,
  };
}

/** Stores triggers as the journey stage does and queues them through the real outbox sink. */
export async function fireTriggers(store: Store, config: Config, triggers: TriggerBody[], now: number) {
  await store.db.transaction().execute(async (trx) => {
    for (const t of triggers) {
      await trx
        .insertInto('triggers')
        .values({
          id: t.id,
          journey_id: t.journeyId,
          profile_id: t.profileId,
          stage: t.stage,
          due_at: t.dueAt,
          fired_at: t.firedAt,
          created_at: now,
          body_json: JSON.stringify(t),
        })
        .execute();
    }
    await outboxTriggerSink(enabledDestinations(config))(trx, triggers, now);
  });
}

/**
 * The consent state an SMS opt-in leaves for a phone (the ledger's derived state), for triggers built
 * by hand: a send on the basis of consent is only made while the opt-in stands.
 */
export async function recordSmsOptIn(store: Store, phone: string, at = Date.UTC(2026, 10, 1)) {
  await store.db
    .insertInto('consent_states')
    .values({
      subject_key: `phone:${phone}`,
      permission: 'sms',
      state_json: JSON.stringify({ explicit: { at, recordId: 'cr_test' } }),
      updated_at: at,
    })
    .execute();
}

/** A product view with marketing and analytics consent, as the conversion stage builds it. */
export function sampleConversion(patch: Partial<Conversion> = {}): Conversion {
  const at = patch.at ?? Date.UTC(2026, 10, 22, 12);
  const jurisdiction = resolveJurisdiction([{ country: 'US', region: 'US-NY' }]);
  return {
    id: `ev_test_${++counter}`,
    name: 'add_to_cart',
    eventId: `sh-test-${counter}`,
    at,
    pageUrl: 'https://northwind-demo.myshopify.com/products/ipod-nano',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)',
    ip: '203.0.113.7',
    fbp: 'fb.1.1700000000000.123456789',
    gaClientId: '1234567890.1700000000',
    email: 'ana@shop.example',
    customerId: '207119551',
    country: 'US',
    items: [
      {
        productId: '632910392',
        variantId: '808950810',
        title: 'IPod Nano - 8GB',
        price: '199.00',
        quantity: 1,
      },
    ],
    value: '199.00',
    currency: 'USD',
    signals: consentSignals({
      jurisdiction,
      categories: { analytics: true, marketing: true, preferences: true, saleOfData: true },
      recorded: {},
      gpc: false,
    }),
    ...patch,
  };
}

/** The three partner stand-ins, listening on loopback. */
export async function startStandIns(clock?: () => number) {
  const klaviyo = new KlaviyoStandIn({ clock });
  const meta = new MetaStandIn({ clock });
  const ga4 = new Ga4StandIn({ clock });
  await Promise.all([klaviyo.start(), meta.start(), ga4.start()]);
  return {
    klaviyo,
    meta,
    ga4,
    env: {
      KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY,
      KLAVIYO_BASE_URL: klaviyo.url,
      META_PIXEL_ID: MetaStandIn.DEFAULT_PIXEL,
      META_ACCESS_TOKEN: MetaStandIn.DEFAULT_TOKEN,
      META_BASE_URL: meta.url,
      GA4_MEASUREMENT_ID: Ga4StandIn.DEFAULT_MEASUREMENT_ID,
      GA4_API_SECRET: Ga4StandIn.DEFAULT_SECRET,
      GA4_BASE_URL: ga4.url,
    },
    close: () => Promise.all([klaviyo.close(), meta.close(), ga4.close()]),
  };
}

export type StandIn = KlaviyoStandIn | MetaStandIn | Ga4StandIn;

/** One partner's stand-in, listening on loopback, and the environment that points Reclaim at it. */
export async function startStandIn(name: 'klaviyo' | 'meta' | 'ga4', clock?: () => number) {
  const standIn: StandIn =
    name === 'klaviyo'
      ? new KlaviyoStandIn({ clock })
      : name === 'meta'
        ? new MetaStandIn({ clock })
        : new Ga4StandIn({ clock });
  const url = await standIn.start();
  const env: Record<string, string> =
    name === 'klaviyo'
      ? { KLAVIYO_API_KEY: KlaviyoStandIn.DEFAULT_KEY, KLAVIYO_BASE_URL: url }
      : name === 'meta'
        ? {
            META_PIXEL_ID: MetaStandIn.DEFAULT_PIXEL,
            META_ACCESS_TOKEN: MetaStandIn.DEFAULT_TOKEN,
            META_BASE_URL: url,
          }
        : {
            GA4_MEASUREMENT_ID: Ga4StandIn.DEFAULT_MEASUREMENT_ID,
            GA4_API_SECRET: Ga4StandIn.DEFAULT_SECRET,
            GA4_BASE_URL: url,
          };
  return { standIn, env };
}

/**
 * Request deadlines that only the test expires: a request waits for the partner's answer until the test
 * says it has waited too long, so a loaded machine never turns a slow answer into a timeout and the
 * timeout path runs exactly when the test drives it.
 */
export class ManualDeadlines {
  readonly #waiting = new Set<AbortController>();

  readonly signal = (): AbortSignal => {
    const controller = new AbortController();
    this.#waiting.add(controller);
    return controller.signal;
  };

  /** Every request waiting now times out, as `AbortSignal.timeout` would end it. */
  expire(): void {
    for (const controller of this.#waiting)
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    this.#waiting.clear();
  }
}

/** A deliverer for one configured destination. */
export function delivererFor(
  name: string,
  store: Store,
  config: Config,
  clock: Clock,
  log: Logger = createLogger({ level: 'silent' }),
  deadline?: (timeout: number) => AbortSignal,
): Deliverer {
  const destination = enabledDestinations(config).find((d) => d.definition.name === name);
  if (!destination) throw new Error(`${name} is not configured`);
  return new Deliverer({
    destination,
    store,
    clock,
    log,
    settings: config.delivery,
    holder: 'test-worker',
    deadline,
  });
}

/** One delivery row, as stored. */
export async function deliveryRow(store: Store, id: string) {
  return store.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
