import { USER_AGENT } from '../delivery/deliverer.ts';
import { createPartnerRequest, type PartnerRequestOptions } from '../delivery/create-partner-request.ts';
import { DeliveryError } from '../destinations/kit/delivery-errors.ts';
import type { PartnerRequest } from '../destinations/kit/partner-request.ts';
import { klaviyo } from '../destinations/klaviyo/index.ts';
import { klaviyoHeaders, type KlaviyoSettings } from '../destinations/klaviyo/settings.ts';

/**
 * What a failed Klaviyo call means to the setup commands, decided once where the answer is read; the
 * commands switch on `kind` and nothing else.
 * - `invalid_key`: Klaviyo refused the key (401): wrong, or revoked. The operator sets `KLAVIYO_API_KEY`.
 * - `missing_scope`: the key works but lacks a scope the endpoint needs (403).
 * - `throttled`: still 429 after waiting as `Retry-After` asked, or asked to wait too long.
 * - `unreachable`: no answer, a network error, or 5xx after the retries.
 * - `refused`: any other answer (400, 404…): a defect in Reclaim or an unexpected account state.
 */
export type KlaviyoFailureKind = 'invalid_key' | 'missing_scope' | 'throttled' | 'unreachable' | 'refused';

export class KlaviyoApiError extends Error {
  override readonly name = 'KlaviyoApiError';
  constructor(
    readonly kind: KlaviyoFailureKind,
    message: string,
    /** Klaviyo's error code (`not_authenticated`, `permission_denied`, `throttled`…), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface KlaviyoApiOptions {
  /** Longest wait for one answer, in ms (default 15 s). */
  timeoutMs?: number;
  /** Attempts per call when Klaviyo throttles or fails (default 3). */
  attempts?: number;
  /** Longest `Retry-After` worth waiting for, in ms (default 30 s); a longer one fails as `throttled`. */
  maxWaitMs?: number;
  /** Injected so tests need not sleep; resolves early when `signal` aborts. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Abandons calls and waits (the server stopping). */
  signal?: AbortSignal;
}

/** The setup commands' calls to Klaviyo: the destination's request and error reading, plus retries. */
export class KlaviyoApi {
  readonly #settings: KlaviyoSettings;
  readonly #request: PartnerRequest;
  readonly #actionRequest: PartnerRequest;
  readonly #attempts: number;
  readonly #maxWaitMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(settings: KlaviyoSettings, options: KlaviyoApiOptions = {}) {
    this.#settings = settings;
    const signal = options.signal;
    const requestOptions: PartnerRequestOptions = {
      timeout: options.timeoutMs ?? 15_000,
      userAgent: USER_AGENT,
      classify: klaviyo.classify,
      ...(options.fetch && { fetch: options.fetch }),
      deadline: (timeout) =>
        signal ? AbortSignal.any([AbortSignal.timeout(timeout), signal]) : AbortSignal.timeout(timeout),
    };
    this.#request = createPartnerRequest(requestOptions);
    this.#actionRequest = createPartnerRequest({ ...requestOptions, headers: klaviyoHeaders(settings) });
    this.#attempts = options.attempts ?? 3;
    this.#maxWaitMs = options.maxWaitMs ?? 30_000;
    this.#sleep = options.sleep ?? ((ms) => abortableSleep(ms, signal));
  }

  /** The `request` a destination action receives, for sends made outside the delivery loop. */
  get request(): PartnerRequest {
    return this.#actionRequest;
  }

  get settings(): KlaviyoSettings {
    return this.#settings;
  }

  /** `GET {baseUrl}{path}` and its JSON:API body; throws `KlaviyoApiError`. */
  async get(path: string): Promise<unknown> {
    const { 'content-type': _none, ...headers } = klaviyoHeaders(this.#settings);
    const url = path.startsWith('http') ? path : `${this.#settings.baseUrl}${path}`;
    return this.retrying(async () => (await this.#request(url, { method: 'GET', headers })).body);
  }

  /**
   * `POST {baseUrl}{path}` with a JSON:API body; its answer's body. A 429 is waited out (Klaviyo did
   * nothing); with `retryUnreachable: false` a 5xx or lost answer is not retried, because Klaviyo may
   * have created the object: the caller stops and a rerun finds it by name.
   */
  async post(path: string, json: unknown, options: { retryUnreachable?: boolean } = {}): Promise<unknown> {
    const headers = klaviyoHeaders(this.#settings);
    const url = `${this.#settings.baseUrl}${path}`;
    return this.retrying(
      async () => (await this.#request(url, { method: 'POST', headers, json })).body,
      options.retryUnreachable ?? true,
    );
  }

  /** `PATCH {baseUrl}{path}` with a JSON:API body (a flow's status); its answer's body. */
  async patch(path: string, json: unknown): Promise<unknown> {
    const headers = klaviyoHeaders(this.#settings);
    const url = `${this.#settings.baseUrl}${path}`;
    return this.retrying(async () => (await this.#request(url, { method: 'PATCH', headers, json })).body);
  }

  /**
   * Runs `call`, waiting out 429 (`Retry-After`) and retrying 5xx and network failures; a last failure
   * is thrown as `KlaviyoApiError`.
   */
  async retrying<T>(call: () => Promise<T>, retryUnreachable = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const failure = toApiError(error);
        const last = attempt >= this.#attempts;
        if (failure.kind === 'throttled' && !last && error instanceof DeliveryError) {
          const wait = error.retryAfter ?? 1_000;
          if (wait <= this.#maxWaitMs) {
            await this.#sleep(wait);
            continue;
          }
        }
        if (failure.kind === 'unreachable' && retryUnreachable && !last) {
          await this.#sleep(250 * attempt);
          continue;
        }
        throw failure;
      }
    }
  }
}

/** A delivery error as the setup commands read it. */
export function toApiError(error: unknown): KlaviyoApiError {
  if (error instanceof KlaviyoApiError) return error;
  if (!(error instanceof DeliveryError)) throw error;
  const { status, code } = error;
  if (status === 401)
    return new KlaviyoApiError(
      'invalid_key',
      'Klaviyo refused KLAVIYO_API_KEY (401): the key is wrong or was revoked; create a private API key in Klaviyo (Settings → API keys) and set KLAVIYO_API_KEY to it',
      code,
    );
  if (status === 403)
    return new KlaviyoApiError('missing_scope', `Klaviyo answered 403 (${error.message})`, code);
  if (error.kind === 'throttled')
    return new KlaviyoApiError(
      'throttled',
      'Klaviyo is throttling this account’s API calls (429) even after waiting as asked; other integrations share the quota; run it again in a minute',
      code,
    );
  if (error.kind === 'retryable')
    return new KlaviyoApiError(
      'unreachable',
      `Klaviyo could not be reached or failed (${error.message}); check KLAVIYO_BASE_URL and the network, or try again later`,
      code,
    );
  return new KlaviyoApiError('refused', `Klaviyo refused the request (${error.message})`, code);
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
