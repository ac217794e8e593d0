import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FaultPlan } from './fault-plan.ts';
import { FixedWindowLimit } from './fixed-window-limit.ts';
import { runFlows, type RunFlow, type RunResult } from './klaviyo-flow-run.ts';
import { describeSchemaError, requestValidator } from './klaviyo-operations.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

/** The revision whose spec `contracts/klaviyo/` holds; older dated revisions are accepted too. */
const SPEC_REVISION = '2026-07-15';
const FIRST_REVISION = '2022-10-17';
const CONTRACTS = new URL('../../contracts/klaviyo/', import.meta.url);

/** Klaviyo's documented ingestion limits (rate limits and error handling page). */
const LIMITS = {
  bodyBytes: 5 * 1024 * 1024,
  properties: 300,
  stringBytes: 100 * 1024,
  arrayItems: 4000,
  depth: 10,
  bulkEvents: 1000,
};

/** `x-klaviyo-ratelimit` per endpoint in the spec. */
const RATE_LIMITS = {
  events: { perSecond: 350, perMinute: 3500 },
  bulk: { perSecond: 10, perMinute: 150 },
  deletion: { perSecond: 3, perMinute: 60 },
};

/** `x-klaviyo-ratelimit` of the reads `reclaim klaviyo check` makes (burst per second, steady per minute). */
const READ_LIMITS = {
  accounts: { perSecond: 1, perMinute: 15 },
  metrics: { perSecond: 10, perMinute: 150 },
  flows: { perSecond: 3, perMinute: 60 },
  events: { perSecond: 350, perMinute: 3500 },
  segments: { perSecond: 75, perMinute: 750 },
};

/**
 * `x-klaviyo-ratelimit` of the writes and reports `reclaim klaviyo setup`, `results` and the consent
 * sync make; `perDay` is the spec's daily cap, where it has one.
 */
const SETUP_LIMITS = {
  createFlow: { perSecond: 1, perMinute: 15, perDay: 100 },
  createSegment: { perSecond: 1, perMinute: 15, perDay: 100 },
  updateFlow: { perSecond: 3, perMinute: 60 },
  subscriptions: { perSecond: 75, perMinute: 750 },
  flowValues: { perSecond: 1, perMinute: 2, perDay: 225 },
};

/** The statistics a flow values report can return (`FlowValuesRequestDTO`). */
export type FlowStatistic =
  | 'recipients'
  | 'delivered'
  | 'opens'
  | 'opens_unique'
  | 'clicks'
  | 'clicks_unique'
  | 'conversions'
  | 'conversion_uniques'
  | 'conversion_value'
  | 'unsubscribes';

/** The stand-in's account, as `GET /api/accounts` answers it. */
const ACCOUNT = {
  id: 'XyZ123',
  organization: 'Northwind Demo (stand-in)',
  senderEmail: 'hello@northwind.example',
};

/** API requests kept in `requests` by default (the counts in `stats()` cover all of them). */
const KEPT_REQUESTS = 1000;

const IDENTIFIERS = ['id', 'email', 'phone_number', 'external_id', 'anonymous_id', '_kx'] as const;
const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An event the stand-in recorded (after deduplication), as a flow would see it. */
export interface RecordedKlaviyoEvent {
  id: string;
  profileId: string;
  metric: string;
  uniqueId: string;
  time: string;
  value?: number;
  valueCurrency?: string;
  properties: Record<string, unknown>;
  /** The identifiers the request carried. */
  profile: Record<string, unknown>;
  /** `native`: recorded by Klaviyo's own onsite script or Shopify integration (`trackNative`). */
  endpoint: 'events' | 'event-bulk-create-jobs' | 'native';
  /** Wall-clock time it was received. */
  receivedAt: number;
}

interface Profile {
  id: string;
  email?: string;
  phone_number?: string;
  external_id?: string;
  _kx?: string;
}

/** A metric as Klaviyo keeps it: created by the first event that names it. */
export interface StandInMetric {
  id: string;
  name: string;
  created: string;
}

/** A flow seeded by a test or created through `POST /api/flows`: its status and triggering metric. */
export interface StandInFlow {
  id: string;
  name: string;
  /** Klaviyo's flow statuses: `draft`, `manual` or `live`. */
  status: 'draft' | 'manual' | 'live';
  archived: boolean;
  /** The triggering metric's id (`trigger_type` `Metric`). */
  metricId: string;
  created: string;
  /** The encoded flow definition (`FlowDefinition`), with real action ids. */
  definition: Record<string, unknown>;
  /** Created through the API (by Reclaim), not seeded. */
  viaApi: boolean;
  /** When its status changed, by the stand-in's clock: which events could start it. */
  statusHistory: { at: number; status: StandInFlow['status'] }[];
}

/**
 * An event Klaviyo records without the private API: its onsite script (`Viewed Product`, `Added to
 * Cart`, `Started Checkout` of an identified browser) or its Shopify integration (`Placed Order`).
 */
export interface NativeKlaviyoEvent {
  metric: string;
  /** Event time, ISO 8601. */
  time: string;
  email?: string;
  phone_number?: string;
  /** Klaviyo records one event per profile, metric and `unique_id`. */
  uniqueId: string;
  value?: number;
  properties?: Record<string, unknown>;
}

/** A segment created through `POST /api/segments`. */
export interface StandInSegment {
  id: string;
  name: string;
  definition: unknown;
  created: string;
}

/** One profile's subscription change, as a bulk subscribe or unsubscribe job carried it. */
export interface StandInSubscription {
  channel: 'email' | 'sms';
  consent: 'SUBSCRIBED' | 'UNSUBSCRIBED';
  email?: string;
  phone_number?: string;
  /** `consented_at` as sent (subscribe jobs with `historical_import` only). */
  consentedAt?: string;
  customSource?: string;
  receivedAt: number;
}

export interface KlaviyoStandInOptions {
  /**
   * Private keys and their scopes; default: one key with every scope Reclaim uses. As in Klaviyo, where a
   * scope is granted at "Read" or "Full" access, `x:write` grants `x:read` too.
   */
  apiKeys?: Record<string, readonly string[]>;
  /** Enforce Klaviyo's per-account rate limits (default true). */
  rateLimits?: boolean;
  /** "Now" for event-time checks (the replay clock in replays); default the wall clock. */
  clock?: () => number;
  /** How many of the latest API requests `requests` keeps (default 1,000). */
  keptRequests?: number;
}

type JsonApiError = { status: number; code: string; title: string; detail: string; pointer?: string };

class KlaviyoError extends Error {
  constructor(readonly error: JsonApiError) {
    super(error.detail);
  }
}

const invalid = (detail: string, pointer = '/data') =>
  new KlaviyoError({ status: 400, code: 'invalid', title: 'Invalid input.', detail, pointer });

/**
 * A local Klaviyo that rejects what Klaviyo rejects: the `Authorization` and `revision` headers, bodies
 * validated against the published OpenAPI schemas (`EventCreateQueryV2`, `EventsBulkCreateJob`,
 * `DataPrivacyCreateDeletionJobQuery`) with unknown attributes refused, a profile identifier required,
 * E.164 phone numbers, time and size limits, per-account rate limits with 429 and `Retry-After`. It keeps
 * profiles (an email and a phone on two different profiles is a 409 `duplicate_profile`, as Klaviyo
 * answers) and records events once per profile, metric and `unique_id`. Tests, the demo and the scorer
 * read what it recorded. Its live flows run on those events (`klaviyo-flow-run.ts`), and its flow values
 * reports answer what they did.
 */
export class KlaviyoStandIn {
  static readonly DEFAULT_KEY = 'pk_reclaim_stand_in_key';
  /** Failures for the next event and deletion requests (POST). */
  readonly faults = new FaultPlan();
  /** Failures for the next reads (GET: accounts, metrics, flows, events), apart from the writes'. */
  readonly readFaults = new FaultPlan();
  readonly events: RecordedKlaviyoEvent[] = [];
  readonly deletions: { email?: string; phone_number?: string; id?: string; receivedAt: number }[] = [];
  /**
   * The latest write requests (POST): path, status, the JSON body it carried, and when it was answered
   * (wall clock). Reads are counted in `stats()` only.
   */
  readonly requests: { path: string; status: number; body: unknown; at: number }[] = [];
  /** Answers by path and status, over the stand-in's whole life. */
  readonly #answered = new Map<string, Record<number, number>>();
  /** Requests answered 429. */
  throttled = 0;
  /** Subscription changes, in the order the jobs carried them. */
  readonly subscriptions: StandInSubscription[] = [];
  /** Flow values report queries received (the API allows 2 a minute and 225 a day). */
  readonly reportQueries: unknown[] = [];
  readonly #segments: StandInSegment[] = [];
  readonly #setupLimits: SetupLimitState | undefined;
  /** Events received again (same profile, metric and `unique_id`) and not recorded twice. */
  duplicatesIgnored = 0;
  readonly #app: FastifyInstance;
  readonly #profiles = new Map<string, Profile>();
  readonly #byIdentifier = new Map<string, string>();
  readonly #recorded = new Set<string>();
  readonly #metrics = new Map<string, StandInMetric>();
  readonly #flows: StandInFlow[] = [];
  readonly #keys: ReadonlyMap<string, readonly string[]>;
  readonly #limits: Record<keyof typeof RATE_LIMITS, FixedWindowLimit> | undefined;
  readonly #readLimits: Record<keyof typeof READ_LIMITS, FixedWindowLimit> | undefined;
  readonly #clock: () => number;
  readonly #keptRequests: number;
  readonly #validate: { event: ValidateFunction; bulk: ValidateFunction; deletion: ValidateFunction };
  #url = '';

  constructor(options: KlaviyoStandInOptions = {}) {
    this.#keys = new Map(
      Object.entries(
        options.apiKeys ?? {
          [KlaviyoStandIn.DEFAULT_KEY]: [
            'accounts:read',
            'metrics:read',
            'flows:read',
            'events:write',
            'data-privacy:write',
            'profiles:write',
            'flows:write',
            'segments:write',
            'subscriptions:write',
            'lists:write',
          ],
        },
      ),
    );
    this.#clock = options.clock ?? Date.now;
    this.#keptRequests = options.keptRequests ?? KEPT_REQUESTS;
    this.#limits =
      options.rateLimits === false
        ? undefined
        : {
            events: new FixedWindowLimit(RATE_LIMITS.events.perSecond, RATE_LIMITS.events.perMinute),
            bulk: new FixedWindowLimit(RATE_LIMITS.bulk.perSecond, RATE_LIMITS.bulk.perMinute),
            deletion: new FixedWindowLimit(RATE_LIMITS.deletion.perSecond, RATE_LIMITS.deletion.perMinute),
          };
    this.#readLimits =
      options.rateLimits === false
        ? undefined
        : {
            accounts: new FixedWindowLimit(READ_LIMITS.accounts.perSecond, READ_LIMITS.accounts.perMinute),
            metrics: new FixedWindowLimit(READ_LIMITS.metrics.perSecond, READ_LIMITS.metrics.perMinute),
            flows: new FixedWindowLimit(READ_LIMITS.flows.perSecond, READ_LIMITS.flows.perMinute),
            events: new FixedWindowLimit(READ_LIMITS.events.perSecond, READ_LIMITS.events.perMinute),
            segments: new FixedWindowLimit(READ_LIMITS.segments.perSecond, READ_LIMITS.segments.perMinute),
          };
    this.#setupLimits =
      options.rateLimits === false
        ? undefined
        : (Object.fromEntries(
            Object.entries(SETUP_LIMITS).map(([k, l]) => [
              k,
              { window: new FixedWindowLimit(l.perSecond, l.perMinute), day: { day: -1, count: 0 } },
            ]),
          ) as SetupLimitState);
    this.#validate = compileSchemas();
    this.#app = Fastify({ bodyLimit: LIMITS.bodyBytes, forceCloseConnections: true });
    this.#app.addContentTypeParser(
      ['application/json', 'application/vnd.api+json'],
      { parseAs: 'string' },
      (_req, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(
            new KlaviyoError({
              status: 400,
              code: 'parse_error',
              title: 'Parse error.',
              detail: 'Malformed JSON.',
            }),
            undefined,
          );
        }
      },
    );
    this.#app.setErrorHandler((error, _req, reply) => {
      const e =
        error instanceof KlaviyoError
          ? error.error
          : (error as { statusCode?: number }).statusCode === 413
            ? {
                status: 413,
                code: 'request_too_large',
                title: 'Request too large.',
                detail: 'The payload exceeds 5 MB.',
              }
            : (error as { statusCode?: number }).statusCode === 415
              ? {
                  status: 415,
                  code: 'unsupported_media_type',
                  title: 'Unsupported media type.',
                  detail: 'Use application/vnd.api+json.',
                }
              : { status: 500, code: 'error', title: 'Server error.', detail: 'Unexpected error.' };
      void reply.status(e.status).send(errorBody(e));
    });
    this.#app.addHook('onResponse', (req, reply, done) => {
      const path = req.url.split('?')[0]!;
      if (path.startsWith('/api/')) {
        const statuses = this.#answered.get(path) ?? {};
        this.#answered.set(path, statuses);
        statuses[reply.statusCode] = (statuses[reply.statusCode] ?? 0) + 1;
        if (req.method === 'GET') return done();
        this.requests.push({ path, status: reply.statusCode, body: req.body, at: Date.now() });
        if (this.requests.length > this.#keptRequests) this.requests.shift();
      }
      done();
    });
    this.#app.get('/_stand-in/stats', () => this.stats());
    this.#app.get('/_stand-in/events', (req) => {
      const limit = Number((req.query as Record<string, string>).limit ?? 100);
      return { events: this.events.slice(-Math.max(1, Math.min(limit, 10_000))) };
    });
    this.#route('/api/events', 'events:write', 'events', (req) => this.#createEvent(req.body));
    this.#route('/api/event-bulk-create-jobs', 'events:write', 'bulk', (req) => this.#bulkCreate(req.body));
    this.#route('/api/data-privacy-deletion-jobs', 'data-privacy:write', 'deletion', (req) =>
      this.#deletion(req.body),
    );
    this.#read('/api/accounts', 'get_accounts', ['accounts:read'], 'accounts', () => ({
      data: [this.#account()],
      links: { self: `${this.#url}/api/accounts` },
    }));
    this.#read('/api/metrics', 'get_metrics', ['metrics:read'], 'metrics', () => ({
      data: [...this.#metrics.values()].map((m) => this.#metricResource(m)),
      links: { self: `${this.#url}/api/metrics` },
    }));
    this.#read(
      '/api/metrics/:id/flow-triggers',
      'get_flows_triggered_by_metric',
      ['flows:read', 'metrics:read'],
      'metrics',
      (req) => {
        const id = (req.params as { id: string }).id;
        if (![...this.#metrics.values()].some((m) => m.id === id))
          throw new KlaviyoError({
            status: 404,
            code: 'not_found',
            title: 'Not found.',
            detail: `A metric with id ${id} does not exist.`,
          });
        return {
          data: this.#flows.filter((f) => f.metricId === id).map((f) => this.#flowResource(f)),
          links: { self: `${this.#url}/api/metrics/${id}/flow-triggers` },
        };
      },
    );
    this.#read('/api/flows', 'get_flows', ['flows:read'], 'flows', (req) => {
      const query = req.query as Record<string, string>;
      const size = Number(query['page[size]'] ?? 50);
      const from = Number(query['page[cursor]'] ?? 0);
      const next = from + size < this.#flows.length ? from + size : undefined;
      return {
        data: this.#flows.slice(from, from + size).map((f) => this.#flowResource(f)),
        links: {
          self: `${this.#url}/api/flows`,
          ...(next !== undefined && {
            next: `${this.#url}/api/flows?page[size]=${size}&page[cursor]=${next}`,
          }),
        },
      };
    });
    this.#read('/api/flows/:id', 'get_flow', ['flows:read'], 'flows', (req) => {
      const flow = this.#flow((req.params as { id: string }).id);
      const withDefinition = String((req.query as Record<string, string>)['additional-fields[flow]'] ?? '')
        .split(',')
        .includes('definition');
      return {
        data: this.#flowResource(flow, withDefinition),
        links: { self: `${this.#url}/api/flows/${flow.id}` },
      };
    });
    this.#read('/api/segments', 'get_segments', ['segments:read'], 'segments', () => ({
      data: this.#segments.map((s) => this.#segmentResource(s)),
      links: { self: `${this.#url}/api/segments` },
    }));
    this.#write('/api/flows', 'create_flow', ['flows:write'], 'createFlow', 201, (body) =>
      this.#createFlow(body),
    );
    this.#write(
      '/api/flows/:id',
      'update_flow',
      ['flows:write'],
      'updateFlow',
      200,
      (body, params) => this.#updateFlow(body, params.id!),
      'patch',
    );
    this.#write('/api/segments', 'create_segment', ['segments:write'], 'createSegment', 201, (body) =>
      this.#createSegment(body),
    );
    this.#write(
      '/api/profile-subscription-bulk-create-jobs',
      'bulk_subscribe_profiles',
      ['subscriptions:write', 'profiles:write'],
      'subscriptions',
      202,
      (body) => this.#subscriptionJob(body, 'SUBSCRIBED'),
    );
    this.#write(
      '/api/profile-subscription-bulk-delete-jobs',
      'bulk_unsubscribe_profiles',
      ['subscriptions:write', 'profiles:write'],
      'subscriptions',
      202,
      (body) => this.#subscriptionJob(body, 'UNSUBSCRIBED'),
    );
    this.#write('/api/flow-values-reports', 'query_flow_values', ['flows:read'], 'flowValues', 200, (body) =>
      this.#flowValuesReport(body),
    );
    this.#read('/api/events', 'get_events', ['events:read'], 'events', (req) => {
      const size = Number((req.query as Record<string, string>)['page[size]'] ?? 20);
      return {
        data: this.events.slice(-size).map((e) => ({
          type: 'event',
          id: e.id,
          attributes: {
            timestamp: Math.floor(Date.parse(e.time) / 1000),
            event_properties: e.properties,
            datetime: e.time,
            uuid: e.id,
          },
          links: { self: `${this.#url}/api/events/${e.id}` },
        })),
        links: { self: `${this.#url}/api/events` },
      };
    });
  }

  /** The metrics of the account, by name: every metric an accepted event named, and seeded ones. */
  get metrics(): ReadonlyMap<string, StandInMetric> {
    return this.#metrics;
  }

  /** Adds a metric as if an event had named it (a no-op when it exists). */
  seedMetric(name: string): StandInMetric {
    const known = this.#metrics.get(name);
    if (known) return known;
    const metric = { id: shortId(), name, created: new Date(this.#clock()).toISOString() };
    this.#metrics.set(name, metric);
    return metric;
  }

  /**
   * Adds a flow triggered by the metric `metric` (created if the account lacks it). Without `actions`
   * it has a native abandonment flow's shape: wait 4 hours, an email, wait a day, a second email.
   */
  seedFlow(flow: {
    name: string;
    status: StandInFlow['status'];
    metric: string;
    archived?: boolean;
    actions?: Record<string, unknown>[];
    /** The flow filter (`profile_filter`); default none. */
    profileFilter?: Record<string, unknown> | null;
    reentryCriteria?: { duration: number; unit: string } | null;
    /** When it was created (and, when live, went live), ms; default the stand-in's clock. */
    created?: number;
  }) {
    const metricId = this.seedMetric(flow.metric).id;
    const status = flow.status;
    const created = flow.created ?? this.#clock();
    const actions = flow.actions ?? [
      { id: '9001', type: 'time-delay', links: { next: '9002' }, data: { unit: 'hours', value: 4 } },
      {
        id: '9002',
        type: 'send-email',
        links: { next: '9003' },
        data: {
          status,
          message: { subject_line: `${flow.name}: you left something`, template_id: 'TmPl01' },
        },
      },
      { id: '9003', type: 'time-delay', links: { next: '9004' }, data: { unit: 'days', value: 1 } },
      {
        id: '9004',
        type: 'send-email',
        links: { next: null },
        data: { status, message: { subject_line: `${flow.name}: still thinking?`, template_id: 'TmPl02' } },
      },
    ];
    const seeded: StandInFlow = {
      id: shortId(),
      name: flow.name,
      status,
      archived: flow.archived ?? false,
      metricId,
      created: new Date(created).toISOString(),
      definition: {
        triggers: [{ type: 'metric', id: metricId, trigger_filter: null }],
        profile_filter: flow.profileFilter ?? null,
        actions,
        entry_action_id: actions[0]?.id ?? null,
        reentry_criteria: flow.reentryCriteria ?? null,
      },
      viaApi: false,
      statusHistory: [{ at: created, status }],
    };
    this.#flows.push(seeded);
    return seeded;
  }

  /** Every flow in the account, seeded or created through the API. */
  get flows(): readonly StandInFlow[] {
    return this.#flows;
  }

  get segments(): readonly StandInSegment[] {
    return this.#segments;
  }

  /**
   * Records an event as Klaviyo's onsite script or Shopify integration would: not through the private
   * API (no key, no rate limit), to the profile of its email or phone (created if new), once per profile,
   * metric and `unique_id`. Live flows it triggers start from it as from any event.
   */
  trackNative(event: NativeKlaviyoEvent): void {
    const identifiers = {
      ...(event.email !== undefined && { email: event.email }),
      ...(event.phone_number !== undefined && { phone_number: event.phone_number }),
    };
    let profile: Profile;
    try {
      profile = this.#resolve(identifiers, undefined, '/profile');
    } catch (error) {
      if (!(error instanceof KlaviyoError) || error.error.code !== 'duplicate_profile') throw error;
      // Klaviyo's own integrations attach the event to the email's profile when the phone has another.
      profile = this.#resolve({ email: event.email }, undefined, '/profile');
    }
    this.#record(
      profile,
      {
        metric: { data: { attributes: { name: event.metric } } },
        profile: { data: { attributes: identifiers } },
        properties: event.properties ?? {},
        time: event.time,
        unique_id: event.uniqueId,
        ...(event.value !== undefined && { value: event.value }),
      },
      identifiers,
      'native',
    );
  }

  /**
   * The flows run over every event received so far (`klaviyo-flow-run.ts`): who entered which flow, the
   * first messages sent by the stand-in's clock, and the orders attributed to them.
   */
  flowRun(conversionMetric = 'Placed Order'): RunResult {
    const metricId = (name: string) => this.#metrics.get(name)?.id;
    const flows: RunFlow[] = this.#flows
      .filter((f) => !f.archived)
      .map((f) => ({ id: f.id, metricId: f.metricId, definition: f.definition, live: livePeriods(f) }));
    return runFlows({
      events: this.events.map((e) => ({
        profileId: e.profileId,
        metricId: metricId(e.metric)!,
        at: Date.parse(e.time),
        ...(e.value !== undefined && { value: e.value }),
        properties: e.properties,
      })),
      profiles: this.#profiles,
      flows,
      received: {
        ...(metricId('Received Email') && { email: metricId('Received Email') }),
        ...(metricId('Received SMS') && { sms: metricId('Received SMS') }),
      },
      conversionMetricId: metricId(conversionMetric) ?? conversionMetric,
      now: this.#clock(),
    });
  }

  /** Listens on a free loopback port. */
  async start(port = 0): Promise<string> {
    this.#url = await this.#app.listen({ port, host: '127.0.0.1' });
    return this.#url;
  }

  get url(): string {
    return this.#url;
  }

  async close(): Promise<void> {
    await this.#app.close();
  }

  /** What it took in, for a benchmark or an operator looking at it (`GET /_stand-in/stats`). */
  stats() {
    return {
      events: this.events.length,
      profiles: this.#profiles.size,
      deletions: this.deletions.length,
      throttled: this.throttled,
      duplicatesIgnored: this.duplicatesIgnored,
      requests: structuredClone(Object.fromEntries(this.#answered)),
    };
  }

  /** Recorded events of one trigger (its `unique_id`, and `<id>-sms` when it was split). */
  eventsFor(triggerId: string): RecordedKlaviyoEvent[] {
    return this.events.filter((e) => e.uniqueId === triggerId || e.uniqueId === `${triggerId}-sms`);
  }

  #route(
    path: string,
    scope: string,
    limit: keyof typeof RATE_LIMITS,
    handle: (req: FastifyRequest) => void,
  ): void {
    this.#app.post(path, (req, reply) => {
      const fault = this.faults.apply(req, reply, (status) => errorBody(faultError(status)));
      if (fault === 'answered') return reply;
      this.#authorize(req, scope);
      const window = this.#limits?.[limit].take();
      if (window && !window.ok) return this.#throttle(reply, window.retryAfterSeconds);
      handle(req);
      if (fault === 'silent') return reply;
      if (window?.ok) {
        void reply.headers({
          'ratelimit-limit': String(RATE_LIMITS[limit].perMinute),
          'ratelimit-remaining': String(window.remaining),
          'ratelimit-reset': String(window.resetSeconds),
        });
      }
      return reply.status(202).send();
    });
  }

  /** Klaviyo's 429, with the seconds until the window has room again. */
  #throttle(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
    this.throttled++;
    return reply
      .status(429)
      .header('retry-after', String(retryAfterSeconds))
      .send(
        errorBody({
          status: 429,
          code: 'throttled',
          title: 'Request was throttled.',
          detail: `Request was throttled. Expected available in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
        }),
      );
  }

  /**
   * A read endpoint: faults, the key and every scope the spec names, the query parameters the spec
   * declares for the operation (others refused), the endpoint's rate limit, then the answer.
   */
  #read(
    path: string,
    operationId: string,
    scopes: readonly string[],
    limit: keyof typeof READ_LIMITS,
    answer: (req: FastifyRequest) => unknown,
  ): void {
    const parameters = readParameters(operationId);
    this.#app.get(path, (req, reply) => {
      const fault = this.readFaults.apply(req, reply, (status) => errorBody(faultError(status)));
      if (fault) return reply;
      for (const scope of scopes) this.#authorize(req, scope);
      checkQuery(parameters, req.query as Record<string, unknown>);
      const window = this.#readLimits?.[limit].take();
      if (window && !window.ok) return this.#throttle(reply, window.retryAfterSeconds);
      return reply.status(200).header('content-type', 'application/vnd.api+json').send(answer(req));
    });
  }

  #account() {
    return {
      type: 'account',
      id: ACCOUNT.id,
      attributes: {
        test_account: false,
        contact_information: {
          default_sender_name: ACCOUNT.organization,
          default_sender_email: ACCOUNT.senderEmail,
          website_url: 'https://northwind.example',
          organization_name: ACCOUNT.organization,
          street_address: {
            address1: '1 Harbour Street',
            address2: null,
            city: 'Boston',
            region: 'MA',
            country: 'US',
            zip: '02110',
          },
        },
        industry: null,
        timezone: 'US/Eastern',
        preferred_currency: 'USD',
        public_api_key: 'AbC123',
        locale: 'en-US',
      },
      links: { self: `${this.#url}/api/accounts/${ACCOUNT.id}` },
    };
  }

  #metricResource(m: StandInMetric) {
    return {
      type: 'metric',
      id: m.id,
      attributes: {
        name: m.name,
        created: m.created,
        updated: m.created,
        integration: { object: 'integration', id: '0rG4eQ', key: 'api', name: 'API', category: 'API' },
      },
      relationships: {
        'flow-triggers': {
          links: {
            self: `${this.#url}/api/metrics/${m.id}/relationships/flow-triggers`,
            related: `${this.#url}/api/metrics/${m.id}/flow-triggers`,
          },
        },
      },
      links: { self: `${this.#url}/api/metrics/${m.id}` },
    };
  }

  #flowResource(f: StandInFlow, withDefinition = false) {
    return {
      type: 'flow',
      id: f.id,
      attributes: {
        name: f.name,
        status: f.status,
        archived: f.archived,
        created: f.created,
        updated: f.created,
        trigger_type: 'Metric',
        ...(withDefinition && { definition: structuredClone(f.definition) }),
      },
      links: { self: `${this.#url}/api/flows/${f.id}` },
    };
  }

  #segmentResource(s: StandInSegment) {
    return {
      type: 'segment',
      id: s.id,
      attributes: {
        name: s.name,
        definition: s.definition,
        created: s.created,
        updated: s.created,
        is_active: true,
        is_processing: false,
        is_starred: false,
      },
      links: { self: `${this.#url}/api/segments/${s.id}` },
    };
  }

  #flow(id: string): StandInFlow {
    const flow = this.#flows.find((f) => f.id === id);
    if (!flow)
      throw new KlaviyoError({
        status: 404,
        code: 'not_found',
        title: 'Not found.',
        detail: `A flow with id ${id} does not exist.`,
      });
    return flow;
  }

  /**
   * A write of the setup kind: faults, the key and every scope, the body against the operation's schema
   * in `stable.json`, the endpoint's rate limits (daily cap included), then the answer.
   */
  #write(
    path: string,
    operationId: string,
    scopes: readonly string[],
    limit: keyof typeof SETUP_LIMITS,
    status: number,
    handle: (body: unknown, params: Record<string, string>) => unknown,
    method: 'post' | 'patch' = 'post',
  ): void {
    // Compiled on the first request: most stand-ins never see a setup request, and the full spec
    // takes a second to load.
    let validate: ValidateFunction | undefined;
    this.#app[method](path, (req, reply) => {
      const fault = this.faults.apply(req, reply, (s) => errorBody(faultError(s)));
      if (fault === 'answered') return reply;
      for (const scope of scopes) this.#authorize(req, scope);
      const state = this.#setupLimits?.[limit];
      if (state) {
        const window = state.window.take();
        if (!window.ok) return this.#throttle(reply, window.retryAfterSeconds);
        const perDay = (SETUP_LIMITS[limit] as { perDay?: number }).perDay;
        const now = this.#clock();
        const day = Math.floor(now / 86_400_000);
        if (state.day.day !== day) state.day = { day, count: 0 };
        if (perDay !== undefined && state.day.count >= perDay)
          return this.#throttle(reply, Math.ceil(((day + 1) * 86_400_000 - now) / 1000));
        state.day.count++;
      }
      validate ??= requestValidator(operationId);
      if (!validate(req.body)) {
        const first = validate.errors![0]!;
        throw invalid(describeSchemaError(first), `/${first.instancePath.replace(/^\//, '')}`);
      }
      const answer = handle(req.body, req.params as Record<string, string>);
      if (fault === 'silent') return reply;
      return answer === undefined
        ? reply.status(status).send()
        : reply.status(status).header('content-type', 'application/vnd.api+json').send(answer);
    });
  }

  /** Flows created through the API: a metric trigger that exists, ids only as `temporary_id`, a draft. */
  #createFlow(body: unknown) {
    const attributes = (
      body as { data: { attributes: { name: string; definition: Record<string, unknown> } } }
    ).data.attributes;
    const definition = structuredClone(attributes.definition);
    const triggers = definition.triggers as { type: string; id?: string | null }[];
    if (triggers.length !== 1)
      throw invalid('Only one trigger is supported.', '/data/attributes/definition/triggers');
    const trigger = triggers[0]!;
    if (
      trigger.type !== 'metric' ||
      !trigger.id ||
      ![...this.#metrics.values()].some((m) => m.id === trigger.id)
    )
      throw invalid(`Metric ${String(trigger.id)} does not exist.`, '/data/attributes/definition/triggers/0');
    const actions = definition.actions as {
      id?: string | null;
      temporary_id?: string | null;
      type: string;
      links?: Record<string, string | null> | null;
      data?: { status?: string } | null;
    }[];
    const ids = new Map<string, string>();
    actions.forEach((a, i) => {
      if (a.id)
        throw invalid(
          'id is not allowed on create; use temporary_id.',
          `/data/attributes/definition/actions/${i}/id`,
        );
      if (!a.temporary_id)
        throw invalid('temporary_id is required on create.', `/data/attributes/definition/actions/${i}`);
      ids.set(a.temporary_id, String(10_000 + this.#flows.length * 100 + i));
    });
    const entry = definition.entry_action_id as string | null;
    if (!entry || !ids.has(entry))
      throw invalid('entry_action_id must name an action.', '/data/attributes/definition/entry_action_id');
    for (const a of actions) {
      for (const [k, v] of Object.entries(a.links ?? {}))
        if (v !== null) {
          const real = ids.get(v);
          if (!real) throw invalid(`Link ${k} names no action: ${v}.`, '/data/attributes/definition/actions');
          a.links![k] = real;
        }
      a.id = ids.get(a.temporary_id!)!;
      delete a.temporary_id;
    }
    definition.entry_action_id = ids.get(entry)!;
    const flow: StandInFlow = {
      id: shortId(),
      name: attributes.name,
      // Klaviyo creates every flow through the API as a draft, whatever its actions say.
      status: 'draft',
      archived: false,
      metricId: trigger.id,
      created: new Date(this.#clock()).toISOString(),
      definition,
      viaApi: true,
      statusHistory: [{ at: this.#clock(), status: 'draft' }],
    };
    this.#flows.push(flow);
    return { data: this.#flowResource(flow, true), links: { self: `${this.#url}/api/flows/${flow.id}` } };
  }

  /**
   * `PATCH /api/flows/{id}`: the status only, as the API allows ("Update the status of a flow … and all
   * actions in that flow"); the body's id must be the path's.
   */
  #updateFlow(body: unknown, id: string) {
    const data = (body as { data: { id: string; attributes: { status: string } } }).data;
    if (data.id !== id) throw invalid(`The id in the body must be ${id}.`, '/data/id');
    const status = data.attributes.status;
    if (status !== 'draft' && status !== 'manual' && status !== 'live')
      throw invalid(
        `'${status}' is not a valid flow status: draft, manual or live.`,
        '/data/attributes/status',
      );
    const flow = this.#flow(id);
    if (flow.archived) throw invalid('An archived flow cannot change status.', '/data/attributes/status');
    if (flow.status !== status) {
      flow.status = status;
      flow.statusHistory.push({ at: this.#clock(), status });
      for (const action of (flow.definition.actions ?? []) as { data?: { status?: string } | null }[])
        if (action.data && typeof action.data.status === 'string') action.data.status = status;
    }
    return { data: this.#flowResource(flow), links: { self: `${this.#url}/api/flows/${flow.id}` } };
  }

  #createSegment(body: unknown) {
    const attributes = (
      body as {
        data: {
          attributes: {
            name: string;
            definition: { condition_groups: { conditions: { metric_id?: string }[] }[] };
          };
        };
      }
    ).data.attributes;
    if (attributes.definition.condition_groups.length === 0)
      throw invalid('A segment needs at least one condition group.', '/data/attributes/definition');
    for (const group of attributes.definition.condition_groups)
      for (const c of group.conditions)
        if (c.metric_id !== undefined && ![...this.#metrics.values()].some((m) => m.id === c.metric_id))
          throw invalid(`Metric ${c.metric_id} does not exist.`, '/data/attributes/definition');
    const segment: StandInSegment = {
      id: shortId(),
      name: attributes.name,
      definition: attributes.definition,
      created: new Date(this.#clock()).toISOString(),
    };
    this.#segments.push(segment);
    return {
      data: this.#segmentResource(segment),
      links: { self: `${this.#url}/api/segments/${segment.id}` },
    };
  }

  /**
   * Bulk subscribe or unsubscribe: up to 1,000 profiles, an email or an E.164 phone each, and — as Klaviyo
   * refuses it otherwise — `consented_at` only in a `historical_import`, and never in the future.
   */
  #subscriptionJob(body: unknown, consent: StandInSubscription['consent']): undefined {
    const attributes = (
      body as {
        data: {
          attributes: {
            custom_source?: string | null;
            historical_import?: boolean | null;
            profiles: {
              data: {
                attributes: {
                  email?: string | null;
                  phone_number?: string | null;
                  subscriptions: Record<
                    string,
                    { marketing?: { consent: string; consented_at?: string | null } | null } | null
                  >;
                };
              }[];
            };
          };
        };
      }
    ).data.attributes;
    const profiles = attributes.profiles.data;
    if (profiles.length === 0 || profiles.length > 1000)
      throw invalid('A job takes 1 to 1000 profiles.', '/data/attributes/profiles/data');
    const planned: StandInSubscription[] = [];
    profiles.forEach((p, i) => {
      const pointer = `/data/attributes/profiles/data/${i}/attributes`;
      const { email, phone_number } = p.attributes;
      if (email != null && !EMAIL.test(email)) throw invalid('Invalid email address.', `${pointer}/email`);
      if (phone_number != null && !E164.test(phone_number))
        throw invalid(
          'Invalid phone number format (Example of a valid format: +12345678901)',
          `${pointer}/phone_number`,
        );
      for (const channel of ['email', 'sms'] as const) {
        const marketing = p.attributes.subscriptions[channel]?.marketing;
        if (!marketing) continue;
        if ((channel === 'email' ? email : phone_number) == null)
          throw invalid(
            `A ${channel} subscription needs the profile's ${channel === 'email' ? 'email' : 'phone_number'}.`,
            pointer,
          );
        const at = marketing.consented_at ?? undefined;
        if (at !== undefined) {
          if (!attributes.historical_import)
            throw invalid(
              'consented_at may only be given with historical_import.',
              `${pointer}/subscriptions/${channel}/marketing/consented_at`,
            );
          if (Date.parse(at) > this.#clock() + 60_000)
            throw invalid(
              'consented_at may not be in the future.',
              `${pointer}/subscriptions/${channel}/marketing/consented_at`,
            );
        }
        planned.push({
          channel,
          consent,
          ...(email != null && channel === 'email' && { email }),
          ...(phone_number != null && channel === 'sms' && { phone_number }),
          ...(at !== undefined && { consentedAt: at }),
          ...(attributes.custom_source != null && { customSource: attributes.custom_source }),
          receivedAt: Date.now(),
        });
      }
    });
    if (planned.length === 0) throw invalid('No subscription to change.', '/data/attributes/profiles');
    this.subscriptions.push(...planned);
    return undefined;
  }

  /**
   * Flow values from what the stand-in received (`flowRun`): per flow, under its first message,
   * recipients, opens and clicks of the messages sent in the timeframe, and the orders of the conversion
   * metric in the timeframe attributed to them. As Klaviyo: `group_by` must hold `flow_id` and
   * `flow_message_id`; the filter may be `equals(flow_id,"X")` or `contains-any(flow_id,["X","Y"])` (at
   * most 100); the timeframe at most a year; the conversion metric one the account has.
   */
  #flowValuesReport(body: unknown) {
    this.reportQueries.push(body);
    const attributes = (
      body as {
        data: {
          attributes: {
            statistics: FlowStatistic[];
            timeframe: { start?: string; end?: string; key?: string };
            conversion_metric_id: string;
            group_by?: string[] | null;
            filter?: string | null;
          };
        };
      }
    ).data.attributes;
    const conversion = [...this.#metrics.values()].find((m) => m.id === attributes.conversion_metric_id);
    if (!conversion)
      throw invalid(
        `Metric ${attributes.conversion_metric_id} does not exist.`,
        '/data/attributes/conversion_metric_id',
      );
    const { start, end, key } = attributes.timeframe;
    let from = Number.NEGATIVE_INFINITY;
    let to = Number.POSITIVE_INFINITY;
    if (start !== undefined && end !== undefined) {
      from = Date.parse(start);
      to = Date.parse(end);
      const span = to - from;
      if (!(span > 0) || span > 366 * 86_400_000)
        throw invalid(
          'The timeframe must end after it starts and span at most one year.',
          '/data/attributes/timeframe',
        );
    } else if (key !== undefined) {
      const days = /^last_(\d+)_days$/.exec(key)?.[1];
      if (days === undefined)
        throw invalid(`'${key}' is not a valid timeframe key.`, '/data/attributes/timeframe/key');
      to = this.#clock();
      from = to - Number(days) * 86_400_000;
    }
    const groupBy = attributes.group_by ?? ['flow_id', 'flow_message_id', 'send_channel'];
    if (!groupBy.includes('flow_id') || !groupBy.includes('flow_message_id'))
      throw invalid(
        'The following group by attributes are required: flow_message_id, flow_id.',
        '/data/attributes/group_by',
      );
    let ids = this.#flows.map((f) => f.id);
    if (attributes.filter) {
      const equals = /^equals\(flow_id,"([^"]+)"\)$/.exec(attributes.filter);
      const any = /^contains-any\(flow_id,\[((?:"[^"]+",?)+)\]\)$/.exec(attributes.filter);
      if (equals) ids = [equals[1]!];
      else if (any) ids = any[1]!.split(',').map((v) => v.replaceAll('"', ''));
      else throw invalid(`Invalid filter: ${attributes.filter}.`, '/data/attributes/filter');
      if (ids.length > 100) throw invalid('Max of 100 items per list filter.', '/data/attributes/filter');
    }
    const run = this.flowRun(conversion.name);
    const within = (at: number) => at >= from && at < to;
    const results = ids.flatMap((id) => {
      const flow = this.#flows.find((f) => f.id === id);
      if (!flow) return [];
      const messages = run.messages.filter((m) => m.flowId === id && within(m.at));
      const conversions = run.conversions.filter((c) => c.flowId === id && within(c.at));
      const value = Math.round(conversions.reduce((n, c) => n + c.value, 0) * 100) / 100;
      const figures: Record<FlowStatistic, number> = {
        recipients: messages.length,
        delivered: messages.length,
        opens: messages.filter((m) => m.opened).length,
        opens_unique: messages.filter((m) => m.opened).length,
        clicks: messages.filter((m) => m.clicked).length,
        clicks_unique: messages.filter((m) => m.clicked).length,
        conversions: conversions.length,
        conversion_uniques: new Set(conversions.map((c) => c.profileId)).size,
        conversion_value: value,
        unsubscribes: 0,
      };
      const message =
        messages[0]?.actionId ??
        (flow.definition.actions as { id?: string; type: string }[]).find((a) => a.type.startsWith('send-'))
          ?.id;
      const channel = messages[0]?.channel ?? 'email';
      return [
        {
          groupings: Object.fromEntries(
            groupBy.map((g) => [
              g,
              g === 'flow_id'
                ? id
                : g === 'flow_message_id'
                  ? (message ?? id)
                  : g === 'send_channel'
                    ? channel
                    : null,
            ]),
          ),
          statistics: Object.fromEntries(attributes.statistics.map((s) => [s, figures[s] ?? 0])),
        },
      ];
    });
    return {
      data: {
        type: 'flow-values-report',
        attributes: { results },
        relationships: { flows: { data: ids.map((id) => ({ type: 'flow', id })) } },
      },
      links: { self: `${this.#url}/api/flow-values-reports` },
    };
  }

  #authorize(req: FastifyRequest, scope: string): void {
    const auth = req.headers.authorization ?? '';
    const match = /^Klaviyo-API-Key (\S+)$/.exec(auth);
    const scopes = match ? this.#keys.get(match[1]!) : undefined;
    if (!scopes)
      throw new KlaviyoError({
        status: 401,
        code: 'not_authenticated',
        title: 'Authentication credentials were not provided.',
        detail: 'Missing or invalid private key.',
      });
    const [category, access] = scope.split(':');
    if (!scopes.includes(scope) && !(access === 'read' && scopes.includes(`${category}:write`)))
      throw new KlaviyoError({
        status: 403,
        code: 'permission_denied',
        title: 'You do not have permission to perform this action.',
        detail: `This API key is missing required scopes: ${scope}.`,
      });
    const revision = req.headers.revision;
    if (typeof revision !== 'string') throw invalid('The revision header is required.', undefined);
    const date = /^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$/.exec(revision)?.[1];
    if (!date || date < FIRST_REVISION || date > SPEC_REVISION || !Number.isFinite(Date.parse(date)))
      throw new KlaviyoError({
        status: 400,
        code: 'invalid_revision',
        title: 'Invalid revision.',
        detail: `"${revision}" is not a valid revision.`,
      });
  }

  #createEvent(body: unknown): void {
    check(this.#validate.event, body);
    const attributes = (body as { data: { attributes: EventAttributes } }).data.attributes;
    this.#checkEvent(attributes, '/data/attributes');
    const profile = attributes.profile.data;
    const found = this.#resolve(
      profile.attributes ?? {},
      profile.id ?? undefined,
      '/data/attributes/profile',
    );
    this.#record(found, attributes, profile.attributes ?? {}, 'events');
  }

  #bulkCreate(body: unknown): void {
    check(this.#validate.bulk, body);
    const entries = (body as BulkBody).data.attributes['events-bulk-create'].data;
    const total = entries.reduce((n, e) => n + e.attributes.events.data.length, 0);
    if (total > LIMITS.bulkEvents) throw invalid(`A bulk job accepts up to ${LIMITS.bulkEvents} events.`);
    const seen = new Set<string>();
    const planned: { profile: Profile; attributes: EventAttributes; sent: Record<string, unknown> }[] = [];
    entries.forEach((entry, i) => {
      const pointer = `/data/attributes/events-bulk-create/data/${i}/attributes`;
      const sent = entry.attributes.profile.data.attributes ?? {};
      const profile = this.#resolve(
        sent,
        entry.attributes.profile.data.id ?? undefined,
        `${pointer}/profile`,
      );
      entry.attributes.events.data.forEach((event, j) => {
        const attributes = event.attributes as EventAttributes;
        this.#checkEvent(attributes, `${pointer}/events/data/${j}/attributes`);
        const key = `${profile.id}|${attributes.metric.data.attributes.name}|${attributes.unique_id ?? ''}`;
        if (attributes.unique_id && seen.has(key))
          throw invalid(`unique_id ${attributes.unique_id} is repeated for the same profile and metric.`);
        seen.add(key);
        planned.push({ profile, attributes, sent });
      });
    });
    for (const p of planned) this.#record(p.profile, p.attributes, p.sent, 'event-bulk-create-jobs');
  }

  #deletion(body: unknown): void {
    check(this.#validate.deletion, body);
    const data = (
      body as {
        data: { attributes: { profile: { data: { id?: string; attributes: Record<string, string> } } } };
      }
    ).data.attributes.profile.data;
    const given = [
      ...(data.id ? ['id'] : []),
      ...(['email', 'phone_number'] as const).filter((k) => data.attributes[k] !== undefined),
    ];
    if (given.length !== 1)
      throw invalid('Exactly one of id, email or phone_number is required.', '/data/attributes/profile/data');
    if (data.attributes.phone_number !== undefined && !E164.test(data.attributes.phone_number))
      throw invalid('Invalid phone number format (Example of a valid format: +12345678901)');
    this.deletions.push({ ...data.attributes, ...(data.id && { id: data.id }), receivedAt: Date.now() });
    const key = data.id
      ? data.id
      : this.#byIdentifier.get(
          data.attributes.email
            ? `email:${data.attributes.email}`
            : `phone_number:${data.attributes.phone_number}`,
        );
    const profile = key ? this.#profiles.get(key) : undefined;
    if (profile) {
      for (const type of ['email', 'phone_number', 'external_id', '_kx'] as const)
        if (profile[type]) this.#byIdentifier.delete(`${type}:${profile[type]}`);
      this.#profiles.delete(profile.id);
    }
  }

  /** Rules the schema cannot say: an identifier, E.164, times, sizes. */
  #checkEvent(attributes: EventAttributes, pointer: string): void {
    if (attributes.metric.data.attributes.name.length >= 128)
      throw invalid('Metric name must be less than 128 characters.', `${pointer}/metric`);
    if (attributes.time !== undefined && attributes.time !== null) {
      const at = Date.parse(attributes.time);
      const now = this.#clock();
      if (at < Date.UTC(2000, 0, 1) || at > now + 365 * 86_400_000)
        throw invalid('Event time must be after 2000 and at most one year in the future.', `${pointer}/time`);
    }
    if (
      attributes.value_currency !== undefined &&
      attributes.value_currency !== null &&
      !/^[A-Z]{3}$/.test(attributes.value_currency)
    )
      throw invalid('value_currency must be an ISO 4217 currency code.', `${pointer}/value_currency`);
    const properties = attributes.properties;
    if (Object.keys(properties).length > LIMITS.properties)
      throw invalid(`An event may have at most ${LIMITS.properties} properties.`, `${pointer}/properties`);
    checkSizes(properties, `${pointer}/properties`, 1);
  }

  /** The profile the identifiers name, created if new; email and phone on two profiles is a conflict. */
  #resolve(attributes: Record<string, unknown>, id: string | undefined, pointer: string): Profile {
    if (!id && !IDENTIFIERS.some((k) => typeof attributes[k] === 'string' && attributes[k] !== ''))
      throw invalid('One or more identifiers is required.', `${pointer}/data/attributes`);
    const phone = attributes.phone_number;
    if (phone !== undefined && (typeof phone !== 'string' || !E164.test(phone)))
      throw invalid(
        'Invalid phone number format (Example of a valid format: +12345678901)',
        `${pointer}/data/attributes/phone_number`,
      );
    const email = attributes.email;
    if (email !== undefined && (typeof email !== 'string' || !EMAIL.test(email)))
      throw invalid('Invalid email address.', `${pointer}/data/attributes/email`);
    const owners = (['email', 'phone_number'] as const).flatMap((type) => {
      const value = attributes[type];
      const owner = typeof value === 'string' ? this.#byIdentifier.get(`${type}:${value}`) : undefined;
      return owner ? [owner] : [];
    });
    if (new Set(owners).size > 1)
      throw new KlaviyoError({
        status: 409,
        code: 'duplicate_profile',
        title: 'Conflict.',
        detail: 'A profile already exists with one of these identifiers.',
        pointer: `${pointer}/data/attributes`,
      });
    const lookup =
      (id ? this.#profiles.get(id) : undefined) ??
      (owners[0] ? this.#profiles.get(owners[0]) : undefined) ??
      (['external_id', '_kx'] as const)
        .map((type) => {
          const value = attributes[type];
          const owner = typeof value === 'string' ? this.#byIdentifier.get(`${type}:${value}`) : undefined;
          return owner ? this.#profiles.get(owner) : undefined;
        })
        .find((p) => p !== undefined);
    const profile = lookup ?? { id: `01${randomUUID().replaceAll('-', '').slice(0, 24).toUpperCase()}` };
    this.#profiles.set(profile.id, profile);
    for (const type of ['email', 'phone_number', 'external_id', '_kx'] as const) {
      const value = attributes[type];
      if (typeof value !== 'string' || profile[type] || this.#byIdentifier.has(`${type}:${value}`)) continue;
      profile[type] = value;
      this.#byIdentifier.set(`${type}:${value}`, profile.id);
    }
    return profile;
  }

  #record(
    profile: Profile,
    attributes: EventAttributes,
    sent: Record<string, unknown>,
    endpoint: RecordedKlaviyoEvent['endpoint'],
  ): void {
    const metric = attributes.metric.data.attributes.name;
    const time = attributes.time ?? new Date(this.#clock()).toISOString();
    const uniqueId = attributes.unique_id ?? time.slice(0, 19);
    const key = `${profile.id}|${metric}|${uniqueId}`;
    // Klaviyo: "If the unique_id is repeated for the same profile and metric, only the first processed
    // event will be recorded."
    if (this.#recorded.has(key)) {
      this.duplicatesIgnored++;
      return;
    }
    this.#recorded.add(key);
    this.seedMetric(metric);
    this.events.push({
      id: randomUUID(),
      profileId: profile.id,
      metric,
      uniqueId,
      time,
      ...(typeof attributes.value === 'number' && { value: attributes.value }),
      ...(typeof attributes.value_currency === 'string' && { valueCurrency: attributes.value_currency }),
      properties: attributes.properties,
      profile: sent,
      endpoint,
      receivedAt: Date.now(),
    });
  }
}

type SetupLimitState = Record<
  keyof typeof SETUP_LIMITS,
  { window: FixedWindowLimit; day: { day: number; count: number } }
>;

interface EventAttributes {
  properties: Record<string, unknown>;
  time?: string | null;
  value?: number | null;
  value_currency?: string | null;
  unique_id?: string | null;
  metric: { data: { attributes: { name: string } } };
  profile: { data: { id?: string | null; attributes?: Record<string, unknown> } };
}

interface BulkBody {
  data: {
    attributes: {
      'events-bulk-create': {
        data: {
          attributes: {
            profile: { data: { id?: string | null; attributes?: Record<string, unknown> } };
            events: { data: { attributes: unknown }[] };
          };
        }[];
      };
    };
  };
}

/** The periods a flow was live, from its status history. */
function livePeriods(flow: StandInFlow): { from: number; to: number }[] {
  const periods: { from: number; to: number }[] = [];
  for (const change of flow.statusHistory) {
    const open = periods.at(-1);
    if (change.status === 'live' && !(open && open.to === Number.POSITIVE_INFINITY))
      periods.push({ from: change.at, to: Number.POSITIVE_INFINITY });
    else if (change.status !== 'live' && open && open.to === Number.POSITIVE_INFINITY) open.to = change.at;
  }
  return periods;
}

/** Klaviyo's metric and flow ids are six letters and digits. */
function shortId(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(6), (b) => letters[b % letters.length]).join('');
}

interface QueryParameter {
  name: string;
  schema: { type?: string; items?: { enum?: string[] }; enum?: string[]; minimum?: number; maximum?: number };
}

let fullSpec: {
  paths: Record<string, Record<string, unknown>>;
  components: { parameters?: Record<string, unknown> };
};

/** The query parameters `stable.json` declares for one GET operation, by name. */
function readParameters(operationId: string): Map<string, QueryParameter> {
  fullSpec ??= JSON.parse(readFileSync(new URL('stable.json', CONTRACTS), 'utf8')) as typeof fullSpec;
  for (const item of Object.values(fullSpec.paths)) {
    const op = item.get as
      { operationId?: string; parameters?: (QueryParameter & { in?: string; $ref?: string })[] } | undefined;
    if (op?.operationId !== operationId) continue;
    const shared = new Map(Object.entries(fullSpec.components.parameters ?? {}));
    const resolved = (op.parameters ?? []).map((p) =>
      p.$ref ? (shared.get(p.$ref.split('/').pop()!) as typeof p) : p,
    );
    return new Map(resolved.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  }
  throw new Error(`operation ${operationId} is missing from contracts/klaviyo/stable.json`);
}

/** Query parameters against the operation's: known names, enum values of sparse fieldsets, integer bounds. */
function checkQuery(parameters: Map<string, QueryParameter>, query: Record<string, unknown>): void {
  for (const [name, raw] of Object.entries(query)) {
    const parameter = parameters.get(name);
    if (!parameter)
      throw new KlaviyoError({
        status: 400,
        code: 'invalid',
        title: 'Invalid input.',
        detail: `'${name}' is not a valid query parameter for this endpoint.`,
      });
    const value = String(raw);
    const { schema } = parameter;
    const bad = (detail: string) =>
      new KlaviyoError({ status: 400, code: 'invalid', title: 'Invalid input.', detail });
    if (schema.type === 'array' && schema.items?.enum) {
      const allowed = schema.items.enum;
      const unknown = value.split(',').find((v) => !allowed.includes(v));
      if (unknown !== undefined) throw bad(`'${unknown}' is not a valid choice for '${name}'.`);
    }
    if (schema.type === 'string' && schema.enum && !schema.enum.includes(value))
      throw bad(`'${value}' is not a valid choice for '${name}'.`);
    if (schema.type === 'integer') {
      const n = Number(value);
      if (
        !Number.isInteger(n) ||
        (schema.minimum !== undefined && n < schema.minimum) ||
        (schema.maximum !== undefined && n > schema.maximum)
      )
        throw bad(`'${name}' must be an integer from ${schema.minimum ?? 1} to ${schema.maximum ?? 'any'}.`);
    }
  }
}

function errorBody(e: JsonApiError) {
  return {
    errors: [
      {
        id: randomUUID(),
        status: e.status,
        code: e.code,
        title: e.title,
        detail: e.detail,
        source: e.pointer ? { pointer: e.pointer } : {},
        links: {},
        meta: {},
      },
    ],
  };
}

function faultError(status: number): JsonApiError {
  return status === 429
    ? {
        status,
        code: 'throttled',
        title: 'Request was throttled.',
        detail: 'Request was throttled. Expected available in 1 second.',
      }
    : status >= 500
      ? { status, code: 'error', title: 'A server error occurred.', detail: 'A server error occurred.' }
      : { status, code: 'error', title: 'Error.', detail: `HTTP ${status}` };
}

function check(validate: ValidateFunction, body: unknown): void {
  if (validate(body)) return;
  const first = validate.errors![0]!;
  throw invalid(describe(first), `/${first.instancePath.replace(/^\//, '')}`);
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties')
    return `'${(error.params as { additionalProperty: string }).additionalProperty}' is not a valid field for this resource.`;
  if (error.keyword === 'required')
    return `'${(error.params as { missingProperty: string }).missingProperty}' is a required field for the resource.`;
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}.`;
}

function checkSizes(value: unknown, pointer: string, depth: number): void {
  if (depth > LIMITS.depth) throw invalid(`Properties may nest at most ${LIMITS.depth} levels.`, pointer);
  if (typeof value === 'string') {
    if (Buffer.byteLength(value) > LIMITS.stringBytes)
      throw invalid('A string may not exceed 100 KB.', pointer);
  } else if (Array.isArray(value)) {
    if (value.length > LIMITS.arrayItems)
      throw invalid(`Arrays may hold at most ${LIMITS.arrayItems} items.`, pointer);
    value.forEach((v, i) => checkSizes(v, `${pointer}/${i}`, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkSizes(v, `${pointer}/${k}`, depth + 1);
  }
}

/**
 * The spec's schemas with unknown attributes refused: every object schema that lists its properties
 * gets `additionalProperties: false` (free-form objects such as event `properties` list none).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema as Record<string, unknown>)) {
    if (keyword === 'properties' && value && typeof value === 'object')
      copy[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, s]) => [name, strict(s)]),
      );
    else if (['items', 'allOf', 'oneOf', 'anyOf'].includes(keyword)) copy[keyword] = strict(value);
    else copy[keyword] = value;
  }
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined)
    copy.additionalProperties = false;
  // OpenAPI 3.0's `nullable` next to a `$ref` (no `type`): null or the referenced schema.
  if (copy.nullable !== undefined && copy.type === undefined) {
    const { nullable, $ref, ...rest } = copy;
    return nullable && $ref
      ? { ...rest, anyOf: [{ $ref }, { type: 'null' }] }
      : { ...rest, ...($ref ? { $ref } : {}) };
  }
  return copy;
}

/** `{ "$id": …, components: { schemas } }` for every spec slice, strict. */
function withSchemas(id: string, schemas: Record<string, unknown>) {
  return {
    $id: id,
    components: { schemas: Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, strict(s)])) },
  };
}

function compileSchemas() {
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const load = (file: string, id: string) => {
    const spec = JSON.parse(readFileSync(new URL(file, CONTRACTS), 'utf8')) as {
      components: { schemas: Record<string, unknown> };
    };
    ajv.addSchema(withSchemas(id, spec.components.schemas));
  };
  load('stable-events.json', 'events');
  load('stable-data_privacy.json', 'privacy');
  const get = (ref: string) => {
    const validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`schema ${ref} is missing from contracts/klaviyo`);
    return validate;
  };
  return {
    event: get('events#/components/schemas/EventCreateQueryV2'),
    bulk: get('events#/components/schemas/EventsBulkCreateJob'),
    deletion: get('privacy#/components/schemas/DataPrivacyCreateDeletionJobQuery'),
  };
}
