import type { ErrorBody } from '@jinli/contracts';
import { describeError } from './errors';

/** An answer other than 2xx, with the API's stable error code and a message in Chinese for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    readonly details?: unknown,
  ) {
    super(describeError(code, details, status));
  }
  /** Worth trying again: rate limited, server busy or unreachable. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string>;
  /** How many times to try again on 429, 5xx or a network failure (backoff with full jitter). */
  retries?: number;
  signal?: AbortSignal;
  /** The response is a file (payout CSV/XLSX): return the Blob and the server's file name. */
  blob?: boolean;
}

export interface Session {
  token(): string | null;
  onUnauthorized(): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });

/**
 * Exponential backoff with full jitter (AWS's advice for a thundering herd: thousands of phones
 * retrying the same round must not retry in lockstep). A Retry-After header wins when it is longer.
 */
export function backoffMs(attempt: number, retryAfterS?: number, baseMs = 300, capMs = 5000): number {
  const jittered = Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
  return Math.max(jittered, (retryAfterS ?? 0) * 1000);
}

export function createApi(session: Session, base = '/api/v1') {
  async function once<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    const url = new URL(base + path, window.location.origin);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    const token = session.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(o.body);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: payload, signal: o.signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'NETWORK', String(e));
    }
    if (res.ok) {
      if (o.blob) {
        const disposition = res.headers.get('content-disposition') ?? '';
        const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
        const plain = /filename="?([^";]+)"?/i.exec(disposition);
        const name = star ? decodeURIComponent(star[1]) : (plain?.[1] ?? 'download');
        return { blob: await res.blob(), name } as T;
      }
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    }
    let body: Partial<ErrorBody> = {};
    try {
      body = (await res.json()) as ErrorBody;
    } catch {
      // not JSON: a proxy's error page
    }
    const err = new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? '', body.details);
    const retryAfter = Number(res.headers.get('retry-after'));
    if (Number.isFinite(retryAfter) && retryAfter > 0)
      (err as { retryAfterS?: number }).retryAfterS = retryAfter;
    if (res.status === 401 && token) session.onUnauthorized();
    throw err;
  }

  async function request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const retries = o.retries ?? (method === 'GET' ? 2 : 0);
    for (let attempt = 0; ; attempt++) {
      try {
        return await once<T>(method, path, o);
      } catch (e) {
        if (!(e instanceof ApiError) || !e.retryable || attempt >= retries) throw e;
        await sleep(backoffMs(attempt, (e as { retryAfterS?: number }).retryAfterS), o.signal);
      }
    }
  }

  return {
    request,
    get: <T = any>(path: string, o?: RequestOptions) => request<T>('GET', path, o),
    post: <T = any>(path: string, body?: unknown, o?: RequestOptions) =>
      request<T>('POST', path, { ...o, body }),
    patch: <T = any>(path: string, body?: unknown, o?: RequestOptions) =>
      request<T>('PATCH', path, { ...o, body }),
    download: (path: string, o?: RequestOptions) =>
      request<{ blob: Blob; name: string }>('GET', path, { ...o, blob: true }),
  };
}

export type Api = ReturnType<typeof createApi>;

/** A fresh key per attempt at an action; the same key is reused when that attempt is retried. */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts (https, localhost); a till on a LAN address has neither.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Saves a downloaded file (payout CSV/XLSX, report XLSX) through the browser. */
export function saveBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}
