import { LicenseContactsError } from '../domain/errors';
import type { Actor, AddContactInput, License, LicenseContactsApi } from '../domain/types';
import type { LicenseContacts } from '../service/createLicenseContacts';
import type { PlainAnswer } from './answer';
import { PLAIN_ANSWER, plainProblem, READ_BODY, toResponse } from './answer';
import type { IdempotencyOptions, StoredResponse } from './idempotency';
import { IdempotencyCache } from './idempotency';
import { SECURITY_HEADERS, toProblem } from './problem';
import { parseShape, schemas } from './schemas';

/** Who the request is from, or nothing (answered 401); may be async. */
export type Authenticate = (request: Request) => Actor | null | undefined | Promise<Actor | null | undefined>;

/** Options of `createHttpHandler`. */
export interface HttpHandlerOptions {
  /** Reads the actor from the request (a session cookie, a bearer token…); `null` or `undefined` answers 401. */
  authenticate: Authenticate;
  /** Path prefix of every route; default `/api`. */
  basePath?: string;
  /** Largest accepted request body in bytes; default 64 KiB. */
  maxBodyBytes?: number;
  /** Origins (e.g. `https://portal.example.com`) besides the request's own that may send mutations. */
  allowedOrigins?: Iterable<string>;
  /** The `Idempotency-Key` response cache; `false` turns it off. */
  idempotency?: IdempotencyOptions | false;
}

/** A Fetch-standard request handler: mounts in node:http (`toNodeListener`), Next.js, Hono, Deno, Bun, workers. */
export type HttpHandler = (request: Request) => Promise<Response>;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Context {
  api: LicenseContactsApi;
  params: string[];
  url: URL;
  body: unknown;
  signal: AbortSignal;
  expectedVersion: number | undefined;
}

interface Route {
  method: Method;
  /** Literal segments, or `:name` for a parameter. */
  path: string[];
  /** Reads a JSON body; the value names the whole body in a VALIDATION error. */
  body?: string;
  /** Changes state: cross-site refusal and Idempotency-Key. */
  mutation: boolean;
  /** Changes one license: `If-Match` becomes the service's `expectedVersion`. */
  versioned?: true;
  run(context: Context): Promise<unknown>;
}

const DEFAULT_MAX_BODY = 64 * 1024;
/** A signal that never aborts, shared by reads. */
const NEVER = new AbortController().signal;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Search parameters read by name; a repeated one is a malformed query string. */
function query(url: URL, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!names.includes(name)) continue;
    if (Object.hasOwn(out, name)) {
      throw new LicenseContactsError('BAD_REQUEST', `The query parameter ${name} is given more than once`);
    }
    out[name] = value;
  }
  return out;
}

function mutationOptions(context: Context): { signal: AbortSignal; expectedVersion?: number } {
  return context.expectedVersion === undefined
    ? { signal: context.signal }
    : { signal: context.signal, expectedVersion: context.expectedVersion };
}

const param = (context: Context, index: number) => context.params[index] as string;

/** The routes, relative to `basePath`. Documented in README-http.md. */
const ROUTES: Route[] = [
  { method: 'GET', path: ['me'], mutation: false, run: ({ api, signal }) => api.me({ signal }) },
  {
    method: 'GET',
    path: ['licenses'],
    mutation: false,
    run(context) {
      const q = parseShape(schemas().listQuery, query(context.url, ['query', 'cursor', 'limit']), 'query');
      return context.api.listLicenses({
        signal: context.signal,
        ...(q.query === undefined ? {} : { query: q.query }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    },
  },
  {
    method: 'GET',
    path: ['licenses', ':id'],
    mutation: false,
    run(context) {
      const q = parseShape(schemas().licenseQuery, query(context.url, ['at']), 'query');
      return context.api.getLicense(param(context, 0), {
        signal: context.signal,
        ...(q.at === undefined ? {} : { at: q.at }),
      });
    },
  },
  {
    method: 'POST',
    path: ['licenses', ':id', 'contacts'],
    body: 'input',
    mutation: true,
    versioned: true,
    run(context) {
      const input = parseShape(schemas().addContactBody, context.body, 'input');
      // Role names are the service's to validate (R11), like every other value.
      return context.api.addContact(param(context, 0), input as AddContactInput, mutationOptions(context));
    },
  },
  {
    method: 'DELETE',
    path: ['licenses', ':id', 'contacts', ':email'],
    mutation: true,
    versioned: true,
    run(context) {
      const q = parseShape(schemas().removeQuery, query(context.url, ['role', 'successor']), 'query');
      return context.api.removeContact(param(context, 0), param(context, 1), {
        ...mutationOptions(context),
        ...(q.role === undefined ? {} : { role: q.role as never }),
        ...(q.successor === undefined ? {} : { successor: q.successor }),
      });
    },
  },
  {
    method: 'PUT',
    path: ['licenses', ':id', 'main', ':role'],
    body: 'email',
    mutation: true,
    versioned: true,
    run(context) {
      const { email } = parseShape(schemas().setMainBody, context.body, 'email');
      return context.api.setMain(
        param(context, 0),
        param(context, 1) as never,
        email,
        mutationOptions(context),
      );
    },
  },
  {
    method: 'GET',
    path: ['licenses', ':id', 'history'],
    mutation: false,
    run(context) {
      const q = parseShape(schemas().historyQuery, query(context.url, ['cursor', 'limit']), 'query');
      return context.api.history(param(context, 0), {
        signal: context.signal,
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    },
  },
  {
    method: 'GET',
    path: ['licenses', ':id', 'permissions'],
    mutation: false,
    run: (context) => context.api.permissions(param(context, 0), { signal: context.signal }),
  },
  {
    method: 'GET',
    path: ['changes'],
    mutation: false,
    run(context) {
      const q = parseShape(schemas().changesQuery, query(context.url, ['after', 'limit']), 'query');
      return context.api.changes({
        signal: context.signal,
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    },
  },
  {
    method: 'POST',
    path: ['licenses', ':id', 'invitations'],
    body: 'input',
    mutation: true,
    run(context) {
      const input = parseShape(schemas().addContactBody, context.body, 'input');
      return context.api.invite(param(context, 0), input as AddContactInput, { signal: context.signal });
    },
  },
  {
    method: 'POST',
    path: ['licenses', ':id', 'transfers'],
    body: 'body',
    mutation: true,
    run(context) {
      const { role, email } = parseShape(schemas().transferBody, context.body, 'body');
      return context.api.requestTransfer(param(context, 0), role as never, email, { signal: context.signal });
    },
  },
  {
    method: 'GET',
    path: ['requests'],
    mutation: false,
    run(context) {
      const q = parseShape(
        schemas().requestsQuery,
        query(context.url, ['licenseId', 'state', 'cursor', 'limit']),
        'query',
      );
      return context.api.requests({
        signal: context.signal,
        ...(q.licenseId === undefined ? {} : { licenseId: q.licenseId }),
        ...(q.state === undefined ? {} : { state: q.state as never }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    },
  },
  ...(['accept', 'decline', 'cancel'] as const).map(
    (what): Route => ({
      method: 'POST',
      path: ['requests', ':id', what],
      mutation: true,
      run(context) {
        const options = { signal: context.signal };
        const id = param(context, 0);
        if (what === 'accept') return context.api.acceptRequest(id, options);
        if (what === 'decline') return context.api.declineRequest(id, options);
        return context.api.cancelRequest(id, options);
      },
    }),
  ),
  {
    method: 'POST',
    path: ['replacements'],
    body: 'body',
    mutation: true,
    run(context) {
      const body = parseShape(schemas().replacementBody, context.body, 'body');
      return context.api.replaceContact(body.email, body.successor, {
        signal: context.signal,
        ...(body.dryRun === undefined ? {} : { dryRun: body.dryRun }),
        ...(body.licenseIds === undefined ? {} : { licenseIds: body.licenseIds }),
      });
    },
  },
];

/** Routes whose literal segments match, with the raw (still percent-encoded) parameters. */
function matchRoutes(segments: string[]): { route: Route; raw: string[] }[] {
  const found: { route: Route; raw: string[] }[] = [];
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue;
    const raw: string[] = [];
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const part = route.path[i] as string;
      const segment = segments[i] as string;
      if (part.startsWith(':')) raw.push(segment);
      else ok = part === segment;
    }
    if (ok) found.push({ route, raw });
  }
  return found;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The path has a malformed percent-encoding');
  }
}

/** `If-Match: "3"` → 3; `*` or absent → undefined; anything else reaches the service as an invalid version. */
function expectedVersionOf(request: Request): number | undefined {
  const header = request.headers.get('if-match');
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const tag = /^(?:W\/)?"([^"]*)"$/.exec(value)?.[1] ?? value;
  return /^-?\d{1,16}(?:\.\d+)?$/.test(tag) ? Number(tag) : Number.NaN;
}

function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const [type = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

/** Reads the body as JSON text, refusing more than `max` bytes as soon as they are seen. */
async function readBody(request: Request, max: number): Promise<string> {
  const direct = (request as { [READ_BODY]?: (max: number) => Promise<Uint8Array> })[READ_BODY];
  // A refused body is left unread: a Fetch stream is cancelled, node:http closes the connection.
  const discard = async () => {
    if (direct) return;
    try {
      await request.body?.cancel();
    } catch {
      // nothing more to do with a body that cannot even be cancelled
    }
  };
  if (!isJsonContentType(request.headers.get('content-type'))) {
    await discard();
    throw new LicenseContactsError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
  }
  const length = request.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > max) {
    await discard();
    throw new LicenseContactsError('PAYLOAD_TOO_LARGE', `The body is larger than ${max} bytes`);
  }
  const bytes = direct ? await direct(max) : await readStream(request, max);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The body is not valid UTF-8');
  }
}

/** Reads a Fetch body stream, cancelling it as soon as more than `max` bytes arrived. */
async function readStream(request: Request, max: number): Promise<Uint8Array> {
  let body: ReadableStream<Uint8Array> | null;
  try {
    body = request.body;
  } catch (error) {
    throw new LicenseContactsError('BAD_REQUEST', 'The body could not be read', { cause: error });
  }
  if (body === null) throw new LicenseContactsError('BAD_REQUEST', 'A JSON body is required');
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        // Stop reading here: the rest of the body is never pulled.
        await reader.cancel().catch(() => {});
        throw new LicenseContactsError('PAYLOAD_TOO_LARGE', `The body is larger than ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof LicenseContactsError) throw error;
    throw new LicenseContactsError('BAD_REQUEST', 'The body could not be read', { cause: error });
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new LicenseContactsError('BAD_REQUEST', 'A JSON body is required');
  try {
    return JSON.parse(text);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The body is not valid JSON');
  }
}

function stored(status: number, body: unknown, extra: [string, string][] = []): StoredResponse {
  const headers: [string, string][] = [['Content-Type', 'application/json; charset=utf-8'], ...extra];
  return { status, headers, body: JSON.stringify(body) };
}

function storedProblem(error: unknown, preconditionFailed: boolean): StoredResponse {
  const body = toProblem(error, { preconditionFailed });
  return {
    status: body.status,
    headers: [['Content-Type', 'application/problem+json; charset=utf-8']],
    body: JSON.stringify(body),
  };
}

function isLicense(value: unknown): value is License {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as License).version === 'number' &&
    Array.isArray((value as License).technical)
  );
}

function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/**
 * The Fetch-standard HTTP transport of a service: every method of `LicenseContactsApi` as a route
 * under `basePath`, errors as `application/problem+json`. It authenticates, checks shapes and maps
 * errors; every rule stays in the service.
 * @example
 * const handler = createHttpHandler(service, {
 *   authenticate: async (request) => sessionUser(request.headers.get('cookie')), // { email, staff? } or null
 * });
 * http.createServer(toNodeListener(handler)).listen(3000);
 */
export function createHttpHandler(
  service: Pick<LicenseContacts, 'as'>,
  options: HttpHandlerOptions,
): HttpHandler {
  if (typeof options?.authenticate !== 'function') {
    throw new TypeError('createHttpHandler needs an authenticate(request) function');
  }
  const authenticate = options.authenticate;
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const allowedOrigins = new Set(
    [...(options.allowedOrigins ?? [])].map((origin) => origin.replace(/\/+$/, '')),
  );
  const cache = options.idempotency === false ? null : new IdempotencyCache(options.idempotency ?? {});

  function corsHeaders(request: Request): Record<string, string> {
    const origin = request.headers.get('origin');
    if (origin === null || !allowedOrigins.has(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'ETag, Idempotency-Replayed',
      Vary: 'Origin',
    };
  }

  /** Mutations from another site are refused (CSRF), unless that site is an allowed origin. */
  function refuseCrossSite(request: Request, url: URL): void {
    const origin = request.headers.get('origin');
    const allowed = origin !== null && allowedOrigins.has(origin);
    if (request.headers.get('sec-fetch-site') === 'cross-site' && !allowed) {
      throw new LicenseContactsError('FORBIDDEN', 'Changes from another site are refused', {
        reason: 'CROSS_SITE',
      });
    }
    if (origin !== null && origin !== url.origin && !allowed) {
      throw new LicenseContactsError('FORBIDDEN', 'Changes from another origin are refused', {
        reason: 'CROSS_SITE',
      });
    }
  }

  async function actorOf(request: Request): Promise<LicenseContactsApi> {
    const actor = await authenticate(request);
    if (actor === null || actor === undefined) {
      throw new LicenseContactsError('UNAUTHENTICATED', 'Sign in to continue');
    }
    try {
      return service.as(actor);
    } catch {
      // An identity the service cannot use is no identity.
      throw new LicenseContactsError('UNAUTHENTICATED', 'The signed-in identity is not usable');
    }
  }

  async function handle(request: Request): Promise<PlainAnswer> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plainProblem(new LicenseContactsError('BAD_REQUEST', 'The request URL is malformed'));
    }
    const cors = corsHeaders(request);
    const path = url.pathname;
    const inside = basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
    const matches = inside ? matchRoutes(path.slice(basePath.length).split('/').slice(1)) : [];
    if (matches.length === 0) {
      return plainProblem(new LicenseContactsError('NOT_FOUND', 'No such route'), { headers: cors });
    }
    const methods = matches.map(({ route }) => route.method);
    const allow = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    // HEAD is GET without the body.
    const head = request.method.toUpperCase() === 'HEAD';
    const method = head ? 'GET' : request.method.toUpperCase();
    if (method === 'OPTIONS') {
      const headers: Record<string, string> = { ...SECURITY_HEADERS, Allow: `${allow}, OPTIONS`, ...cors };
      if (cors['Access-Control-Allow-Origin'] !== undefined) {
        headers['Access-Control-Allow-Methods'] = allow;
        headers['Access-Control-Allow-Headers'] =
          'Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key';
        headers['Access-Control-Max-Age'] = '600';
      }
      return { status: 204, headers, body: null };
    }
    const match = matches.find(({ route }) => route.method === method);
    if (!match) {
      if (head)
        return {
          status: 405,
          headers: { ...SECURITY_HEADERS, ...cors, Allow: `${allow}, OPTIONS` },
          body: null,
        };
      return plainProblem(
        new LicenseContactsError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow}`),
        { headers: { ...cors, Allow: `${allow}, OPTIONS` } },
      );
    }
    const { route } = match;
    const expectedVersion = route.versioned ? expectedVersionOf(request) : undefined;
    const preconditionFailed = expectedVersion !== undefined;

    let result: StoredResponse;
    let replayed = false;
    try {
      if (route.mutation) refuseCrossSite(request, url);
      const api = await actorOf(request);
      const params = match.raw.map(decodeSegment);
      const text = route.body === undefined ? '' : await readBody(request, maxBodyBytes);
      const body = route.body === undefined ? undefined : parseJson(text);
      // Reads are quick; a mutation whose client went away before it started is not applied.
      const signal = route.mutation ? request.signal : NEVER;
      const context: Context = { api, params, url, body, signal, expectedVersion };

      const execute = async (): Promise<StoredResponse> => {
        try {
          const value = await route.run(context);
          return stored(200, value, isLicense(value) ? [['ETag', `"${value.version}"`]] : []);
        } catch (error) {
          return storedProblem(error, preconditionFailed);
        }
      };

      const key = route.mutation ? request.headers.get('idempotency-key') : null;
      if (key !== null && cache) {
        if (!IDEMPOTENCY_KEY.test(key)) {
          throw new LicenseContactsError(
            'BAD_REQUEST',
            'Idempotency-Key must be 1–255 visible ASCII characters',
          );
        }
        const me = await api.me();
        const cacheKey = JSON.stringify([me.email, me.staff, method, path, key]);
        const fingerprint = JSON.stringify([url.search, request.headers.get('if-match'), text]);
        const outcome = await cache.run(cacheKey, fingerprint, execute, (response) => response.status < 500);
        if (outcome.kind === 'mismatch') {
          throw new LicenseContactsError(
            'BAD_REQUEST',
            'This Idempotency-Key was used for a different request',
          );
        }
        result = outcome.response;
        replayed = outcome.kind === 'replayed';
      } else {
        result = await execute();
      }
    } catch (error) {
      result = storedProblem(error, preconditionFailed);
    }

    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    for (const [name, value] of result.headers) headers[name] = value;
    Object.assign(headers, cors);
    if (replayed) headers['Idempotency-Replayed'] = 'true';
    const etag = headers.ETag;
    if (method === 'GET' && result.status === 200 && etag !== undefined) {
      if (etagMatches(request.headers.get('if-none-match'), etag)) {
        delete headers['Content-Type'];
        return { status: 304, headers, body: null };
      }
    }
    return { status: result.status, headers, body: head ? null : result.body };
  }

  /** The answer as plain data: what `toNodeListener` writes without building a Fetch `Response`. */
  async function answer(request: Request): Promise<PlainAnswer> {
    try {
      return await handle(request);
    } catch (error) {
      // Unreachable by design; if it happens, nothing about it leaves the server.
      return plainProblem(error instanceof LicenseContactsError ? error : new Error('unexpected'));
    }
  }

  const handler: HttpHandler = async (request) => toResponse(await answer(request));
  Object.defineProperty(handler, PLAIN_ANSWER, { value: answer });
  return handler;
}
