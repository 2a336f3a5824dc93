// @vitest-environment node
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEntry, License, Me, Page, Permissions, ReplaceResult } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { OpenApiDocument } from '@license-contacts/core/http';
import { createHttpHandler, createOpenApiDocument } from '@license-contacts/core/http';
import { createDemoService } from '@license-contacts/core/testing';
import { compileErrors, validate } from '@readme/openapi-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createAnswerCheck } from '../../../../../tests/http/openapi';
import type { AnyRoute } from '../createHttpHandler';
import { routeTable } from '../createHttpHandler';
import { buildOpenApiDocument, openApiPath } from '../openapi';
import type { SchemaOutput } from '../schemas';

const require = createRequire(import.meta.url);
const JIRA = 'SEN-4821337';
const coreSource = fileURLToPath(new URL('../../index.ts', import.meta.url));

function authenticate(request: Request) {
  const email = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  return email ? { email } : null;
}

/** What a route table's document leaves undescribed: one sentence per gap (none when complete). */
function undescribed(routes: readonly AnyRoute[], document: OpenApiDocument): string[] {
  const gaps: string[] = [];
  const operationIds = new Set<string>();
  for (const route of routes) {
    const name = `${route.method} /${route.path.join('/')}`;
    const operation = document.paths[openApiPath(route)]?.[route.method.toLowerCase()] as
      | {
          operationId?: string;
          summary?: string;
          parameters?: { name: string; in: string; schema?: object }[];
          requestBody?: unknown;
          responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
        }
      | undefined;
    if (!operation) {
      gaps.push(`${name} is not in the document`);
      continue;
    }
    if (!operation.summary?.trim()) gaps.push(`${name} has no summary`);
    if (!operation.operationId || operationIds.has(operation.operationId)) {
      gaps.push(`${name} has no operationId of its own`);
    }
    operationIds.add(operation.operationId ?? '');
    const parameters = operation.parameters ?? [];
    for (const segment of route.path.filter((part) => part.startsWith(':'))) {
      const parameter = parameters.find((p) => p.in === 'path' && p.name === segment.slice(1));
      if (!parameter?.schema) gaps.push(`${name} does not describe its parameter ${segment}`);
    }
    if (route.query !== undefined && !parameters.some((p) => p.in === 'query')) {
      gaps.push(`${name} does not describe its query string`);
    }
    if (route.body !== undefined && operation.requestBody === undefined) {
      gaps.push(`${name} does not describe its body`);
    }
    const content = operation.responses?.['200']?.content;
    const ok = (content?.['application/json'] ?? content?.['text/event-stream'])?.schema;
    if (!ok || Object.keys(ok).length === 0) gaps.push(`${name} does not describe its answer`);
    const problems = Object.keys(operation.responses ?? {}).filter((status) => Number(status) >= 400);
    if (problems.length === 0) gaps.push(`${name} describes no problem answer`);
  }
  return gaps;
}

describe('openapi.json', () => {
  const document = createOpenApiDocument();

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every route of the handler: parameters, body, answer and problems', () => {
    const routes = routeTable();
    expect(routes.length).toBeGreaterThan(5);
    expect(undescribed(routes, document)).toEqual([]);
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
    expect(operations).toHaveLength(routes.length);
  });

  it('notices a route that is not described', () => {
    const bare = {
      method: 'GET',
      path: ['licenses', ':id', 'notes'],
      operation: 'notes',
      summary: '',
      response: 'license',
      mutation: false,
      run: async () => {
        throw new Error('not called');
      },
    } as unknown as AnyRoute;
    // Its parameter has no schema: the document cannot be written at all.
    expect(() => buildOpenApiDocument([...routeTable(), bare], '/api')).toThrow(/parameter id/);
    const described = { ...bare, params: { id: 'licenseId' } } as AnyRoute;
    const gaps = undescribed([described], buildOpenApiDocument([described], '/api'));
    expect(gaps).toEqual(['GET /licenses/:id/notes has no summary']);
    // A route missing from the document is reported too.
    expect(undescribed([described], document)).toEqual(['GET /licenses/:id/notes is not in the document']);
  });

  it('is served at {basePath}/openapi.json to anyone, and not at all with openApi: false', async () => {
    const service = createLicenseContacts();
    const handler = createHttpHandler(service, { authenticate, basePath: '/portal/api' });
    const response = await handler(new Request('http://portal.test/portal/api/openapi.json'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await response.json()) as OpenApiDocument;
    expect(served.servers).toEqual([{ url: '/portal/api' }]);
    expect(served).toEqual(createOpenApiDocument({ basePath: '/portal/api' }));

    const off = createHttpHandler(service, { authenticate, openApi: false });
    expect((await off(new Request('http://portal.test/api/openapi.json'))).status).toBe(404);
  });

  it('describes the answers as the library types them', () => {
    expectTypeOf<SchemaOutput<'license'>>().toEqualTypeOf<License>();
    expectTypeOf<SchemaOutput<'me'>>().toEqualTypeOf<Me>();
    expectTypeOf<SchemaOutput<'permissions'>>().toEqualTypeOf<Permissions>();
    expectTypeOf<SchemaOutput<'auditEntry'>>().toEqualTypeOf<AuditEntry>();
    expectTypeOf<SchemaOutput<'licensePage'>>().toEqualTypeOf<Page<License>>();
    expectTypeOf<SchemaOutput<'historyPage'>>().toEqualTypeOf<Page<AuditEntry>>();
    expectTypeOf<SchemaOutput<'replaceResult'>>().toEqualTypeOf<ReplaceResult>();
  });
});

describe('the answer check of the HTTP tests', () => {
  const check = createAnswerCheck();
  const license = {
    id: 'SEN-1',
    product: 'Jira',
    contacts: [{ email: 'a@acme.test', name: 'A', roles: ['technical', 'billing'] }],
    technical: ['a@acme.test'],
    billing: ['a@acme.test'],
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const answer = (status: number, body: unknown, type = 'application/json') => ({
    method: 'GET',
    target: '/api/licenses/SEN-1',
    status,
    contentType: `${type}; charset=utf-8`,
    body: JSON.stringify(body),
  });

  it('accepts a conforming answer', () => {
    expect(check(answer(200, license))).toEqual([]);
  });

  it('reports a missing field, an extra field, a wrong type, an undeclared status and media type', () => {
    const { version: _version, ...noVersion } = license;
    expect(check(answer(200, noVersion)).join()).toMatch(/required property 'version'/);
    expect(check(answer(200, { ...license, secret: 1 })).join()).toMatch(/additional properties/);
    expect(check(answer(200, { ...license, version: '1' })).join()).toMatch(/must be integer/);
    expect(check(answer(418, license)).join()).toMatch(/does not declare/);
    expect(check(answer(404, license)).join()).toMatch(
      /as "application\/json", not application\/problem\+json/,
    );
    expect(check({ ...answer(404, { code: 'NOT_FOUND' }, 'application/problem+json') }).join()).toMatch(
      /required property 'type'/,
    );
  });
});

/** A real answer of the handler and where the document describes it. */
interface Captured {
  path: string;
  method: string;
  status: number;
  mediaType: string;
  json: unknown;
}

describe('a client generated by openapi-typescript', () => {
  const captured: Captured[] = [];
  let types: string;

  beforeAll(async () => {
    // SEN-4821337: technical [alice, carol], billing [bob].
    const service = createDemoService();
    const handler = createHttpHandler(service, { authenticate });
    const call = async (
      method: string,
      path: string,
      target: string,
      body?: unknown,
      who: string | null = 'alice@acme.test',
    ) => {
      const headers = new Headers();
      if (who) headers.set('Authorization', `Bearer ${who}`);
      if (body !== undefined) headers.set('Content-Type', 'application/json');
      const response = await handler(
        new Request(`http://portal.test/api${target}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
      const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] as string;
      const json = (await response.json()) as { id?: string };
      captured.push({ path, method: method.toLowerCase(), status: response.status, mediaType, json });
      return json;
    };
    await call('GET', '/me', '/me');
    await call('GET', '/licenses', '/licenses?limit=1');
    await call('GET', '/licenses/{id}', `/licenses/${JIRA}`);
    await call(
      'GET',
      '/licenses/{id}',
      `/licenses/${JIRA}?at=${encodeURIComponent(new Date().toISOString())}`,
    );
    await call('GET', '/changes', '/changes?limit=3');
    await call('GET', '/licenses/{id}/permissions', `/licenses/${JIRA}/permissions`);
    await call('POST', '/licenses/{id}/contacts', `/licenses/${JIRA}/contacts`, {
      email: 'priya@acme.test',
      name: 'Priya',
      roles: ['technical'],
    });
    await call('PUT', '/licenses/{id}/main/{role}', `/licenses/${JIRA}/main/technical`, {
      email: 'priya@acme.test',
    });
    await call('GET', '/licenses/{id}/history', `/licenses/${JIRA}/history?limit=2`);
    await call(
      'DELETE',
      '/licenses/{id}/contacts/{email}',
      `/licenses/${JIRA}/contacts/carol%40acme.test?role=technical`,
    );
    await call('POST', '/replacements', '/replacements', {
      email: 'bob@acme.test',
      successor: { email: 'dan@acme.test', name: 'Dan' },
      dryRun: true,
    });
    const gina = { email: 'gina@partner.test', name: 'Gina', roles: ['technical'] };
    const invite = () => call('POST', '/licenses/{id}/invitations', `/licenses/${JIRA}/invitations`, gina);
    const first = await invite();
    await call('GET', '/requests', '/requests?limit=5');
    await call('POST', '/requests/{id}/cancel', `/requests/${first.id}/cancel`);
    const second = await invite();
    await call('POST', '/requests/{id}/decline', `/requests/${second.id}/decline`, undefined, gina.email);
    const third = await invite();
    await call('POST', '/requests/{id}/accept', `/requests/${third.id}/accept`, undefined, gina.email);
    await call(
      'POST',
      '/licenses/{id}/transfers',
      `/licenses/${JIRA}/transfers`,
      { role: 'technical', email: gina.email },
      gina.email,
    );
    await call('GET', '/licenses/{id}', '/licenses/SEN-404');
    await call('POST', '/licenses/{id}/contacts', `/licenses/${JIRA}/contacts`, {
      email: 'x',
      name: 'X',
      roles: [],
    });
    await call('GET', '/me', '/me', undefined, null);

    types = astToString(await openapiTS(createOpenApiDocument() as never));
  });

  it('answers every operation in the scenario the types are checked with', () => {
    const seen = new Set(captured.filter((c) => c.status === 200).map((c) => `${c.method} ${c.path}`));
    // The event stream never ends: events.test.ts checks it.
    const described = routeTable()
      .filter((route) => !route.public && !route.stream)
      .map((route) => `${route.method.toLowerCase()} ${openApiPath(route)}`);
    expect([...seen].sort()).toEqual(described.sort());
    expect(captured.map((c) => c.status)).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 422,
      401,
    ]);
  });

  /**
   * Type-checks the generated types and a client on them against the library's types, with each list
   * of answers in a file of its own; returns the diagnostics by file name.
   */
  async function typeCheck(files: Record<string, Captured[]>): Promise<Record<string, string[]>> {
    const dir = await mkdtemp(join(tmpdir(), 'lc-openapi-types-'));
    try {
      await writeFile(join(dir, 'api.ts'), types);
      await writeFile(
        join(dir, 'check.ts'),
        `import type { AuditEntry, License, Me, Page, PendingRequest, Permissions, ReplaceResult } from '@license-contacts/core';
import createClient from 'openapi-fetch';
import type { components, paths } from './api';

/** The generated type of one answer: never when the document does not declare it. */
export type Answer<P extends keyof paths, M extends keyof paths[P], S extends number, C extends string> =
  paths[P][M] extends { responses: infer R }
    ? S extends keyof R ? (R[S] extends { content: infer K } ? (C extends keyof K ? K[C] : never) : never) : never
    : never;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type S = components['schemas'];

export const same: [
  Same<S['License'], License>, Same<S['Me'], Me>, Same<S['Permissions'], Permissions>,
  Same<S['AuditEntry'], AuditEntry>, Same<S['LicensePage'], Page<License>>,
  Same<S['HistoryPage'], Page<AuditEntry>>, Same<S['ReplaceResult'], ReplaceResult>,
  Same<S['PendingRequest'], PendingRequest>, Same<S['RequestPage'], Page<PendingRequest>>,
] = [true, true, true, true, true, true, true, true, true];

const client = createClient<paths>({ baseUrl: 'http://portal.test/api' });
export async function promote(id: string, email: string): Promise<License | undefined> {
  const { data } = await client.PUT('/licenses/{id}/main/{role}', {
    params: { path: { id, role: 'technical' }, header: { 'If-Match': '"3"' } },
    body: { email },
  });
  return data;
}
export async function list(): Promise<License[]> {
  const { data, error } = await client.GET('/licenses', { params: { query: { query: 'jira', limit: '10' } } });
  if (error) throw new Error(error.detail);
  return data.items;
}
`,
      );
      for (const [name, answers] of Object.entries(files)) {
        const lines = answers.map(
          (a, i) =>
            `export const answer${i}: Answer<${JSON.stringify(a.path)}, ${JSON.stringify(a.method)}, ${a.status}, ${JSON.stringify(a.mediaType)}> = ${JSON.stringify(a.json)};`,
        );
        await writeFile(
          join(dir, `${name}.ts`),
          `import type { Answer } from './check';\n${lines.join('\n')}\n`,
        );
      }
      const { options, errors } = ts.convertCompilerOptionsFromJson(
        {
          strict: true,
          noEmit: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2023', 'DOM'],
          types: [],
          paths: {
            '@license-contacts/core': [coreSource],
            'openapi-fetch': [dirname(require.resolve('openapi-fetch/package.json'))],
          },
        },
        dir,
      );
      expect(errors).toEqual([]);
      const roots = ['check', ...Object.keys(files)].map((name) => join(dir, `${name}.ts`));
      const program = ts.createProgram(roots, options);
      const byFile: Record<string, string[]> = {};
      for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
        const file = diagnostic.file
          ? diagnostic.file.fileName.slice(dir.length + 1).replace(/\.ts$/, '')
          : '';
        const line = diagnostic.file
          ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line
          : -1;
        const list = byFile[file] ?? [];
        byFile[file] = list;
        list.push(`${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
      }
      return byFile;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("type-checks against the handler's real answers and the library's types, and refuses answers that differ", async () => {
    const license = captured.find((c) => c.path === '/licenses/{id}' && c.status === 200) as Captured;
    const diagnostics = await typeCheck({
      real: captured,
      // Each of these answers differs from the description in one way: a type, an extra field, a status.
      wrong: [
        { ...license, json: { ...(license.json as object), version: '2' } },
        { ...license, json: { ...(license.json as object), internal: true } },
        { ...license, status: 418 },
      ],
    });
    expect(diagnostics.real ?? []).toEqual([]);
    expect(diagnostics.check ?? []).toEqual([]);
    const wrong = diagnostics.wrong ?? [];
    expect(wrong).toHaveLength(3);
    expect(wrong[0]).toMatch(/^1: Type 'string' is not assignable to type 'number'/);
    expect(wrong[1]).toMatch(/^2: Object literal may only specify known properties, and '"internal"'/);
    expect(wrong[2]).toMatch(/^3: .*not assignable to type 'never'/);
  });
});
