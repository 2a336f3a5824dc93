import type { ErrorCode } from '../domain/errors';
import { LicenseContactsError } from '../domain/errors';
import type {
  Actor,
  AddContactInput,
  License,
  LicenseContactsApi,
  ReplaceResult,
  RequestState,
  Role,
} from '../domain/types';
import type { LicenseContacts } from '../service/createLicenseContacts';
import type { PlainAnswer, RequestTarget } from './answer';
import { CLIENT_GONE, PARSED_URL, PLAIN_ANSWER, plainProblem, toResponse } from './answer';
import type { Idempotency, IdempotencyOptions, StoredResponse } from './idempotency';
import { IdempotencyCache, SharedIdempotency } from './idempotency';
import type { OpenApiDocument, OpenApiOptions } from './openapi';
import { buildOpenApiDocument } from './openapi';
import { SECURITY_HEADERS, securityHeaders, toProblem } from './problem';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody, readBodyText } from './readBody';
import { createSameOriginCheck } from './sameOrigin';
import type { SchemaName, SchemaOutput } from './schemas';
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
  /** Origins (e.g. `https://portal.example.com`) besides the addressed one that may send mutations. */
  allowedOrigins?: Iterable<string>;
  /**
   * Compare `Origin` with `X-Forwarded-Host` / `X-Forwarded-Proto` instead of `Host` and the request's
   * scheme; default false. Only behind a proxy that sets them.
   */
  trustProxy?: boolean;
  /** The `Idempotency-Key` response cache; `false` turns it off. */
  idempotency?: IdempotencyOptions | false;
  /** Milliseconds between heartbeat comments on `/events`; default 15,000. */
  heartbeatMs?: number;
  /** Serves this API's OpenAPI 3.1 description at `GET {basePath}/openapi.json` to anyone; default true. */
  openApi?: boolean;
  /**
   * Told once of each failure the library did not expect (an `authenticate` that threw, a storage
   * failure with the driver's error as `cause`, a bug), with the request; the answer never shows it
   * (500 or 503 with a generic message). Default: `console.error`.
   */
  onError?: (error: unknown, request: Request) => void;
}

/** A Fetch-standard request handler: mounts in node:http (`toNodeListener`), Next.js, Hono, Deno, Bun, workers. */
export type HttpHandler = (request: Request) => Promise<Response>;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a route's `run` receives. */
interface Context<TQuery, TBody> {
  api: LicenseContactsApi;
  /** The path parameters, decoded, in the order of the route's `:name` segments. */
  params: string[];
  /** The query string, parsed with the route's `query` schema. */
  query: TQuery;
  /** The JSON body, parsed with the route's `body` schema. */
  body: TBody;
  signal: AbortSignal;
  expectedVersion: number | undefined;
  /** The OpenAPI description of this handler's routes. */
  openApi(): OpenApiDocument;
}

/** Names of the schemas that parse a query string (objects of optional strings). */
type QuerySchemaName =
  | 'listQuery'
  | 'historyQuery'
  | 'removeQuery'
  | 'licenseQuery'
  | 'changesQuery'
  | 'requestsQuery'
  | 'eventsQuery';

/** Output of a named schema, or `undefined` for none. */
type Parsed<TName> = TName extends SchemaName ? SchemaOutput<TName> : undefined;

/**
 * One route of the handler, relative to `basePath`. Its schemas are the ones the handler parses the
 * request with and the ones `openapi.json` describes it with (`buildOpenApiDocument` reads this table).
 */
export interface Route<
  TQuery extends QuerySchemaName | undefined = QuerySchemaName | undefined,
  TBody extends SchemaName | undefined = SchemaName | undefined,
  TResponse extends SchemaName = SchemaName,
> {
  method: Method;
  /** Literal segments, or `:name` for a parameter. */
  path: string[];
  /** The `operationId`: the name of the `LicenseContactsApi` method the route serves. */
  operation: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** Schema of each `:name` parameter of `path` (their values are the service's to validate). */
  params?: Record<string, SchemaName>;
  /** Parses the query string (only the schema's keys are read; a repeated one is BAD_REQUEST). */
  query?: TQuery;
  /** Parses the JSON body; `field` names the whole body in a VALIDATION error. */
  body?: { schema: TBody; field: string };
  /** What a 200 answer holds. */
  response: TResponse;
  /** Problem codes the route answers besides those its kind implies (see `buildOpenApiDocument`). */
  errors?: readonly ErrorCode[];
  /** Changes state: cross-site refusal and Idempotency-Key. */
  mutation: boolean;
  /** Changes one license: `If-Match` becomes the service's `expectedVersion`. */
  versioned?: true;
  /** Answers a stream of server-sent events (the actor's feed) instead of JSON. */
  stream?: true;
  /** Answers without `authenticate` (the API description only); `context.api` is not there. */
  public?: true;
  run(context: Context<Parsed<TQuery>, Parsed<TBody>>): Promise<SchemaOutput<TResponse>>;
}

/** A route of any schemas, as the table holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of different schemas
export type AnyRoute = Route<any, any, any>;

/** Types a route's `run` by its schemas. */
function route<
  const TQuery extends QuerySchemaName | undefined = undefined,
  const TBody extends SchemaName | undefined = undefined,
  const TResponse extends SchemaName = SchemaName,
>(definition: Route<TQuery, TBody, TResponse>): AnyRoute {
  return definition;
}

/** A signal that never aborts, shared by reads. */
const NEVER = new AbortController().signal;

/** Whether the client of a request went away (its signal aborted). */
function clientLeft(request: Request): boolean {
  const light = request as { [CLIENT_GONE]?: () => boolean };
  return light[CLIENT_GONE] === undefined ? request.signal.aborted : light[CLIENT_GONE]();
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

/**
 * The signal a mutation runs with, taken as it starts: a command whose client already went away is
 * not applied. A request of `toNodeListener` answers that without building a signal of its own.
 */
function mutationSignal(request: Request): AbortSignal {
  const light = request as { [CLIENT_GONE]?: () => boolean };
  if (light[CLIENT_GONE] === undefined || light[CLIENT_GONE]()) return request.signal;
  return NEVER;
}
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The `Idempotency-Key` cache: in the storage, shared by every instance, when the service's storage
 * keeps keys (PostgreSQL) unless told otherwise; else in this process.
 */
function idempotencyOf(
  service: unknown,
  options: IdempotencyOptions | false | undefined,
): Idempotency | null {
  if (options === false) return null;
  const shared =
    options?.shared === undefined
      ? (service as Partial<LicenseContacts> | null)?.storage?.idempotencyKeys
      : options.shared || undefined;
  return shared ? new SharedIdempotency(shared, options ?? {}) : new IdempotencyCache(options ?? {});
}

/** Bytes queued for a slow `/events` client beyond which it is dropped (it reconnects and catches up). */
const MAX_EVENT_BACKLOG = 1024 * 1024;

/**
 * `GET /events`: the actor's feed as server-sent events, `id:` the entry's seq, from `Last-Event-ID`
 * (or `?after=`) or from now, with a comment every `heartbeatMs` so proxies keep the connection.
 * Once following, an `id:` without data (and a `: position <seq>` comment) says where the stream is,
 * so a client that started from now and loses the connection resumes from there, missing nothing.
 */
function eventStream(
  api: LicenseContactsApi,
  request: Request,
  search: string,
  heartbeatMs: number,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const resume = request.headers.get('last-event-id') ?? new URLSearchParams(search).get('after');
  const after = resume === null || resume.trim() === '' ? undefined : resume.trim();
  const encoder = new TextEncoder();
  let stop = () => {};
  try {
    return events();
  } catch (error) {
    // What a seq is, the service says (its VALIDATION of `after`); a header that is none is a bad request.
    if (error instanceof LicenseContactsError && error.code === 'VALIDATION') {
      throw new LicenseContactsError('BAD_REQUEST', 'Last-Event-ID is not an id this stream sent');
    }
    throw error;
  }

  function events(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start(controller) {
          let open = true;
          /** What was sent in this turn of the event loop: entries told together go out as one chunk. */
          let pending = '';
          const flush = () => {
            const text = pending;
            pending = '';
            if (!open) return;
            // A client that reads slower than changes come is let go: it reconnects and catches up.
            if ((controller.desiredSize ?? 0) < -MAX_EVENT_BACKLOG) return close();
            controller.enqueue(encoder.encode(text));
          };
          const send = (text: string) => {
            if (!open) return;
            if (pending === '') queueMicrotask(flush);
            pending += text;
          };
          const unwatch = api.watch((entry) => send(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`), {
            ...(after === undefined ? {} : { after }),
            onError,
            // No data, so no message: an EventSource takes the id as its last, and readers of the
            // entries see nothing new; the comment says it to parsers that drop such an id.
            onOpen: (position) => send(`id: ${position}\n: position ${position}\n\n`),
          });
          const timer = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
          (timer as { unref?: () => void }).unref?.();
          const close = () => {
            if (!open) return;
            open = false;
            unwatch();
            clearInterval(timer);
            request.signal.removeEventListener('abort', close);
            try {
              controller.close();
            } catch {
              // already closed by the reader
            }
          };
          stop = close;
          request.signal.addEventListener('abort', close);
          // The reconnection delay for EventSource clients, and a first byte through buffering proxies.
          send('retry: 2000\n: connected\n\n');
        },
        cancel() {
          stop();
        },
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
  }
}

/** Search parameters read by name; a repeated one is a malformed query string. */
function query(search: string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (!names.includes(name)) continue;
    if (Object.hasOwn(out, name)) {
      throw new LicenseContactsError('BAD_REQUEST', `The query parameter ${name} is given more than once`);
    }
    out[name] = value;
  }
  return out;
}

function mutationOptions(context: { signal: AbortSignal; expectedVersion: number | undefined }): {
  signal: AbortSignal;
  expectedVersion?: number;
} {
  return context.expectedVersion === undefined
    ? { signal: context.signal }
    : { signal: context.signal, expectedVersion: context.expectedVersion };
}

const param = (context: { params: string[] }, index: number) => context.params[index] as string;

let table: readonly AnyRoute[] | undefined;

/**
 * The routes, relative to `basePath`. Documented in README-http.md and described by `openapi.json`.
 * Built on first use, so a bundle that imports only the client from this entry leaves them out.
 */
export function routeTable(): readonly AnyRoute[] {
  table ??= buildRoutes();
  return table;
}

function buildRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: ['me'],
      operation: 'me',
      summary: 'Who the signed-in person is',
      response: 'me',
      mutation: false,
      run: ({ api, signal }) => api.me({ signal }),
    }),
    route({
      method: 'GET',
      path: ['licenses'],
      operation: 'listLicenses',
      summary: 'Licenses the signed-in person is a contact of (staff: every license), ordered by id',
      query: 'listQuery',
      response: 'licensePage',
      mutation: false,
      run({ api, signal, query: q }) {
        return api.listLicenses({
          signal,
          ...(q.query === undefined ? {} : { query: q.query }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
      },
    }),
    route({
      method: 'GET',
      path: ['licenses', ':id'],
      operation: 'getLicense',
      summary: 'One license (404 when it does not exist or the person may not see it)',
      params: { id: 'licenseId' },
      query: 'licenseQuery',
      response: 'license',
      mutation: false,
      run(context) {
        const { at } = context.query;
        return context.api.getLicense(param(context, 0), {
          signal: context.signal,
          ...(at === undefined ? {} : { at }),
        });
      },
    }),
    route({
      method: 'POST',
      path: ['licenses', ':id', 'contacts'],
      operation: 'addContact',
      summary: 'Adds a person with roles, or adds roles to a contact',
      params: { id: 'licenseId' },
      body: { schema: 'addContactBody', field: 'input' },
      response: 'license',
      mutation: true,
      versioned: true,
      run(context) {
        // Role names are the service's to validate (R11), like every other value.
        return context.api.addContact(
          param(context, 0),
          context.body as AddContactInput,
          mutationOptions(context),
        );
      },
    }),
    route({
      method: 'DELETE',
      path: ['licenses', ':id', 'contacts', ':email'],
      operation: 'removeContact',
      summary: 'Removes one role (or every role) of a contact',
      params: { id: 'licenseId', email: 'email' },
      query: 'removeQuery',
      response: 'license',
      mutation: true,
      versioned: true,
      run(context) {
        const q = context.query;
        // Onto the options object, not `{ ...options, more }` (a slow path of V8 on Node 20).
        return context.api.removeContact(
          param(context, 0),
          param(context, 1),
          Object.assign(
            mutationOptions(context),
            q.role === undefined ? {} : { role: q.role as Role },
            q.successor === undefined ? {} : { successor: q.successor },
          ),
        );
      },
    }),
    route({
      method: 'PUT',
      path: ['licenses', ':id', 'main', ':role'],
      operation: 'setMain',
      summary: 'Makes a contact the main contact of a role they hold',
      params: { id: 'licenseId', role: 'role' },
      body: { schema: 'setMainBody', field: 'email' },
      response: 'license',
      mutation: true,
      versioned: true,
      run(context) {
        return context.api.setMain(
          param(context, 0),
          param(context, 1) as Role,
          context.body.email,
          mutationOptions(context),
        );
      },
    }),
    route({
      method: 'GET',
      path: ['licenses', ':id', 'history'],
      operation: 'history',
      summary: 'The audit history of a license, newest first',
      params: { id: 'licenseId' },
      query: 'historyQuery',
      response: 'historyPage',
      errors: ['FORBIDDEN'],
      mutation: false,
      run(context) {
        const q = context.query;
        return context.api.history(param(context, 0), {
          signal: context.signal,
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
      },
    }),
    route({
      method: 'GET',
      path: ['licenses', ':id', 'permissions'],
      operation: 'permissions',
      summary: 'What the signed-in person may do on a license, with the reasons',
      params: { id: 'licenseId' },
      response: 'permissions',
      mutation: false,
      run: (context) => context.api.permissions(param(context, 0), { signal: context.signal }),
    }),
    route({
      method: 'GET',
      path: ['events'],
      operation: 'watch',
      summary:
        'The change feed of the signed-in person as server-sent events: `id:` the seq, `data:` an AuditEntry; resumes from Last-Event-ID',
      query: 'eventsQuery',
      response: 'auditEntry',
      errors: ['BAD_REQUEST'],
      mutation: false,
      stream: true,
      // Answered by the stream itself (see `eventStream`); never called.
      run: async () => {
        throw new Error('a stream route is not run');
      },
    }),
    route({
      method: 'GET',
      path: ['changes'],
      operation: 'changes',
      summary:
        'The change feed of the licenses the signed-in person was a contact of (staff: all), in seq order',
      query: 'changesQuery',
      response: 'historyPage',
      mutation: false,
      run({ api, signal, query: q }) {
        return api.changes({
          signal,
          ...(q.after === undefined ? {} : { after: q.after }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
      },
    }),
    route({
      method: 'POST',
      path: ['licenses', ':id', 'invitations'],
      operation: 'invite',
      summary: 'Invites a person, who becomes a contact with the roles offered once they accept',
      params: { id: 'licenseId' },
      body: { schema: 'addContactBody', field: 'input' },
      response: 'pendingRequest',
      mutation: true,
      run(context) {
        return context.api.invite(param(context, 0), context.body as AddContactInput, {
          signal: context.signal,
        });
      },
    }),
    route({
      method: 'POST',
      path: ['licenses', ':id', 'transfers'],
      operation: 'requestTransfer',
      summary: 'Asks for a contact of another company to become main (R13), for the other side to accept',
      params: { id: 'licenseId' },
      body: { schema: 'transferBody', field: 'body' },
      response: 'pendingRequest',
      mutation: true,
      run(context) {
        return context.api.requestTransfer(param(context, 0), context.body.role as Role, context.body.email, {
          signal: context.signal,
        });
      },
    }),
    route({
      method: 'GET',
      path: ['requests'],
      operation: 'requests',
      summary: 'Requests the person made, may decide or is the subject of, and those of their licenses',
      query: 'requestsQuery',
      response: 'requestPage',
      mutation: false,
      run({ api, signal, query: q }) {
        return api.requests({
          signal,
          ...(q.licenseId === undefined ? {} : { licenseId: q.licenseId }),
          ...(q.state === undefined ? {} : { state: q.state as RequestState }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
      },
    }),
    ...(
      [
        ['accept', 'acceptRequest', 'Accepts a request: the invitee joins, or the promotion applies now'],
        ['decline', 'declineRequest', 'Declines a request the person may decide'],
        ['cancel', 'cancelRequest', 'Withdraws a pending request'],
      ] as const
    ).map(([what, operation, summary]) =>
      route({
        method: 'POST',
        path: ['requests', ':id', what],
        operation,
        summary,
        params: { id: 'requestId' },
        response: 'pendingRequest',
        errors: ['CONFLICT'],
        mutation: true,
        run: (context) => context.api[operation](param(context, 0), { signal: context.signal }),
      }),
    ),
    route({
      method: 'POST',
      path: ['replacements'],
      operation: 'replaceContact',
      summary: 'Replaces a person who left by a successor on every license the actor may change, atomically',
      body: { schema: 'replacementBody', field: 'body' },
      response: 'replaceResult',
      errors: ['NOT_FOUND'],
      mutation: true,
      run({ api, signal, body }) {
        return api.replaceContact(body.email, body.successor, {
          signal,
          ...(body.dryRun === undefined ? {} : { dryRun: body.dryRun }),
          ...(body.licenseIds === undefined ? {} : { licenseIds: body.licenseIds }),
        });
      },
    }),
    route({
      method: 'GET',
      path: ['openapi.json'],
      operation: 'openApi',
      summary: 'This description of the API (OpenAPI 3.1)',
      response: 'openApi',
      mutation: false,
      public: true,
      run: async (context) => context.openApi(),
    }),
  ];
}

/** Routes whose literal segments match, with the raw (still percent-encoded) parameters. */
/** Routes by their number of segments: a path is compared only with the routes as long as it. */
function routesByLength(routes: readonly AnyRoute[]): Map<number, AnyRoute[]> {
  const byLength = new Map<number, AnyRoute[]>();
  for (const route of routes) {
    const same = byLength.get(route.path.length);
    if (same) same.push(route);
    else byLength.set(route.path.length, [route]);
  }
  return byLength;
}

/** The routes (of every method) whose path matches the segments, with the raw values of their `:params`. */
function matchRoutes(
  byLength: ReadonlyMap<number, readonly AnyRoute[]>,
  segments: string[],
): { route: AnyRoute; raw: string[] }[] {
  const found: { route: AnyRoute; raw: string[] }[] = [];
  for (const route of byLength.get(segments.length) ?? []) {
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const part = route.path[i] as string;
      ok = part.startsWith(':') || part === segments[i];
    }
    if (!ok) continue;
    const raw: string[] = [];
    for (let i = 0; i < segments.length; i++) {
      if ((route.path[i] as string).startsWith(':')) raw.push(segments[i] as string);
    }
    found.push({ route, raw });
  }
  return found;
}

function decodeSegment(segment: string): string {
  // Without an escape there is nothing to decode (most ids and many addresses).
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The path has a malformed percent-encoding');
  }
}

/** Each query schema's answer to an empty query string (most requests send none), frozen. */
const emptyQueries = new Map<QuerySchemaName, unknown>();

/** The query string parsed with a route's query schema (only its keys are read). */
function parseQuery(name: QuerySchemaName, search: string): unknown {
  const schema = schemas()[name];
  if (search !== '') return parseShape(schema, query(search, Object.keys(schema.entries)), 'query');
  let parsed = emptyQueries.get(name);
  if (parsed === undefined) {
    // The schema's own answer, kept: parsing the same empty object always answers the same.
    parsed = Object.freeze(parseShape(schema, {}, 'query'));
    emptyQueries.set(name, parsed);
  }
  return parsed;
}

/** A refusal the portal chose travels as it is; anything else `authenticate` throws is its failure (500). */
function authenticateFailed(error: unknown): Error {
  if (error instanceof LicenseContactsError) return error;
  return new Error('authenticate(request) threw', { cause: error });
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** Where unexpected failures go by default: the server's log, with the request line and the cause. */
function defaultOnError(error: unknown, request: Request): void {
  let where = request.url;
  try {
    where = new URL(request.url).pathname;
  } catch {
    // keep the raw URL
  }
  console.error(`License Contacts: ${request.method} ${where} failed:`, error);
}

/**
 * The OpenAPI 3.1 description of the HTTP API, as `GET {basePath}/openapi.json` serves it: write it
 * to a file for client generators such as openapi-typescript.
 */
export function createOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  return buildOpenApiDocument(routeTable(), (options.basePath ?? '/api').replace(/\/+$/, ''));
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

/** Ids of the licenses a result shows: a license, or those a replacement changed or skipped. */
function licensesShown(value: unknown): string[] {
  if (isLicense(value)) return [value.id];
  const result = value as Partial<ReplaceResult> | null;
  if (typeof result !== 'object' || result === null) return [];
  const ids = [...(result.changed ?? []), ...(result.skipped ?? [])].map((item) => item.licenseId);
  return [...new Set(ids)];
}

/** Only a success is kept: a refused or failed request changed nothing (R10), so a retry runs again. */
const keepForReplay = (response: StoredResponse) => response.status >= 200 && response.status < 300;

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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const sameOrigin = createSameOriginCheck({
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
    trustProxy: options.trustProxy === true,
  });
  const cache = idempotencyOf(service, options.idempotency);
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const all = routeTable();
  const routes = options.openApi === false ? all.filter((route) => route.operation !== 'openApi') : all;
  const byLength = routesByLength(routes);
  const onError = options.onError ?? defaultOnError;
  let document: OpenApiDocument | undefined;
  const openApi = () => {
    document ??= buildOpenApiDocument(routes, basePath);
    return document;
  };

  function report(error: unknown, request: Request): void {
    try {
      onError(error, request);
    } catch {
      // A failing logger must not change the answer.
    }
  }

  function corsHeaders(request: Request): Record<string, string> {
    const origin = request.headers.get('origin');
    if (origin === null || !sameOrigin.allows(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'ETag, Idempotency-Replayed',
      Vary: 'Origin',
    };
  }

  /** Mutations from another site are refused (CSRF), unless that site is an allowed origin. */
  function refuseCrossSite(request: Request): void {
    if (!sameOrigin(request)) {
      throw new LicenseContactsError('FORBIDDEN', 'Changes from another site are refused', {
        reason: 'CROSS_SITE',
      });
    }
  }

  /** The Api of the signed-in person: answered at once when `authenticate` answers at once. */
  function actorOf(request: Request): LicenseContactsApi | Promise<LicenseContactsApi> {
    let actor: Actor | null | undefined | PromiseLike<Actor | null | undefined>;
    try {
      actor = authenticate(request);
    } catch (error) {
      throw authenticateFailed(error);
    }
    if (isThenable(actor)) {
      return Promise.resolve(actor).then(apiOf, (error: unknown) => {
        throw authenticateFailed(error);
      });
    }
    return apiOf(actor);
  }

  function apiOf(actor: Actor | null | undefined): LicenseContactsApi {
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
    let target: RequestTarget;
    try {
      // A request of `toNodeListener` hands over its path and query as they are.
      const known = (request as { [PARSED_URL]?: () => RequestTarget })[PARSED_URL];
      target = known === undefined ? new URL(request.url) : known.call(request);
    } catch {
      return plainProblem(new LicenseContactsError('BAD_REQUEST', 'The request URL is malformed'));
    }
    const cors = corsHeaders(request);
    const path = target.pathname;
    const search = target.search;
    const inside = basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
    const matches = inside ? matchRoutes(byLength, path.slice(basePath.length).split('/').slice(1)) : [];
    if (matches.length === 0) {
      return plainProblem(new LicenseContactsError('NOT_FOUND', 'No such route'), { headers: cors });
    }
    /** The methods of this path, for `Allow` (only answers that refuse or describe need it). */
    const allowed = () => {
      const methods = matches.map(({ route }) => route.method);
      return (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    };
    // HEAD is GET without the body.
    const asked = request.method.toUpperCase();
    const head = asked === 'HEAD';
    const method = head ? 'GET' : asked;
    if (method === 'OPTIONS') {
      const allow = allowed();
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
      const allow = allowed();
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
    const route: AnyRoute = match.route;
    const expectedVersion = route.versioned ? expectedVersionOf(request) : undefined;
    const preconditionFailed = expectedVersion !== undefined;

    /** The problem answer of a failure; an unexpected one is reported once. */
    const fail = (error: unknown): StoredResponse => {
      const unexpected = !(error instanceof LicenseContactsError) || error.code === 'STORAGE';
      // A command not run because its client went away is no failure: nobody is left to answer.
      if (unexpected && !(isAbort(error) && clientLeft(request))) report(error, request);
      return storedProblem(error, preconditionFailed);
    };

    let result: StoredResponse;
    let replayed = false;
    try {
      if (route.mutation) refuseCrossSite(request);
      // A public route (the API description) is answered to anyone; it never reaches the service.
      const signedIn = route.public ? (null as unknown as LicenseContactsApi) : actorOf(request);
      const api = signedIn instanceof Promise ? await signedIn : signedIn;
      if (route.stream) {
        const body = head
          ? null
          : eventStream(api, request, search, heartbeatMs, (error) => report(error, request));
        return {
          status: 200,
          headers: {
            ...SECURITY_HEADERS,
            ...cors,
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-cache',
            'X-Accel-Buffering': 'no',
          },
          body,
        };
      }
      const params = match.raw.map(decodeSegment);
      const text = route.body === undefined ? '' : await readBodyText(request, maxBodyBytes);
      const json = route.body === undefined ? undefined : parseJsonBody(text);

      const execute = async (): Promise<StoredResponse> => {
        try {
          const context: Context<unknown, unknown> = {
            api,
            params,
            query: route.query === undefined ? undefined : parseQuery(route.query, search),
            body:
              route.body === undefined
                ? undefined
                : parseShape(schemas()[route.body.schema as SchemaName], json, route.body.field),
            // Reads are quick; a mutation whose client went away before it started is not applied.
            signal: route.mutation ? mutationSignal(request) : NEVER,
            expectedVersion,
            openApi,
          };
          const value = await route.run(context);
          const answer = stored(200, value, isLicense(value) ? [['ETag', `"${value.version}"`]] : []);
          answer.licenses = licensesShown(value);
          return answer;
        } catch (error) {
          return fail(error);
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
        const actor = JSON.stringify([me.email, me.staff]);
        const outcome = await cache.run(
          actor,
          JSON.stringify([method, path, key]),
          JSON.stringify([search, request.headers.get('if-match'), text]),
          execute,
          keepForReplay,
        );
        if (outcome.kind === 'mismatch') {
          throw new LicenseContactsError(
            'BAD_REQUEST',
            'This Idempotency-Key was used for a different request',
          );
        }
        // A replay shows nothing the actor no longer sees (R4): a removed person gets NOT_FOUND.
        if (outcome.kind === 'replayed') {
          for (const id of outcome.response.licenses ?? []) await api.getLicense(id);
        }
        result = outcome.response;
        replayed = outcome.kind === 'replayed';
      } else {
        result = await execute();
      }
    } catch (error) {
      result = fail(error);
    }

    const headers = securityHeaders();
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
      report(error, request);
      return plainProblem(error instanceof LicenseContactsError ? error : new Error('unexpected'));
    }
  }

  const handler: HttpHandler = async (request) => toResponse(await answer(request));
  Object.defineProperty(handler, PLAIN_ANSWER, { value: answer });
  return handler;
}
