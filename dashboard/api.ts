/** The admin API, called with the session cookie; every change carries the session's CSRF token. */

let csrfToken: string | undefined;
let onSignedOut: () => void = () => undefined;

export function setSession(token: string | undefined, signedOut?: () => void): void {
  csrfToken = token;
  if (signedOut) onSignedOut = signedOut;
}

/** An answer from the admin API that was not 2xx; `code` is its `RECLAIM_ERR_…`. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  return new ApiFailure(
    res.status,
    body?.error?.code ?? 'HTTP_' + res.status,
    body?.error?.message ?? res.statusText,
  );
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  accept = 'application/json',
): Promise<T> {
  const headers: Record<string, string> = { accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-reclaim-csrf'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const error = await failure(res);
    if (res.status === 401 && path !== '/admin/v1/session') onSignedOut();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (accept === 'application/json' ? res.json() : res.text()) as Promise<T>;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {});

/** `?a=1&b=2` from the entries that have a value. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined && e[1] !== '',
  );
  return entries.length ? '?' + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString() : '';
}
