import type { ConversionConfig, JsonSchema } from '@valibot/to-json-schema';
import { toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { version } from '../../package.json';
import type { ErrorCode } from '../domain/errors';
import { ERROR_STATUS } from '../domain/errors';
import type { AnyRoute } from './createHttpHandler';
import type { SchemaName } from './schemas';
import { COMPONENTS, schemas } from './schemas';

/** An OpenAPI 3.1 document, as `GET {basePath}/openapi.json` answers it. */
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
};

/** Options of `createOpenApiDocument`. */
export interface OpenApiOptions {
  /** Where the handler is mounted (its `basePath`); default `/api`. */
  basePath?: string;
}

type Code = ErrorCode | 'INTERNAL';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  304: 'Not modified since the `If-None-Match` tag',
  400: 'Malformed request (JSON, query string, percent-encoding, Idempotency-Key)',
  401: 'Not signed in',
  403: 'Refused: an action the person may not take, or a change from another site',
  404: 'No such license, or one the person may not see',
  409: 'A rule refused the change (LAST_CONTACT, DUPLICATE), or it kept conflicting',
  412: 'The license changed since the `If-Match` version',
  413: 'The body is larger than the handler accepts',
  415: 'The body is not `application/json`',
  422: 'A field is invalid; `field` names it',
  500: 'The server failed to answer',
  503: 'The storage is unavailable; nothing was changed',
};

const REF = '#/components/schemas/';

/** The problem codes a route answers: those its kind implies, plus its own `errors`. */
export function problemCodes(route: AnyRoute): Code[] {
  const codes = new Set<Code>(['INTERNAL']);
  if (!route.public)
    for (const code of ['UNAUTHENTICATED', 'BAD_REQUEST', 'STORAGE'] as const) codes.add(code);
  const params = Object.values(route.params ?? {});
  if (params.includes('licenseId') || params.includes('requestId')) codes.add('NOT_FOUND');
  if (params.length > 0 || route.query !== undefined || route.body !== undefined) codes.add('VALIDATION');
  if (route.body !== undefined) {
    for (const code of ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'BAD_REQUEST'] as const)
      codes.add(code);
  }
  if (route.mutation) for (const code of ['FORBIDDEN', 'CONFLICT', 'BAD_REQUEST'] as const) codes.add(code);
  for (const code of route.errors ?? []) codes.add(code);
  return [...codes];
}

/** The statuses a route answers with a problem body. */
function problemStatuses(route: AnyRoute): number[] {
  const statuses = new Set<number>();
  for (const code of problemCodes(route)) {
    statuses.add(code === 'INTERNAL' ? 500 : ERROR_STATUS[code]);
    if (code === 'CONFLICT' && route.versioned) statuses.add(412);
  }
  return [...statuses].sort((a, b) => a - b);
}

/** The JSON Schema of a named schema: a `$ref` to its component, or the schema written in place. */
function jsonSchemaOf(name: SchemaName, mode: 'input' | 'output'): JsonSchema {
  const component = COMPONENTS[name];
  if (component !== undefined) return { $ref: `${REF}${component}` };
  return convert(schemas()[name] as v.GenericSchema, mode);
}

function definitions(): Record<string, v.GenericSchema> {
  const all = schemas();
  return Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, component]) => [component, all[name as SchemaName]]),
  ) as Record<string, v.GenericSchema>;
}

/**
 * Bodies and answers are described as what they parse to: request shapes check "an object, not a
 * list" before reading one, and the object is what they describe. Parameters are described as the
 * strings they are sent as (a `limit` before it becomes a number); they never refer to components.
 */
function config(mode: 'input' | 'output'): ConversionConfig {
  return {
    target: 'draft-2020-12',
    typeMode: mode,
    ...(mode === 'output' ? { definitions: definitions() } : {}),
    overrideRef: ({ referenceId }) => `${REF}${referenceId}`,
  };
}

function convert(schema: v.GenericSchema, mode: 'input' | 'output'): JsonSchema {
  const { $schema: _schema, $defs: _defs, ...rest } = toJsonSchema(schema, config(mode));
  return rest;
}

/** Query parameters from an object schema of optional strings. */
function queryParameters(name: SchemaName): unknown[] {
  const schema = schemas()[name] as unknown as v.ObjectSchema<v.ObjectEntries, undefined>;
  return Object.entries(schema.entries).map(([key, entry]) => {
    const optional = entry.type === 'optional';
    const inner = optional ? (entry as v.OptionalSchema<v.GenericSchema, undefined>).wrapped : entry;
    const json = convert(inner as v.GenericSchema, 'input');
    return {
      name: key,
      in: 'query',
      required: !optional,
      ...(json.description === undefined ? {} : { description: json.description }),
      schema: json,
    };
  });
}

const header = (name: string, description: string, required = false) => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string' },
});

function operation(route: AnyRoute): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const segment of route.path) {
    if (!segment.startsWith(':')) continue;
    const name = segment.slice(1);
    const schemaName = route.params?.[name];
    if (schemaName === undefined) {
      throw new Error(
        `Route ${route.method} /${route.path.join('/')} does not describe its parameter ${name}`,
      );
    }
    const json = jsonSchemaOf(schemaName, 'input');
    parameters.push({
      name,
      in: 'path',
      required: true,
      ...(json.description === undefined ? {} : { description: json.description }),
      schema: json,
    });
  }
  if (route.query !== undefined) parameters.push(...queryParameters(route.query));
  const etagged = route.response === 'license';
  if (route.versioned) {
    parameters.push(header('If-Match', 'Apply only if the license is still at this version (its `ETag`)'));
  }
  if (route.mutation) {
    parameters.push(
      header(
        'Idempotency-Key',
        'A retry with the same key answers the first response instead of acting again',
      ),
    );
  }
  if (etagged && route.method === 'GET') {
    parameters.push(header('If-None-Match', 'Answer 304 if the license still has this `ETag`'));
  }
  if (route.stream) {
    parameters.push(header('Last-Event-ID', 'Resume after this seq (browsers send it when they reconnect)'));
  }

  const problem = { 'application/problem+json': { schema: { $ref: `${REF}Problem` } } };
  const responses: Record<string, unknown> = {
    200: {
      description: route.summary,
      ...(etagged
        ? {
            headers: {
              ETag: { description: 'The license version, for `If-Match`', schema: { type: 'string' } },
            },
          }
        : {}),
      content: route.stream
        ? {
            'text/event-stream': {
              schema: {
                type: 'string',
                description:
                  'Events `id: <seq>` / `data: <AuditEntry as JSON>`; once following, `id: <seq>` without data and a `: position <seq>` comment (where the stream is); a `: heartbeat` comment every 15 s',
              },
              'x-event-data': jsonSchemaOf(route.response, 'output'),
            },
          }
        : { 'application/json': { schema: jsonSchemaOf(route.response, 'output') } },
    },
  };
  if (etagged && route.method === 'GET') responses[304] = { description: STATUS_TEXT[304] };
  for (const status of problemStatuses(route)) {
    responses[status] = { description: STATUS_TEXT[status] ?? 'Refused', content: problem };
  }

  return {
    operationId: route.operation,
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(route.body.schema, 'output') } },
          },
        }),
    responses,
  };
}

/** The OpenAPI path of a route: `/licenses/{id}`. */
export function openApiPath(route: AnyRoute): string {
  return `/${route.path.map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment)).join('/')}`;
}

/**
 * The OpenAPI 3.1 document of a route table: every route with its parameters, body, answer and
 * problem statuses, from the same valibot schemas the handler parses requests with.
 */
export function buildOpenApiDocument(routes: readonly AnyRoute[], basePath: string): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route);
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route);
  }
  const { definitions: _definitions, ...defsConfig } = config('output');
  const components = toJsonSchemaDefs(definitions(), defsConfig);
  return {
    openapi: '3.1.0',
    info: {
      title: 'License Contacts API',
      version,
      description:
        'Technical and billing contacts of software licenses. Errors are `application/problem+json` with a `code`.',
    },
    servers: [{ url: basePath === '' ? '/' : basePath }],
    paths,
    components: { schemas: components },
  };
}
