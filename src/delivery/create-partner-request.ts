import { classifyStatus } from '../destinations/kit/classify-status.ts';
import { DeliveryError, retryable } from '../destinations/kit/delivery-errors.ts';
import type {
  ErrorClassifier,
  PartnerRequest,
  PartnerResponse,
} from '../destinations/kit/partner-request.ts';

export interface PartnerRequestOptions {
  /** Per request (ms). */
  timeout: number;
  userAgent: string;
  /** Headers every request carries: the destination's own (`DestinationDefinition.headers`). */
  headers?: Record<string, string>;
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

/** Builds the `request` a destination's actions receive: timeouts, user agent and error classes, once. */
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
          ...options.headers,
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
