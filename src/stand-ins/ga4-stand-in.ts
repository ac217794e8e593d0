import Fastify, { type FastifyInstance } from 'fastify';
import { FaultPlan } from './fault-plan.ts';

/** The Measurement Protocol's documented limits ("Sending events", "Validating events"). */
const MAX_EVENTS = 25;
const MAX_PARAMS = 25;
const MAX_BODY = 130 * 1024;
const MAX_AGE_MICROS = 72 * 3_600 * 1_000_000;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const RESERVED = /^(_|firebase_|ga_|google_)/;
const RESERVED_EVENTS = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_query',
  'adunit_exposure',
  'app_clear_data',
  'app_install',
  'app_update',
  'app_remove',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'user_engagement',
]);

export interface ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: string;
}

export interface RecordedGa4Event {
  clientId: string;
  name: string;
  params: Record<string, unknown>;
  consent?: Record<string, unknown>;
  timestampMicros?: number;
  receivedAt: number;
}

export interface Ga4StandInOptions {
  measurementId?: string;
  apiSecret?: string;
  /** "Now" for the 72-hour rule (the replay clock in replays); default the wall clock. */
  clock?: () => number;
}

/**
 * A local Measurement Protocol. Like Google's, `/mp/collect` answers 2xx to anything it receives and
 * silently drops what is invalid (a wrong secret, a malformed event); the stand-in keeps the validation
 * messages `/debug/mp/collect` would have given in `invalid`, so tests can insist there are none.
 */
export class Ga4StandIn {
  static readonly DEFAULT_MEASUREMENT_ID = 'G-RECLAIM01';
  static readonly DEFAULT_SECRET = 'reclaim-stand-in-secret';
  readonly faults = new FaultPlan();
  readonly events: RecordedGa4Event[] = [];
  readonly invalid: { body: unknown; messages: ValidationMessage[] }[] = [];
  /** The latest 1,000 requests. */
  readonly requests: { path: string; status: number; body: unknown }[] = [];
  readonly #app: FastifyInstance;
  readonly #clock: () => number;
  #url = '';

  constructor(private readonly options: Ga4StandInOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#app = Fastify({ bodyLimit: 1024 * 1024, forceCloseConnections: true });
    this.#app.addHook('onResponse', (req, reply, done) => {
      this.requests.push({ path: req.url.split('?')[0]!, status: reply.statusCode, body: req.body });
      if (this.requests.length > 1000) this.requests.shift();
      done();
    });
    this.#app.post('/mp/collect', (req, reply) => {
      const fault = this.faults.apply(req, reply, () => '');
      if (fault === 'answered') return reply;
      const messages = this.validate(
        req.query as Record<string, string>,
        req.body,
        req.headers['content-length'],
      );
      if (messages.length > 0) this.invalid.push({ body: req.body, messages });
      else this.#record(req.body as Body);
      if (fault === 'silent') return reply;
      return reply.status(204).send();
    });
    this.#app.post('/debug/mp/collect', (req, reply) =>
      reply.send({
        validationMessages: this.validate(
          req.query as Record<string, string>,
          req.body,
          req.headers['content-length'],
          false,
        ),
      }),
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

  /** The validation server's messages for a request (empty when valid). */
  validate(
    query: Record<string, string>,
    body: unknown,
    contentLength: string | undefined,
    checkCredentials = true,
  ): ValidationMessage[] {
    const out: ValidationMessage[] = [];
    const add = (fieldPath: string, description: string, validationCode: string) =>
      out.push({ fieldPath, description, validationCode });
    if (checkCredentials) {
      if (query.measurement_id !== (this.options.measurementId ?? Ga4StandIn.DEFAULT_MEASUREMENT_ID))
        add('measurement_id', 'Unknown measurement_id.', 'VALUE_INVALID');
      if (query.api_secret !== (this.options.apiSecret ?? Ga4StandIn.DEFAULT_SECRET))
        add('api_secret', 'Unknown api_secret.', 'VALUE_INVALID');
    }
    if (Number(contentLength ?? 0) >= MAX_BODY)
      add('', 'Post body must be smaller than 130kB.', 'VALUE_OUT_OF_BOUNDS');
    const b = (body ?? {}) as Body;
    if (typeof b.client_id !== 'string' || b.client_id === '')
      add('client_id', 'client_id is required.', 'VALUE_REQUIRED');
    if (b.timestamp_micros !== undefined) {
      const now = this.#clock() * 1000;
      if (
        typeof b.timestamp_micros !== 'number' ||
        b.timestamp_micros < now - MAX_AGE_MICROS ||
        b.timestamp_micros > now + 60_000_000
      )
        add('timestamp_micros', 'Timestamp must be within the last 72 hours.', 'VALUE_OUT_OF_BOUNDS');
    }
    for (const field of ['ad_user_data', 'ad_personalization'] as const) {
      const value = b.consent?.[field];
      if (value !== undefined && value !== 'GRANTED' && value !== 'DENIED')
        add(`consent.${field}`, `${field} must be GRANTED or DENIED.`, 'VALUE_INVALID');
    }
    if (!Array.isArray(b.events) || b.events.length === 0)
      add('events', 'At least one event is required.', 'VALUE_REQUIRED');
    else if (b.events.length > MAX_EVENTS)
      add('events', `At most ${MAX_EVENTS} events per request.`, 'EXCEEDED_MAX_ENTITIES');
    (Array.isArray(b.events) ? b.events : []).forEach((event, i) => {
      const path = `events[${i}]`;
      if (typeof event.name !== 'string' || !NAME.test(event.name))
        add(
          `${path}.name`,
          `Event at index: [${i}] has invalid name [${String(event.name)}].`,
          'NAME_INVALID',
        );
      else if (RESERVED.test(event.name) || RESERVED_EVENTS.has(event.name))
        add(`${path}.name`, `Event at index: [${i}] has reserved name [${event.name}].`, 'NAME_RESERVED');
      const params = Object.entries(event.params ?? {});
      if (params.length > MAX_PARAMS)
        add(`${path}.params`, `At most ${MAX_PARAMS} params.`, 'EXCEEDED_MAX_ENTITIES');
      for (const [name, value] of params) {
        if (name === 'items') continue;
        if (!NAME.test(name) || RESERVED.test(name))
          add(`${path}.params.${name}`, `Param name [${name}] is invalid.`, 'NAME_INVALID');
        if (typeof value === 'string' && value.length > 100)
          add(`${path}.params.${name}`, 'Param values may be at most 100 characters.', 'VALUE_OUT_OF_BOUNDS');
      }
    });
    return out;
  }

  #record(body: Body): void {
    for (const event of body.events ?? [])
      this.events.push({
        clientId: body.client_id!,
        name: event.name,
        params: event.params ?? {},
        consent: body.consent,
        timestampMicros: body.timestamp_micros,
        receivedAt: Date.now(),
      });
  }
}

interface Body {
  client_id?: string;
  timestamp_micros?: number;
  consent?: Record<string, unknown>;
  events?: { name: string; params?: Record<string, unknown> }[];
}
