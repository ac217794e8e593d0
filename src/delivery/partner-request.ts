import { DeliveryError, misconfigured, payloadInvalid, retryable, throttled } from './delivery-errors.ts';

export interface PartnerRequestInit {
  method?: 'GET' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  /** Serialised as the JSON body. */
  json?: unknown;
}

/** A partner's answer, read in full. */
export interface PartnerResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

/**
 * How destinations call their partner: one HTTP request, answered with the response on 2xx and a
 * classified `DeliveryError` otherwise. Timeouts, user agent and error classes live here, once.
 */
export type PartnerRequest = (url: string, init?: PartnerRequestInit) => Promise<PartnerResponse>;

/** A destination's reading of a partner error, where the status alone does not say enough. */
export type ErrorClassifier = (response: PartnerResponse) => DeliveryError | undefined;

export interface PartnerRequestOptions {
  /** Per request (ms). */
  timeout: number;
  userAgent: string;
  classify?: ErrorClassifier;
  /** For tests and benchmarks only; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * For tests only: the signal that gives up on a request after `timeout` ms; defaults to
   * `AbortSignal.timeout`. A test aborts it itself once the partner has taken the request and gone
   * silent, so the timeout path runs without racing a short timer on a busy machine.
   */
  deadline?: (timeout: number) => AbortSignal;
  /** Told of every answer (its status, or `network` when none came) and how long it took, in seconds. */
  observe?: (status: number | 'network', seconds: number) => void;
}

/** Builds the `request` a destination's actions receive. */
export function createPartnerRequest(options: PartnerRequestOptions): PartnerRequest {
  const doFetch = options.fetch ?? fetch;
  const deadline = options.deadline ?? ((timeout: number) => AbortSignal.timeout(timeout));
  return async (url, init = {}) => {
    let response: Response;
    let text: string;
    const started = performance.now();
    try {
      response = await doFetch(url, {
        method: init.method ?? 'POST',
        headers: {
          'user-agent': options.userAgent,
          ...(init.json !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
        signal: deadline(options.timeout),
      });
      text = await response.text();
    } catch (error) {
      options.observe?.('network', (performance.now() - started) / 1000);
      throw networkError(error, options.timeout);
    }
    options.observe?.(response.status, (performance.now() - started) / 1000);
    const answer: PartnerResponse = {
      status: response.status,
      headers: response.headers,
      text,
      body: parseJson(text),
    };
    if (response.status >= 200 && response.status < 300) return answer;
    throw options.classify?.(answer) ?? classifyStatus(answer);
  };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The decision HTTP semantics give when the partner says nothing more specific. */
export function classifyStatus(response: PartnerResponse): DeliveryError {
  const { status } = response;
  const message = `HTTP ${status}: ${partnerErrorSummary(response)}`;
  if (status === 429)
    return throttled(message, { status, retryAfter: retryAfterMs(response.headers.get('retry-after')) });
  if (status === 408 || status >= 500) return retryable(message, { status });
  // A wrong key, a missing scope, or an endpoint that is not there (a wrong base URL or account id):
  // nothing this request can change, everything the operator can.
  if (status === 401 || status === 403 || status === 404) return misconfigured(message, { status });
  return payloadInvalid(message, { status });
}

/** A partner's code or field path, kept only when it is a bare token: never free text. */
const TOKEN = /^[\w./:-]{1,80}$/;
const token = (value: unknown): string | undefined =>
  (typeof value === 'string' || typeof value === 'number') && TOKEN.test(String(value))
    ? String(value)
    : undefined;

/**
 * What a partner's error body says, in its codes and field paths only. Partners echo the request in their
 * error text ("'Ana Dias, 12 Rua…' is not a valid address"), so no free text of theirs — `detail`, `title`,
 * `message` — is ever stored or logged. JSON:API (Klaviyo): `code` and `source.pointer` of the first error;
 * Graph API (Meta): `type`, `code` and `error_subcode`.
 */
export function partnerErrorSummary(response: PartnerResponse): string {
  const body = response.body as
    | {
        errors?: { code?: unknown; source?: { pointer?: unknown; parameter?: unknown } }[];
        error?: { type?: unknown; code?: unknown; error_subcode?: unknown };
      }
    | undefined;
  const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  const graph = body?.error;
  const parts = [
    ['code', token(first?.code ?? graph?.code)],
    ['type', token(graph?.type)],
    ['subcode', token(graph?.error_subcode)],
    ['at', token(first?.source?.pointer ?? first?.source?.parameter)],
  ].flatMap(([name, value]) => (value === undefined ? [] : [`${name} ${value}`]));
  if (parts.length > 0) return parts.join(', ');
  return response.text.length === 0 ? 'no body' : `a ${response.text.length}-byte body, not shown`;
}

/** `Retry-After` as milliseconds: seconds or an HTTP date (RFC 9110 §10.2.3); 1 s when absent. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === '') return 1_000;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : 1_000;
}

function networkError(error: unknown, timeout: number): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return retryable(`no answer within ${timeout} ms`, { code: 'timeout' });
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code ?? 'network_error';
  // DNS failures, refused and reset connections: the partner (or the path to it) is down for now.
  return retryable(`connection failed (${code})`, { code });
}
