import { consentSignals } from '../consent/consent-signals.ts';
import { resolveJurisdiction } from '../consent/jurisdiction.ts';
import type { AbandonmentSend } from '../destinations/kit/destination.ts';
import { abandonment } from '../destinations/klaviyo/actions/abandonment.ts';
import type { TriggerBody } from '../journeys/firing.ts';
import type { JourneyStage } from '../journeys/journey.ts';
import type { KlaviyoApi } from './klaviyo-api.ts';

/**
 * The test profile's default address. `example.com` is reserved (RFC 2606) and receives no mail, so a live
 * flow's message to it reaches no one; `--email` names an inbox that should see the flow's message.
 */
export const TEST_EMAIL = 'reclaim-test@example.com';

/** The `unique_id` (and `reclaim_trigger_id`) prefix of test sends; real triggers never start with it. */
export const TEST_ID_PREFIX = 'reclaim-test:';

const STAGES: readonly JourneyStage[] = ['browse', 'cart', 'checkout'];

/** One test trigger as sent. */
export interface TestEventSent {
  stage: JourneyStage;
  metric: string;
  uniqueId: string;
  email: string;
}

/**
 * One trigger per stage, marked as a test (`reclaim_test: true`, `unique_id` `reclaim-test:{run}:{stage}`),
 * through the Klaviyo destination's own abandonment action: the metric, profile and properties are
 * built exactly as for a shopper's trigger. The same run id sends the same `unique_id`s, which Klaviyo
 * records once per profile and metric; a new run id sends new events.
 */
export async function sendTestEvents(
  api: KlaviyoApi,
  { email, runId, now, shop }: { email: string; runId: string; now: number; shop?: string },
): Promise<TestEventSent[]> {
  const sent: TestEventSent[] = [];
  for (const stage of STAGES) {
    const send: AbandonmentSend = {
      trigger: testTrigger(stage, runId, email, now, shop),
      email: { address: email, basis: 'consent', recordIds: [] },
      withheld: {},
      test: true,
    };
    await api.retrying(() =>
      abandonment.perform({ settings: api.settings, request: api.request, now }, send),
    );
    sent.push({ stage, metric: api.settings.metrics[stage], uniqueId: send.trigger.id, email });
  }
  return sent;
}

function testTrigger(
  stage: JourneyStage,
  runId: string,
  email: string,
  now: number,
  shop: string | undefined,
): TriggerBody {
  const jurisdiction = resolveJurisdiction([]);
  const item = {
    productId: 'reclaim-test-product',
    variantId: 'reclaim-test-variant',
    sku: 'RECLAIM-TEST',
    title: 'Reclaim test product',
    price: '10.00',
    quantity: 1,
  };
  return {
    id: `${TEST_ID_PREFIX}${runId}:${stage}`,
    journeyId: `${TEST_ID_PREFIX}${runId}`,
    profileId: `${TEST_ID_PREFIX}profile`,
    stage,
    dueAt: now,
    firedAt: now,
    items: [item],
    value: item.price,
    currency: 'USD',
    ...(shop && { shop, recoveryUrl: `https://${shop}/cart` }),
    recipient: {
      email: { value: email, reason: 'asserted_in_journey' },
      phone: { refused: 'none_known' },
    },
    decisions: {
      email: { allowed: true, basis: 'consent', recordIds: [] },
      sms: { allowed: false, reason: 'no_contact', recordIds: [] },
    },
    jurisdiction: { regime: jurisdiction.regime, signals: jurisdiction.signals },
    signals: consentSignals({ jurisdiction, recorded: {}, gpc: false }),
    native: { klaviyoLikelySaw: false, reason: 'klaviyo_script_not_seen' },
  };
}
