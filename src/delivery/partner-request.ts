import { DeliveryError, misconfigured, payloadInvalid, retryable, throttled } from './delivery-errors.ts';

export interface PartnerRequestInit {
  method?: 'GET' | 'POST';
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
}

/** Builds the `request` a destination's actions receive. */
export function createPartnerRequest(options: PartnerRequestOptions): PartnerRequest {
  const doFetch = options.fetch ?? fetch;
  const deadline = options.deadline ?? ((timeout: number) => AbortSignal.timeout(timeout));
  return async (url, init = {}) => {
    let response: Response;
    let text: string;
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
      throw networkError(error, options.timeout);
    }
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
  const message = `HTTP ${status}: ${summary(response)}`;
  if (status === 429)
    return throttled(message, { status, retryAfter: retryAfterMs(response.headers.get('retry-after')) });
  if (status === 408 || status >= 500) return retryable(message, { status });
  // A wrong key, a missing scope, or an endpoint that is not there (a wrong base URL or account id):
  // nothing this request can change, everything the operator can.
  if (status === 401 || status === 403 || status === 404) return misconfigured(message, { status });
  return payloadInvalid(message, { status });
}

function summary(response: PartnerResponse): string {
  const errors = (response.body as { errors?: { detail?: unknown; title?: unknown }[] } | undefined)?.errors;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  const detail = first?.detail ?? first?.title;
  return typeof detail === 'string' ? detail : response.text.slice(0, 200) || 'no body';
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
