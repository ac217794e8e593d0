import { ApiError } from '../../src/http/errors/api-error.ts';

/** The `RECLAIM_ERR_…` code `run` is refused with, or undefined when it passes; other errors rethrow. */
export function refusal(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
}
