import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

/** The JSON body of every error answer: `{ "error": { "code", "message", "path"? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; path?: string };
}

/** An error the API answers with; its status follows from its code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.path ? { path: this.path } : {}) } };
  }
}

/** The one factory for API errors. */
export function apiError(code: ErrorCode, message: string, path?: string): ApiError {
  return new ApiError(code, message, path);
}

/** JSON-pointer-like path (`batch.3.properties.price`) from a list of keys. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}
