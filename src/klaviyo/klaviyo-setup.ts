import { STAGES, type JourneyStage } from '../journeys/journey.ts';
import { KlaviyoApiError, type KlaviyoApi, type KlaviyoFailureKind } from './klaviyo-api.ts';
import {
  besideOf,
  listAll,
  metricIds,
  NATIVE_METRICS,
  PLACED_ORDER,
  RECEIVED_EMAIL,
  RECEIVED_SMS,
  reclaimFlowName,
  reclaimSegmentName,
  type KlaviyoResource,
} from './klaviyo-resources.ts';

/**
 * Action types the flows API can create (`FlowDefinition.actions`). A native flow with any other action
 * (Klaviyo labels those "unsupported" when it reads the definition) cannot be copied through the API.
 */
const CREATABLE_ACTIONS = new Set([
  'time-delay',
  'send-email',
  'send-sms',
  'send-mobile-push',
  'send-whatsapp',
  'send-webhook',
  'send-internal-alert',
  'conditional-split',
  'trigger-split',
  'multi-branch-split',
  'ab-test',
  'content-experiment',
  'update-profile',
  'list-update',
  'target-date',
  'back-in-stock-delay',
  'action-output-split',
]);

/**
 * How far back the "the native flow reached this profile" filter looks, in days: a native abandonment
 * flow's messages go out within a day or two of its trigger, and Reclaim's trigger follows the same
 * abandonment within hours.
 */
const NATIVE_REACH_DAYS = 2;
/** How far back the Reclaim-only segments look, in days. */
const SEGMENT_DAYS = 30;

export interface SetupOptions {
  /** Native flows to set up beside; none: every flow the native abandonment metrics trigger. */
  flowIds?: readonly string[];
}

/** One object setup found or created. */
export interface SetupObject {
  kind: 'flow' | 'segment';
  id: string;
  name: string;
  stage: JourneyStage;
  /** The native flow it sits beside. */
  beside: string;
}

/** What `reclaim klaviyo setup` did and what is left to a person. */
export interface SetupReport {
  ok: boolean;
  /** The native flows it worked from, with their stage. */
  native: { id: string; name: string; status: string | null; stage: JourneyStage }[];
  created: SetupObject[];
  /** Objects an earlier run created, left as they are. */
  existing: SetupObject[];
  /** What the marketer must look at before setting a draft live. */
  review: string[];
  /** What the API cannot do, as steps in Klaviyo's editor. */
  manual: string[];
  /** Native flows that could not be set up, one line each (the others were). */
  problems: string[];
  /** The Klaviyo failure that stopped the run, when one did; what was created before it is listed. */
  failure: { kind: KlaviyoFailureKind; message: string } | null;
}

interface NativeFlow {
  id: string;
  name: string;
  status: string | null;
  stage: JourneyStage;
  definition: Record<string, unknown> | null;
}

/**
 * Creates, beside each native abandonment flow, a Reclaim flow (a draft: Klaviyo creates flows through
 * the API as drafts, and setup never changes a flow's status) with the native flow's messages and timing,
 * triggered by the Reclaim metric of the same stage and filtered so nobody gets both sequences, and a
 * segment of the profiles only the Reclaim flow reached. Reads before it writes and recognises its own
 * objects by name, so a rerun creates nothing and a run stopped half way is finished by the next.
 */
export async function setupKlaviyo(api: KlaviyoApi, options: SetupOptions = {}): Promise<SetupReport> {
  const report: SetupReport = {
    ok: false,
    native: [],
    created: [],
    existing: [],
    review: [],
    manual: [],
    problems: [],
    failure: null,
  };
  try {
    await run(api, options, report);
  } catch (error) {
    if (!(error instanceof KlaviyoApiError)) throw error;
    report.failure = { kind: error.kind, message: failureMessage(error, report) };
  }
  report.ok = report.failure === null && report.problems.length === 0;
  return report;
}

async function run(api: KlaviyoApi, options: SetupOptions, report: SetupReport): Promise<void> {
  const metrics = await needing('metrics:read', 'read the metrics', () => metricIds(api));
  const natives = await nativeFlows(api, metrics, options, report);
  report.native = natives.map(({ id, name, status, stage }) => ({ id, name, status, stage }));
  if (natives.length === 0) {
    if (report.problems.length === 0)
      report.problems.push(
        `no native abandonment flow found (none triggered by ${Object.values(NATIVE_METRICS).join(', ')}); name one with --flow ID, or build the Reclaim flow by hand (docs/klaviyo.md, step 3)`,
      );
    return;
  }
  const flows = new Map<string, KlaviyoResource>();
  for (const f of await needing('flows:read', 'read the flows', () =>
    listAll(api, '/api/flows?page[size]=50'),
  )) {
    const beside = besideOf(f.attributes.name);
    if (beside && f.attributes.archived !== true) flows.set(beside, f);
  }
  const segments = new Map<string, KlaviyoResource>();
  for (const s of await needing('segments:read', 'read the segments', () => listAll(api, '/api/segments'))) {
    const beside = besideOf(s.attributes.name);
    if (beside) segments.set(beside, s);
  }
  const placedOrder = metrics.get(PLACED_ORDER);
  const receivedEmail = metrics.get(RECEIVED_EMAIL);
  const receivedSms = metrics.get(RECEIVED_SMS);
  if (!placedOrder)
    report.manual.push(
      `the account has no "${PLACED_ORDER}" metric yet (Shopify integration not connected?): add the flow filter "Placed Order zero times since starting this flow" to each Reclaim flow by hand`,
    );
  if (!receivedEmail)
    report.manual.push(
      `the account has no "${RECEIVED_EMAIL}" metric yet (no email sent): the filter "Received Email zero times in the last ${NATIVE_REACH_DAYS} days where Flow equals <native flow>" and the Reclaim-only segments need it; run setup again after the first send`,
    );

  for (const native of natives) {
    const metricName = api.settings.metrics[native.stage];
    const metric = metrics.get(metricName);
    if (!metric) {
      report.problems.push(
        `no metric "${metricName}" in the account yet, so "${native.name}" has no Reclaim flow: run reclaim klaviyo test-event, then setup again`,
      );
      continue;
    }
    const known = flows.get(native.id);
    let reclaimFlow: { id: string; name: string };
    if (known) {
      reclaimFlow = { id: known.id, name: String(known.attributes.name) };
      report.existing.push({ kind: 'flow', ...reclaimFlow, stage: native.stage, beside: native.id });
    } else {
      const copy = native.definition && copyActions(native.definition);
      if (!copy || 'unsupported' in copy) {
        report.problems.push(
          `"${native.name}" cannot be copied through the API (${copy ? `action types ${copy.unsupported.join(', ')}` : 'Klaviyo returned no definition'}): clone it in Klaviyo's editor and follow docs/klaviyo.md step 3`,
        );
        continue;
      }
      const name = reclaimFlowName(native);
      const definition = {
        triggers: [{ type: 'metric', id: metric, trigger_filter: triggerFilter(metric) }],
        profile_filter: profileFilter(native, {
          placedOrder,
          receivedEmail,
          receivedSms,
          sendsSms: copy.sendsSms,
        }),
        actions: copy.actions,
        entry_action_id: copy.entry,
        reentry_criteria: native.definition!.reentry_criteria ?? null,
      };
      const body = (await needing('flows:write', 'create flows', () =>
        api.post(
          '/api/flows',
          { data: { type: 'flow', attributes: { name, definition } } },
          { retryUnreachable: false },
        ),
      )) as { data?: { id?: unknown } } | undefined;
      const id = typeof body?.data?.id === 'string' ? body.data.id : '(unknown id)';
      reclaimFlow = { id, name };
      report.created.push({ kind: 'flow', id, name, stage: native.stage, beside: native.id });
      if (copy.firstDelay)
        report.review.push(
          `"${name}": its first wait (${copy.firstDelay}) is the native flow's; Reclaim already waited for inactivity before triggering (RECLAIM_${native.stage.toUpperCase()}_AFTER): shorten or remove it`,
        );
      report.review.push(
        `"${name}": the messages use the native flow's templates; where they read "${NATIVE_METRICS[native.stage]}" properties, read event.items, event.recovery_url and event|lookup:'$value' instead`,
      );
    }
    report.manual.push(
      `in the native flow "${native.name}" add the flow filter "Received Email zero times in the last ${NATIVE_REACH_DAYS} days where Flow equals ${reclaimFlow.name}" (and Received SMS likewise): setup never edits a live flow`,
    );
    report.review.push(
      `"${reclaimFlow.name}" is a draft: when its messages are reviewed, set it Live in Klaviyo (setup never activates a flow)`,
    );

    const segmentName = reclaimSegmentName(native);
    const knownSegment = segments.get(native.id);
    if (knownSegment) {
      report.existing.push({
        kind: 'segment',
        id: knownSegment.id,
        name: String(knownSegment.attributes.name),
        stage: native.stage,
        beside: native.id,
      });
    } else if (receivedEmail && reclaimFlow.id !== '(unknown id)') {
      const body = (await needing('segments:write', 'create segments', () =>
        api.post(
          '/api/segments',
          {
            data: {
              type: 'segment',
              attributes: {
                name: segmentName,
                definition: reclaimOnly(receivedEmail, reclaimFlow.id, native.id),
              },
            },
          },
          { retryUnreachable: false },
        ),
      )) as { data?: { id?: unknown } } | undefined;
      const id = typeof body?.data?.id === 'string' ? body.data.id : '(unknown id)';
      report.created.push({ kind: 'segment', id, name: segmentName, stage: native.stage, beside: native.id });
    }
  }
}

/** The native flows: those named, or those the native abandonment metrics trigger. */
async function nativeFlows(
  api: KlaviyoApi,
  metrics: Map<string, string>,
  options: SetupOptions,
  report: SetupReport,
): Promise<NativeFlow[]> {
  const stageOfMetric = new Map<string, JourneyStage>();
  for (const stage of STAGES) {
    const id = metrics.get(NATIVE_METRICS[stage]);
    if (id) stageOfMetric.set(id, stage);
  }
  let ids: string[];
  if (options.flowIds?.length) ids = [...options.flowIds];
  else {
    ids = [];
    for (const [metric] of stageOfMetric)
      for (const f of await listAll(api, `/api/metrics/${metric}/flow-triggers`))
        if (f.attributes.archived !== true && !besideOf(f.attributes.name)) ids.push(f.id);
  }
  const natives: NativeFlow[] = [];
  for (const id of new Set(ids)) {
    let flow: KlaviyoResource;
    try {
      flow = (
        (await api.get(`/api/flows/${encodeURIComponent(id)}?additional-fields[flow]=definition`)) as {
          data: KlaviyoResource;
        }
      ).data;
    } catch (error) {
      if (error instanceof KlaviyoApiError && error.kind === 'refused') {
        report.problems.push(`no flow ${id} in the account (${error.message})`);
        continue;
      }
      throw error;
    }
    const name = typeof flow.attributes.name === 'string' ? flow.attributes.name : id;
    if (besideOf(name)) {
      report.problems.push(`"${name}" is a Reclaim flow; name the native flow it sits beside`);
      continue;
    }
    const definition = (flow.attributes.definition ?? null) as Record<string, unknown> | null;
    const trigger = (definition?.triggers as { type?: string; id?: string }[] | undefined)?.[0];
    const stage = (trigger?.id && stageOfMetric.get(trigger.id)) || stageFromName(name);
    if (!stage) {
      report.problems.push(
        `"${name}" is triggered by neither ${Object.values(NATIVE_METRICS).join(', ')} nor named after a stage (browse, cart, checkout): set it up by hand (docs/klaviyo.md, step 3)`,
      );
      continue;
    }
    natives.push({
      id: flow.id,
      name,
      status: typeof flow.attributes.status === 'string' ? flow.attributes.status : null,
      stage,
      definition,
    });
  }
  return natives;
}

function stageFromName(name: string): JourneyStage | undefined {
  if (/checkout/i.test(name)) return 'checkout';
  if (/cart/i.test(name)) return 'cart';
  if (/brows|viewed/i.test(name)) return 'browse';
  return undefined;
}

/** Both conditions must hold (groups are ANDed): Klaviyo probably missed it, and it is not a test. */
function triggerFilter(metric: string) {
  return {
    condition_groups: [
      {
        conditions: [
          {
            type: 'metric-property',
            metric_id: metric,
            field: 'native_flow_likely',
            filter: { type: 'boolean', operator: 'equals', value: false },
          },
        ],
      },
      {
        conditions: [
          {
            type: 'metric-property',
            metric_id: metric,
            field: 'reclaim_test',
            filter: { type: 'existence', operator: 'not-set' },
          },
        ],
      },
    ],
  };
}

/**
 * The native flow's own profile filter, plus: placed no order since entering this flow, and not reached
 * by the native flow (email, and SMS when the flow sends texts) in the last days.
 */
function profileFilter(
  native: NativeFlow,
  m: { placedOrder?: string; receivedEmail?: string; receivedSms?: string; sendsSms: boolean },
) {
  const own = (native.definition?.profile_filter as { condition_groups?: unknown[] } | null | undefined)
    ?.condition_groups;
  const groups: unknown[] = [...(own ?? [])];
  if (m.placedOrder)
    groups.push({
      conditions: [
        {
          type: 'profile-metric',
          metric_id: m.placedOrder,
          measurement: 'count',
          measurement_filter: { type: 'numeric', operator: 'equals', value: 0 },
          timeframe_filter: { type: 'date', operator: 'flow-start' },
        },
      ],
    });
  for (const received of [m.receivedEmail, m.sendsSms ? m.receivedSms : undefined])
    if (received)
      groups.push({
        conditions: [
          {
            type: 'profile-metric',
            metric_id: received,
            measurement: 'count',
            measurement_filter: { type: 'numeric', operator: 'equals', value: 0 },
            timeframe_filter: {
              type: 'date',
              operator: 'in-the-last',
              unit: 'day',
              quantity: NATIVE_REACH_DAYS,
            },
            metric_filters: [
              { property: '$flow', filter: { type: 'string', operator: 'equals', value: native.id } },
            ],
          },
        ],
      });
  return groups.length ? { condition_groups: groups } : null;
}

/** Received an email from the Reclaim flow and none from the native flow, in the last 30 days. */
function reclaimOnly(receivedEmail: string, reclaimFlow: string, nativeFlow: string) {
  const received = (flow: string, operator: string, value: number) => ({
    conditions: [
      {
        type: 'profile-metric',
        metric_id: receivedEmail,
        measurement: 'count',
        measurement_filter: { type: 'numeric', operator, value },
        timeframe_filter: { type: 'date', operator: 'in-the-last', unit: 'day', quantity: SEGMENT_DAYS },
        metric_filters: [{ property: '$flow', filter: { type: 'string', operator: 'equals', value: flow } }],
      },
    ],
  });
  return { condition_groups: [received(reclaimFlow, 'greater-than', 0), received(nativeFlow, 'equals', 0)] };
}

/**
 * The native flow's actions as a create request takes them: each real `id` becomes a `temporary_id` (and
 * every link follows), each message and action starts as a draft, and what Klaviyo does not take on
 * create (message ids, experiment state) is left out.
 */
function copyActions(
  definition: Record<string, unknown>,
):
  | { actions: unknown[]; entry: string; firstDelay: string | undefined; sendsSms: boolean }
  | { unsupported: string[] } {
  const actions = (definition.actions ?? []) as Record<string, unknown>[];
  const unsupported = [
    ...new Set(actions.map((a) => String(a.type)).filter((t) => !CREATABLE_ACTIONS.has(t))),
  ];
  if (unsupported.length || actions.length === 0)
    return { unsupported: unsupported.length ? unsupported : ['none'] };
  const temp = (id: unknown) => `reclaim-${String(id)}`;
  const copied = actions.map((a) => {
    const { id, links, data, ...rest } = a;
    return {
      ...rest,
      temporary_id: temp(id),
      ...(links && typeof links === 'object'
        ? {
            links: Object.fromEntries(
              Object.entries(links as Record<string, unknown>).map(([k, v]) => [
                k,
                v === null ? null : temp(v),
              ]),
            ),
          }
        : {}),
      ...(data !== undefined ? { data: asDraft(data) } : {}),
    };
  });
  const entryAction = actions.find((a) => a.id === definition.entry_action_id);
  const delay =
    entryAction?.type === 'time-delay' ? (entryAction.data as { unit?: string; value?: number }) : undefined;
  return {
    actions: copied,
    entry: temp(definition.entry_action_id),
    firstDelay: delay ? `${delay.value} ${delay.unit ?? 'days'}` : undefined,
    sendsSms: actions.some((a) => a.type === 'send-sms'),
  };
}

const NOT_ON_CREATE = new Set(['experiment_status', 'id']);

function asDraft(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => asDraft(v));
  if (!value || typeof value !== 'object')
    return key === 'status' && (value === 'live' || value === 'manual') ? 'draft' : value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !NOT_ON_CREATE.has(k))
      .map(([k, v]) => [k, asDraft(v, k)]),
  );
}

/** Runs a call whose 403 means the key lacks `scope`, and says so. */
async function needing<T>(scope: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KlaviyoApiError && error.kind === 'missing_scope')
      throw new KlaviyoApiError(
        'missing_scope',
        `the key lacks ${scope}, so setup cannot ${what} (Klaviyo answered 403); add it to the key, or create a key with the scopes docs/klaviyo.md lists`,
        error.code,
      );
    throw error;
  }
}

function failureMessage(error: KlaviyoApiError, report: SetupReport): string {
  const scope = error.message;
  const done = report.created.length
    ? `; created before it stopped: ${report.created.map((c) => `${c.kind} "${c.name}" (${c.id})`).join(', ')}`
    : '; nothing was created';
  return `${scope}${done}; run reclaim klaviyo setup again to finish: it recognises what exists`;
}
