import { KLAVIYO_REVISION } from '../destinations/klaviyo/settings.ts';
import type { JourneyStage } from '../journeys/journey.ts';
import { KlaviyoApiError, type KlaviyoApi, type KlaviyoFailureKind } from './klaviyo-api.ts';

/**
 * A scope Reclaim uses, and how the check learns whether the key has it. Klaviyo has no endpoint that
 * lists a key's scopes; each scope is granted at "Read" or "Full" access, so a harmless read answers for
 * the read half (403 = neither read nor write) and only a write shows write access.
 */
interface ScopeProbe {
  scope: string;
  /** The read that answers for it (the spec's `x-klaviyo-scopes` of that operation); none: no read exists. */
  probe?: string;
  /** What Reclaim cannot do without it. */
  disables: string;
  /** What to do while the read cannot prove it. */
  unverified?: string;
  /**
   * Needed only by a setup command (`setup`), not by sending triggers: missing, it is a hint, not a
   * problem, so `check` and the start-up check still pass for a key made only for sending.
   */
  optional?: boolean;
}

/** The order is the order of the calls: the account first, so a bad key is one call. */
const PROBES: readonly ScopeProbe[] = [
  {
    scope: 'accounts:read',
    probe: '/api/accounts',
    disables: 'check cannot name the Klaviyo account the key belongs to',
  },
  {
    scope: 'events:write',
    probe: '/api/events?page[size]=1',
    disables:
      'no abandonment trigger reaches Klaviyo: the Klaviyo destination pauses and triggers wait in the queue',
    unverified: 'read access answered; write access shows only by writing: run reclaim klaviyo test-event',
  },
  {
    scope: 'metrics:read',
    probe: '/api/metrics',
    disables: 'check cannot list the Reclaim metrics in the account',
  },
  {
    scope: 'flows:read',
    probe: '/api/flows?page[size]=1',
    disables:
      'check cannot list the flows the Reclaim metrics trigger, nor whether they are live; setup cannot read the native flows; results cannot read the flow reports',
  },
  {
    scope: 'flows:write',
    probe: '/api/flows?page[size]=1',
    disables: 'reclaim klaviyo setup cannot create the Reclaim flows beside the native ones',
    unverified: 'read access answered; Full access shows when reclaim klaviyo setup creates a flow',
    optional: true,
  },
  {
    scope: 'segments:write',
    probe: '/api/segments?page[size]=1',
    disables: 'reclaim klaviyo setup cannot create the Reclaim-only segments',
    unverified: 'read access answered; Full access shows when reclaim klaviyo setup creates a segment',
    optional: true,
  },
  {
    scope: 'subscriptions:write',
    disables:
      'SMS and email opt-ins are not carried to Klaviyo (RECLAIM_KLAVIYO_SYNC_SMS_CONSENT / _EMAIL_CONSENT): the subscription deliveries pause the destination',
    unverified: 'Klaviyo offers no harmless read for it; it shows on the first subscription carried',
    optional: true,
  },
  {
    scope: 'data-privacy:write',
    disables:
      'erasing a shopper in Reclaim does not delete them in Klaviyo (the deletion request pauses the destination)',
    unverified: 'Klaviyo offers no harmless read for it; it shows on the first erasure',
  },
];

/** What the check knows of one scope. */
export interface ScopeCheck {
  scope: string;
  /**
   * `granted`: the read answered. `missing`: Klaviyo answered 403. `unverified`: no read can tell (a
   * write scope whose read half answered, or one without any read). `unknown`: not asked (an earlier
   * failure stopped the check).
   */
  state: 'granted' | 'missing' | 'unverified' | 'unknown';
  /** The read that answered for it, when there is one. */
  probe: string | null;
  disables: string;
  /** Why it is unverified, and how to verify it. */
  note?: string;
}

export interface FlowSummary {
  id: string;
  name: string | null;
  /** Klaviyo's flow status: `draft`, `manual` or `live`. */
  status: string | null;
  archived: boolean;
}

/** One Reclaim metric: whether the account has it yet, and the flows it triggers. */
export interface MetricCheck {
  stage: JourneyStage;
  name: string;
  /** Klaviyo's metric id; null until the first event of that name arrives. */
  id: string | null;
  /** Flows triggered by the metric; null when they could not be read (no such metric, or no flows:read). */
  flows: FlowSummary[] | null;
}

/** What `reclaim klaviyo check` and `GET /admin/v1/klaviyo/check` show. */
export interface KlaviyoCheck {
  /** No problem found (hints do not count). */
  ok: boolean;
  revision: string;
  baseUrl: string | null;
  /** Whether Klaviyo answered as a working key; when not, why. */
  api: { ok: true } | { ok: false; kind: KlaviyoFailureKind | 'not_configured'; message: string };
  account: { id: string; name: string | null; testAccount: boolean | null } | null;
  scopes: ScopeCheck[];
  /** Null when the metrics could not be listed. */
  metrics: MetricCheck[] | null;
  /** One line each; any makes `ok` false (`reclaim klaviyo check` exits 1). */
  problems: string[];
  /** Setup not finished yet (no metric, no flow, no live flow): one line each, not failures. */
  hints: string[];
}

const STAGES: readonly JourneyStage[] = ['browse', 'cart', 'checkout'];
/** Pages of `GET /api/metrics` followed at most (each holds up to 200 metrics). */
const MAX_METRIC_PAGES = 50;

/**
 * Asks Klaviyo what Reclaim's key can do, which Reclaim metrics exist and which flows they trigger. Each
 * read is harmless. A failure that ends the check (bad key, Klaviyo unreachable or throttling) is part of
 * the answer (`api`), not an exception.
 */
export async function checkKlaviyo(api: KlaviyoApi | undefined): Promise<KlaviyoCheck> {
  const base = { revision: KLAVIYO_REVISION, baseUrl: api?.settings.baseUrl ?? null };
  if (!api)
    return {
      ok: false,
      ...base,
      api: {
        ok: false,
        kind: 'not_configured',
        message: 'KLAVIYO_API_KEY is not set: Reclaim sends nothing to Klaviyo',
      },
      account: null,
      scopes: PROBES.map((p) => scopeCheck(p, 'unknown')),
      metrics: null,
      problems: ['KLAVIYO_API_KEY is not set: Reclaim sends nothing to Klaviyo'],
      hints: [],
    };

  const answers = new Map<string, unknown>();
  const scopes: ScopeCheck[] = [];
  let failure: KlaviyoApiError | undefined;
  // Two scopes share a read (flows:read and the read half of flows:write): it is asked once.
  const asked = new Map<string, { answer: unknown } | 'missing'>();
  for (const probe of PROBES) {
    if (failure || !probe.probe) {
      scopes.push(scopeCheck(probe, failure ? 'unknown' : 'unverified'));
      continue;
    }
    try {
      let known = asked.get(probe.probe);
      if (!known) {
        known = await api.get(probe.probe).then(
          (answer) => ({ answer }),
          (error: unknown) => {
            if (error instanceof KlaviyoApiError && error.kind === 'missing_scope') return 'missing' as const;
            throw error;
          },
        );
        asked.set(probe.probe, known);
      }
      if (known === 'missing') {
        scopes.push(scopeCheck(probe, 'missing'));
        continue;
      }
      answers.set(probe.scope, known.answer);
      scopes.push(scopeCheck(probe, probe.unverified ? 'unverified' : 'granted'));
    } catch (error) {
      if (!(error instanceof KlaviyoApiError)) throw error;
      if (error.kind === 'missing_scope') scopes.push(scopeCheck(probe, 'missing'));
      else {
        failure = error;
        scopes.push(scopeCheck(probe, 'unknown'));
      }
    }
  }

  let metrics: MetricCheck[] | null = null;
  if (!failure && answers.has('metrics:read')) {
    try {
      metrics = await reclaimMetrics(api, answers.get('metrics:read'), granted(scopes, 'flows:read'));
    } catch (error) {
      if (!(error instanceof KlaviyoApiError)) throw error;
      failure = error;
    }
  }

  const problems: string[] = [];
  const hints: string[] = [];
  if (failure) problems.push(failure.message);
  for (const s of scopes)
    if (s.state === 'missing')
      (PROBES.find((p) => p.scope === s.scope)?.optional ? hints : problems).push(
        `the key lacks ${s.scope}: ${s.disables}; create a key with it (docs/klaviyo.md)`,
      );
  for (const m of metrics ?? []) {
    if (m.id === null)
      hints.push(
        `no metric "${m.name}" yet: it appears with its first event (run reclaim klaviyo test-event)`,
      );
    else if (m.flows && m.flows.length === 0)
      hints.push(`no flow is triggered by "${m.name}": build one (docs/klaviyo.md)`);
    else if (m.flows && !m.flows.some(isLive))
      hints.push(`no live flow is triggered by "${m.name}": its events are recorded but send nothing`);
  }
  return {
    ok: problems.length === 0,
    ...base,
    api: failure ? { ok: false, kind: failure.kind, message: failure.message } : { ok: true },
    account: account(answers.get('accounts:read')),
    scopes,
    metrics,
    problems,
    hints,
  };
}

/** A flow that sends: live and not archived. */
export const isLive = (flow: FlowSummary) => flow.status === 'live' && !flow.archived;

function scopeCheck(probe: ScopeProbe, state: ScopeCheck['state']): ScopeCheck {
  return {
    scope: probe.scope,
    state,
    probe: probe.probe ? `GET ${probe.probe}` : null,
    disables: probe.disables,
    ...(state === 'unverified' && probe.unverified ? { note: probe.unverified } : {}),
  };
}

const granted = (scopes: ScopeCheck[], scope: string) =>
  scopes.some((s) => s.scope === scope && s.state === 'granted');

interface Resource {
  id?: unknown;
  attributes?: Record<string, unknown>;
}
interface Collection {
  data?: Resource[];
  links?: { next?: unknown };
}

function account(body: unknown): KlaviyoCheck['account'] {
  const first = (body as Collection | undefined)?.data?.[0];
  if (typeof first?.id !== 'string') return null;
  const contact = first.attributes?.contact_information as { organization_name?: unknown } | undefined;
  const test = first.attributes?.test_account;
  return {
    id: first.id,
    name: typeof contact?.organization_name === 'string' ? contact.organization_name : null,
    testAccount: typeof test === 'boolean' ? test : null,
  };
}

/**
 * The configured Reclaim metrics among the account's metrics (`GET /api/metrics` cannot filter by name,
 * so every page is read), and for each one found the flows it triggers
 * (`GET /api/metrics/{id}/flow-triggers`, which needs flows:read too).
 */
async function reclaimMetrics(
  api: KlaviyoApi,
  firstPage: unknown,
  canReadFlows: boolean,
): Promise<MetricCheck[]> {
  const wanted = new Map(STAGES.map((stage) => [api.settings.metrics[stage], stage]));
  const found = new Map<string, string>();
  let page = firstPage as Collection | undefined;
  for (let n = 1; page; n++) {
    for (const metric of page.data ?? []) {
      const name = metric.attributes?.name;
      if (typeof name === 'string' && typeof metric.id === 'string' && wanted.has(name))
        found.set(name, metric.id);
    }
    const next = page.links?.next;
    // Only Klaviyo's own origin gets the key.
    if (typeof next !== 'string' || !next.startsWith(`${api.settings.baseUrl}/`) || n >= MAX_METRIC_PAGES)
      break;
    page = (await api.get(next)) as Collection | undefined;
  }
  const result: MetricCheck[] = [];
  for (const stage of STAGES) {
    const name = api.settings.metrics[stage];
    const id = found.get(name) ?? null;
    let flows: FlowSummary[] | null = null;
    if (id !== null && canReadFlows) {
      const body = (await api.get(`/api/metrics/${encodeURIComponent(id)}/flow-triggers`)) as
        Collection | undefined;
      flows = (body?.data ?? []).flatMap((flow) =>
        typeof flow.id === 'string' ? [flowSummary(flow.id, flow.attributes ?? {})] : [],
      );
    }
    result.push({ stage, name, id, flows });
  }
  return result;
}

function flowSummary(id: string, attributes: Record<string, unknown>): FlowSummary {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    id,
    name: text(attributes.name),
    status: text(attributes.status),
    archived: attributes.archived === true,
  };
}
