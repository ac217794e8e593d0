import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { FaultPlan } from './fault-plan.ts';

/** Meta's documented rules for server events (Conversions API "using the API" and parameter pages). */
const MAX_EVENTS = 1000;
const MAX_AGE_SECONDS = 7 * 86_400;
const DEDUP_WINDOW_SECONDS = 48 * 3_600;
const ACTION_SOURCES = new Set([
  'website',
  'app',
  'email',
  'phone_call',
  'chat',
  'physical_store',
  'system_generated',
  'business_messaging',
  'other',
]);
/** Contact fields Meta accepts only as lower-case hex SHA-256. */
const HASHED = ['em', 'ph', 'fn', 'ln', 'ct', 'st', 'zp', 'country', 'db', 'ge'] as const;
const SHA256 = /^[a-f0-9]{64}$/;
const USER_DATA_KEYS = new Set([
  ...HASHED,
  'external_id',
  'client_ip_address',
  'client_user_agent',
  'fbc',
  'fbp',
  'subscription_id',
  'fb_login_id',
  'lead_id',
]);

export interface RecordedMetaEvent {
  eventName: string;
  eventId?: string;
  eventTime: number;
  body: Record<string, unknown>;
  receivedAt: number;
}

export interface MetaStandInOptions {
  pixelId?: string;
  accessToken?: string;
  /** "Now" for the 7-day rule (the replay clock in replays); default the wall clock. */
  clock?: () => number;
}

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly subcode?: number,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new GraphError(400, 100, `Invalid parameter: ${message}`, 2804050);

/**
 * A local Conversions API endpoint (`POST /{version}/{pixel}/events`) that rejects what Meta rejects: a
 * wrong token (190) or dataset (100/33), more than 1,000 events, an event older than 7 days (the whole
 * request fails, as Meta does), unhashed contact fields, website events without user agent or source
 * URL, a purchase without value and currency. It keeps events once per `event_name` and `event_id`
 * within 48 hours, as Meta deduplicates.
 */
export class MetaStandIn {
  static readonly DEFAULT_PIXEL = '1234567890123';
  static readonly DEFAULT_TOKEN = 'EAAB-reclaim-stand-in-token';
  readonly faults = new FaultPlan();
  readonly events: RecordedMetaEvent[] = [];
  /** The latest 1,000 requests. */
  readonly requests: { path: string; status: number; body: unknown }[] = [];
  readonly #app: FastifyInstance;
  readonly #seen = new Map<string, number>();
  readonly #pixel: string;
  readonly #token: string;
  readonly #clock: () => number;
  #url = '';

  constructor(options: MetaStandInOptions = {}) {
    this.#pixel = options.pixelId ?? MetaStandIn.DEFAULT_PIXEL;
    this.#token = options.accessToken ?? MetaStandIn.DEFAULT_TOKEN;
    this.#clock = options.clock ?? Date.now;
    this.#app = Fastify({ bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });
    this.#app.setErrorHandler((error, _req, reply) => {
      const e = error instanceof GraphError ? error : new GraphError(400, 100, 'Invalid request body');
      void reply.status(e.status).send(graphError(e));
    });
    this.#app.addHook('onResponse', (req, reply, done) => {
      this.requests.push({ path: req.url.split('?')[0]!, status: reply.statusCode, body: req.body });
      if (this.requests.length > 1000) this.requests.shift();
      done();
    });
    this.#app.post<{ Params: { version: string; pixel: string } }>(
      '/:version/:pixel/events',
      (req, reply) => {
        const fault = this.faults.apply(req, reply, (status) => graphError(faultError(status)));
        if (fault === 'answered') return reply;
        const body = (req.body ?? {}) as Record<string, unknown>;
        const token = body.access_token ?? (req.query as Record<string, unknown>).access_token;
        if (token !== this.#token)
          throw new GraphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
        if (!/^v\d+\.\d+$/.test(req.params.version))
          throw new GraphError(400, 2635, 'Unknown Graph API version');
        if (req.params.pixel !== this.#pixel)
          throw new GraphError(
            400,
            100,
            `Unsupported post request. Object with ID '${req.params.pixel}' does not exist`,
            33,
          );
        const data = body.data;
        if (!Array.isArray(data) || data.length === 0) throw invalid('data must be a non-empty array');
        if (data.length > MAX_EVENTS) throw invalid(`at most ${MAX_EVENTS} events per request`);
        const now = Math.floor(this.#clock() / 1000);
        data.forEach((event, i) => checkEvent(event, i, now));
        for (const event of data as Record<string, unknown>[]) this.#record(event, now);
        if (fault === 'silent') return reply;
        return reply
          .status(200)
          .send({ events_received: data.length, messages: [], fbtrace_id: randomUUID() });
      },
    );
  }

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

  #record(event: Record<string, unknown>, now: number): void {
    const eventId = typeof event.event_id === 'string' ? event.event_id : undefined;
    if (eventId) {
      const key = `${String(event.event_name)}|${eventId}`;
      const first = this.#seen.get(key);
      if (first !== undefined && now - first <= DEDUP_WINDOW_SECONDS) return;
      this.#seen.set(key, now);
    }
    this.events.push({
      eventName: String(event.event_name),
      eventId,
      eventTime: Number(event.event_time),
      body: event,
      receivedAt: Date.now(),
    });
  }
}

function checkEvent(value: unknown, index: number, now: number): void {
  const at = `data[${index}]`;
  if (!value || typeof value !== 'object') throw invalid(`${at} must be an object`);
  const event = value as Record<string, unknown>;
  if (typeof event.event_name !== 'string' || event.event_name === '')
    throw invalid(`${at}.event_name is required`);
  if (!Number.isInteger(event.event_time)) throw invalid(`${at}.event_time must be a Unix time in seconds`);
  const time = event.event_time as number;
  if (time < now - MAX_AGE_SECONDS)
    throw new GraphError(
      400,
      100,
      `Invalid parameter: ${at}.event_time is more than 7 days in the past`,
      2804004,
    );
  if (time > now + 60) throw invalid(`${at}.event_time is in the future`);
  if (typeof event.action_source !== 'string' || !ACTION_SOURCES.has(event.action_source))
    throw invalid(`${at}.action_source must be one of ${[...ACTION_SOURCES].join(', ')}`);
  const user = event.user_data as Record<string, unknown> | undefined;
  if (!user || typeof user !== 'object' || Object.keys(user).length === 0)
    throw invalid(`${at}.user_data needs at least one customer information parameter`);
  for (const key of Object.keys(user))
    if (!USER_DATA_KEYS.has(key)) throw invalid(`${at}.user_data.${key} is not a parameter`);
  for (const key of HASHED) {
    const field = user[key];
    if (field === undefined) continue;
    const values = Array.isArray(field) ? field : [field];
    if (values.some((v) => typeof v !== 'string' || !SHA256.test(v)))
      throw invalid(
        `${at}.user_data.${key} must be SHA-256 hashed (unhashed contact information is not accepted)`,
      );
  }
  if (event.action_source === 'website') {
    if (typeof user.client_user_agent !== 'string' || user.client_user_agent === '')
      throw invalid(`${at}.user_data.client_user_agent is required for website events`);
    if (typeof event.event_source_url !== 'string' || !/^https?:\/\//.test(event.event_source_url))
      throw invalid(`${at}.event_source_url is required for website events`);
  }
  const custom = (event.custom_data ?? {}) as Record<string, unknown>;
  if (custom.value !== undefined && (typeof custom.value !== 'number' || custom.value < 0))
    throw invalid(`${at}.custom_data.value must be a number of at least 0`);
  if (
    custom.currency !== undefined &&
    (typeof custom.currency !== 'string' || !/^[A-Za-z]{3}$/.test(custom.currency))
  )
    throw invalid(`${at}.custom_data.currency must be an ISO 4217 code`);
  if (event.event_name === 'Purchase' && (custom.value === undefined || custom.currency === undefined))
    throw invalid(`${at}: a Purchase needs custom_data.value and custom_data.currency`);
  const dpo = event.data_processing_options;
  if (dpo !== undefined) {
    if (!Array.isArray(dpo) || dpo.some((o) => o !== 'LDU'))
      throw invalid(`${at}.data_processing_options must be [] or ["LDU"]`);
    if (
      dpo.length > 0 &&
      (!Number.isInteger(event.data_processing_options_country) ||
        !Number.isInteger(event.data_processing_options_state))
    )
      throw invalid(`${at}: LDU needs data_processing_options_country and data_processing_options_state`);
  }
}

/** What the Graph API says with each status: the error code is what tells the cases apart. */
function faultError(status: number): GraphError {
  const codes: Record<number, [number, string]> = {
    400: [100, 'Invalid parameter'],
    401: [190, 'Error validating access token: Session has expired'],
    403: [10, 'Application does not have permission for this action'],
    404: [803, 'Some of the aliases you requested do not exist'],
    408: [1, 'Request timed out'],
    429: [4, 'Application request limit reached'],
  };
  const [code, message] = codes[status] ?? [
    2,
    'An unexpected error has occurred. Please retry your request later.',
  ];
  return new GraphError(status, code, message);
}

function graphError(e: GraphError) {
  return {
    error: {
      message: e.message,
      type: e.code === 190 ? 'OAuthException' : 'GraphMethodException',
      code: e.code,
      ...(e.subcode !== undefined && { error_subcode: e.subcode }),
      fbtrace_id: randomUUID(),
    },
  };
}
