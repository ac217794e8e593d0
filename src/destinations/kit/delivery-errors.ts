/**
 * What a failed send means, decided once where the partner's answer is read. The delivery loop switches
 * on `kind` and nothing else:
 * - `payload_invalid`: the partner will never accept this request → dead-letter at once.
 * - `misconfigured`: bad credentials, a missing scope, a wrong account or URL → pause the whole
 *   destination and tell the operator; its rows wait, nothing is lost.
 * - `retryable`: 408, 5xx, timeouts, connection resets → retry with backoff, up to the retry horizon.
 * - `throttled`: 429 → wait at least `retryAfter`, without spending the retry budget faster.
 */
export type DeliveryErrorKind = 'payload_invalid' | 'misconfigured' | 'retryable' | 'throttled';

export interface DeliveryErrorDetails {
  /** HTTP status, when the partner answered. */
  status?: number;
  /** The partner's own error code (`invalid`, `duplicate_profile`, Meta's `190`…). */
  code?: string;
  /** How long the partner asked us to wait (ms), from `Retry-After`. */
  retryAfter?: number;
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly status?: number;
  readonly code?: string;
  readonly retryAfter?: number;

  constructor(
    readonly kind: DeliveryErrorKind,
    message: string,
    details: DeliveryErrorDetails = {},
  ) {
    super(redact(message));
    this.status = details.status;
    this.code = details.code;
    this.retryAfter = details.retryAfter;
  }

  /** As stored on the delivery row and shown to operators. */
  toJSON() {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.code !== undefined && { code: this.code }),
      ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }),
    };
  }
}

export const payloadInvalid = (message: string, details?: DeliveryErrorDetails) =>
  new DeliveryError('payload_invalid', message, details);
export const misconfigured = (message: string, details?: DeliveryErrorDetails) =>
  new DeliveryError('misconfigured', message, details);
export const retryable = (message: string, details?: DeliveryErrorDetails) =>
  new DeliveryError('retryable', message, details);
export const throttled = (message: string, details?: DeliveryErrorDetails) =>
  new DeliveryError('throttled', message, details);

const EMAIL = /[^\s"'<>@,;:]+@[^\s"'<>@,;:]+\.[^\s"'<>@,;:]+/g;
const PHONE = /\+?\d[\d\s().-]{6,}\d/g;

/**
 * Partners echo input back in error details ("invalid phone number +4915…"); stored errors and logs
 * never carry it. Messages are also cut short.
 */
export function redact(message: string): string {
  return message.replace(EMAIL, '[email]').replace(PHONE, '[number]').slice(0, 500);
}
