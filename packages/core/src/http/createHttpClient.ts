import { createParser } from 'eventsource-parser';
import type { ErrorCode } from '../domain/errors';
import { ERROR_CODES, LicenseContactsError, reportError } from '../domain/errors';
import { randomHex } from '../domain/random';
import type {
  AuditEntry,
  License,
  LicenseContactsApi,
  Me,
  MutationOptions,
  Page,
  PendingRequest,
  Permissions,
  ReplaceResult,
  WatchOptions,
} from '../domain/types';

/** Options of `createHttpClient`. */
export interface HttpClientOptions {
  /** Where the handler is mounted, e.g. `/api` in a browser or `http://127.0.0.1:3000/api`. */
  baseUrl: string;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Sent with every request (e.g. `Authorization`); a function is called per request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** `credentials` of every request; default `same-origin`. */
  credentials?: RequestCredentials;
  /**
   * Times a request is sent again after a network failure (GETs, and mutations with their same
   * `Idempotency-Key`, so a lost response never applies a change twice); default 1.
   */
  retries?: number;
  /** Milliseconds before retry `attempt` (1-based); default 100 × attempt. */
  retryDelay?: (attempt: number) => number;
  /** Milliseconds before `watch` reconnects after `attempt` failures in a row; default 0.5–1 × 2^attempt s, at most 30 s. */
  reconnectDelay?: (attempt: number) => number;
  /**
   * Milliseconds `watch` waits for anything (an entry, a heartbeat) before it takes a silent stream
   * for lost and reconnects (a proxy that drops a connection without closing it); default 45 s,
   * three of the server's 15 s heartbeats.
   */
  silentMs?: number;
}

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  expectedVersion?: unknown;
}

const CODES = new Set<string>(ERROR_CODES.filter((code) => code !== 'NETWORK'));
/** The comment in which `/events` says where it is: the seq after which its entries follow. */
const POSITION = /^position (\d{16})$/;

function network(message: string, cause?: unknown): LicenseContactsError {
  return new LicenseContactsError('NETWORK', message, cause === undefined ? {} : { cause });
}

/** A path segment; a value that is not a string is refused as the service would refuse it. */
function segment(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new LicenseContactsError('VALIDATION', `${field} must be a string`, { field });
  }
  return encodeURIComponent(value);
}

function optionsOf(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new LicenseContactsError('VALIDATION', 'options must be an object', { field: 'options' });
  }
  return options as Record<string, unknown>;
}

function signalOf(options: Record<string, unknown>): AbortSignal | undefined {
  return options.signal instanceof AbortSignal ? options.signal : undefined;
}

/** The error a problem+json body describes, or `null` when the body is not one. */
function problemError(status: number, text: string): LicenseContactsError | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const { code, detail, field, reason } = body as Record<string, unknown>;
  if (typeof code !== 'string' || !CODES.has(code)) return null;
  return new LicenseContactsError(code as ErrorCode, typeof detail === 'string' ? detail : `HTTP ${status}`, {
    ...(typeof field === 'string' ? { field } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
  });
}

const wait = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });

/** A random Idempotency-Key; `randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
function randomKey(): string {
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext !== false)
    return crypto.randomUUID();
  return randomHex(16);
}

/**
 * The `LicenseContactsApi` over HTTP, talking to `createHttpHandler`: the same interface, results and
 * errors as `service.as(actor)`; the server decides who the actor is.
 * Errors are rebuilt as `LicenseContactsError` (code, field, reason, message); when the request does
 * not complete, or the answer is not one the handler gives (a proxy's HTML page, a cut body), the
 * error is NETWORK: the outcome is unknown. An aborted call rejects with the signal's AbortError.
 * @example
 * const api = createHttpClient({ baseUrl: '/api' });
 * const { items } = await api.listLicenses({ query: 'jira' });
 * await api.addContact(items[0].id, { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] });
 */
export function createHttpClient(options: HttpClientOptions): LicenseContactsApi {
  if (typeof options?.baseUrl !== 'string') throw new TypeError('createHttpClient needs a baseUrl');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const retries = Math.max(0, options.retries ?? 1);
  const retryDelay = options.retryDelay ?? ((attempt: number) => 100 * attempt);
  const credentials = options.credentials ?? 'same-origin';

  async function request<T>(call: Call): Promise<T> {
    const doFetch = options.fetch ?? globalThis.fetch;
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) search.set(name, String(value));
    }
    const url = `${baseUrl}${call.path}${search.size > 0 ? `?${search}` : ''}`;
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const headers = new Headers(extra);
    headers.set('Accept', 'application/json');
    if (call.body !== undefined) headers.set('Content-Type', 'application/json');
    if (call.expectedVersion !== undefined) {
      // The handler turns this back into the service's expectedVersion, which validates it.
      headers.set(
        'If-Match',
        `"${typeof call.expectedVersion === 'number' ? call.expectedVersion : 'invalid'}"`,
      );
    }
    // One key per logical call: every retry of it carries the same one.
    if (call.method !== 'GET') headers.set('Idempotency-Key', randomKey());
    const body = call.body === undefined ? null : JSON.stringify(call.body);
    const signal = call.signal;

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      let text: string;
      try {
        signal?.throwIfAborted();
        response = await doFetch(url, {
          method: call.method,
          headers,
          body,
          credentials,
          ...(signal === undefined ? {} : { signal }),
        });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw error;
        if (attempt < retries) {
          await wait(retryDelay(attempt + 1), signal);
          continue;
        }
        throw network(`The request to ${call.method} ${call.path} did not complete`, error);
      }
      if (response.ok) {
        try {
          const value: unknown = JSON.parse(text);
          if (typeof value === 'object' && value !== null) return value as T;
        } catch {
          // answered below
        }
        throw network(`The answer to ${call.method} ${call.path} was not readable (HTTP ${response.status})`);
      }
      throw (
        problemError(response.status, text) ??
        network(`The answer to ${call.method} ${call.path} was not readable (HTTP ${response.status})`)
      );
    }
  }

  function mutation(options: MutationOptions | undefined): Pick<Call, 'signal' | 'expectedVersion'> {
    const o = optionsOf(options);
    return { signal: signalOf(o), expectedVersion: o.expectedVersion };
  }

  const license = (id: unknown) => `/licenses/${segment(id, 'licenseId')}`;
  const reconnectDelay =
    options.reconnectDelay ??
    ((attempt: number) => Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2));
  const silentMs = options.silentMs ?? 45_000;

  /**
   * Follows `GET /events`: parses the stream, tells each entry once, and reconnects with
   * `Last-Event-ID` after a lost connection or a server error; stops at an answer that will not change
   * by retrying (401, 403, 400, 404), reporting it to `onError`.
   */
  function watch(listener: (entry: AuditEntry) => void, opts?: WatchOptions): () => void {
    const o = optionsOf(opts);
    const onError = typeof o.onError === 'function' ? (o.onError as (error: unknown) => void) : () => {};
    const onOpen = typeof o.onOpen === 'function' ? (o.onOpen as (position: string) => void) : () => {};
    let last = typeof o.after === 'string' ? o.after : undefined;
    const controller = new AbortController();
    let failures = 0;

    async function connect(): Promise<void> {
      const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
      const headers = new Headers(extra);
      headers.set('Accept', 'text/event-stream');
      if (last !== undefined) headers.set('Last-Event-ID', last);
      const response = await (options.fetch ?? globalThis.fetch)(`${baseUrl}/events`, {
        headers,
        credentials,
        signal: controller.signal,
      });
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '');
        throw problemError(response.status, text) ?? network(`GET /events answered HTTP ${response.status}`);
      }
      // Open again: the next loss waits from the shortest pause anew.
      failures = 0;
      const parser = createParser({
        onComment(comment) {
          // Where the stream is: a watch from now resumes from there, missing nothing meanwhile.
          const position = POSITION.exec(comment)?.[1];
          if (position === undefined) return;
          if (last === undefined || position > last) last = position;
          try {
            onOpen(position);
          } catch (error) {
            reportError(error);
          }
        },
        onEvent(event) {
          if (event.event !== undefined) return;
          let entry: AuditEntry;
          try {
            entry = JSON.parse(event.data) as AuditEntry;
          } catch {
            return;
          }
          if (last !== undefined && entry.seq <= last) return;
          last = event.id ?? entry.seq;
          failures = 0;
          try {
            listener(entry);
          } catch (error) {
            reportError(error);
          }
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let silence: ReturnType<typeof setTimeout> | undefined;
      try {
        for (;;) {
          clearTimeout(silence);
          // Nothing for that long, not even a heartbeat: the connection is gone; connect again.
          silence = setTimeout(() => void reader.cancel().catch(() => {}), silentMs);
          const { done, value } = await reader.read();
          if (done) return;
          parser.feed(value);
        }
      } finally {
        clearTimeout(silence);
      }
    }

    (async () => {
      while (!controller.signal.aborted) {
        try {
          await connect();
        } catch (error) {
          if (controller.signal.aborted) return;
          const status = error instanceof LicenseContactsError ? error.status : 0;
          onError(error);
          if ([400, 401, 403, 404, 422].includes(status)) return;
        }
        if (controller.signal.aborted) return;
        await wait(reconnectDelay(++failures), controller.signal).catch(() => {});
      }
    })();
    return () => controller.abort();
  }

  return {
    me(opts) {
      return request<Me>({ method: 'GET', path: '/me', signal: signalOf(optionsOf(opts)) });
    },
    async listLicenses(opts) {
      const o = optionsOf(opts);
      return request<Page<License>>({
        method: 'GET',
        path: '/licenses',
        query: { query: o.query as string, cursor: o.cursor as string, limit: o.limit as number },
        signal: signalOf(o),
      });
    },
    async getLicense(licenseId, opts) {
      const o = optionsOf(opts);
      // An invalid Date travels as text the server refuses, like any other value that is not a time.
      const at =
        o.at instanceof Date
          ? Number.isNaN(o.at.getTime())
            ? 'Invalid Date'
            : o.at.toISOString()
          : (o.at as string | undefined);
      return request<License>({
        method: 'GET',
        path: license(licenseId),
        query: { at },
        signal: signalOf(o),
      });
    },
    async addContact(licenseId, input, opts) {
      return request<License>({
        method: 'POST',
        path: `${license(licenseId)}/contacts`,
        body: input === undefined ? null : input,
        ...mutation(opts),
      });
    },
    async setMain(licenseId, role, email, opts) {
      const path = `${license(licenseId)}/main/${segment(role, 'role')}`;
      return request<License>({
        method: 'PUT',
        path,
        body: { email: email === undefined ? null : email },
        ...mutation(opts),
      });
    },
    async removeContact(licenseId, email, opts) {
      const o = optionsOf(opts);
      return request<License>({
        method: 'DELETE',
        path: `${license(licenseId)}/contacts/${segment(email, 'email')}`,
        query: { role: o.role as string, successor: o.successor as string },
        ...mutation(opts),
      });
    },
    async replaceContact(oldEmail, successor, opts) {
      const o = optionsOf(opts);
      return request<ReplaceResult>({
        method: 'POST',
        path: '/replacements',
        body: { email: oldEmail, successor, dryRun: o.dryRun, licenseIds: o.licenseIds },
        signal: signalOf(o),
      });
    },
    async history(licenseId, opts) {
      const o = optionsOf(opts);
      return request<Page<AuditEntry>>({
        method: 'GET',
        path: `${license(licenseId)}/history`,
        query: { cursor: o.cursor as string, limit: o.limit as number },
        signal: signalOf(o),
      });
    },
    async changes(opts) {
      const o = optionsOf(opts);
      return request<Page<AuditEntry>>({
        method: 'GET',
        path: '/changes',
        query: { after: o.after as string, limit: o.limit as number },
        signal: signalOf(o),
      });
    },
    watch,
    async permissions(licenseId, opts) {
      return request<Permissions>({
        method: 'GET',
        path: `${license(licenseId)}/permissions`,
        signal: signalOf(optionsOf(opts)),
      });
    },
    async invite(licenseId, input, opts) {
      return request<PendingRequest>({
        method: 'POST',
        path: `${license(licenseId)}/invitations`,
        body: input === undefined ? null : input,
        signal: signalOf(optionsOf(opts)),
      });
    },
    async requestTransfer(licenseId, role, email, opts) {
      return request<PendingRequest>({
        method: 'POST',
        path: `${license(licenseId)}/transfers`,
        body: { role: role === undefined ? null : role, email: email === undefined ? null : email },
        signal: signalOf(optionsOf(opts)),
      });
    },
    async requests(opts) {
      const o = optionsOf(opts);
      return request<Page<PendingRequest>>({
        method: 'GET',
        path: '/requests',
        query: {
          licenseId: o.licenseId as string,
          state: o.state as string,
          cursor: o.cursor as string,
          limit: o.limit as number,
        },
        signal: signalOf(o),
      });
    },
    acceptRequest: (requestId, opts) => decide(requestId, 'accept', opts),
    declineRequest: (requestId, opts) => decide(requestId, 'decline', opts),
    cancelRequest: (requestId, opts) => decide(requestId, 'cancel', opts),
  };

  function decide(requestId: unknown, what: string, opts: unknown): Promise<PendingRequest> {
    return request<PendingRequest>({
      method: 'POST',
      path: `/requests/${segment(requestId, 'requestId')}/${what}`,
      signal: signalOf(optionsOf(opts)),
    });
  }
}
