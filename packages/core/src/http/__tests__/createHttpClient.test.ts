// @vitest-environment node

import type { Actor } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import { createHttpClient, createHttpHandler } from '@license-contacts/core/http';
import { beforeEach, describe, expect, it } from 'vitest';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
  signal: AbortSignal | null | undefined;
}

const person = { email: 'carol@acme.test', name: 'Carol', roles: ['technical' as const] };

/** A fetch that records what it was given and answers with `answer`. */
function recorder(answer: (sent: Sent, count: number) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const entry: Sent = {
      url: String(input),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: (init.body as string | null | undefined) ?? null,
      signal: init.signal,
    };
    sent.push(entry);
    return answer(entry, sent.length);
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

const json = (body: unknown, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('createHttpClient requests', () => {
  it('builds each route with encoded path segments and query parameters', async () => {
    const { sent, fetch } = recorder(() => json({ items: [] }));
    const api = createHttpClient({ baseUrl: 'http://api.test/base/', fetch });
    await api.listLicenses({ query: 'a&b', limit: 5 });
    await api.getLicense('SEN-1');
    await api.removeContact('SEN-1', 'x/y?z@acme.test', { role: 'billing', successor: 's@acme.test' });
    await api.setMain('SEN-1', 'technical', 'carol@acme.test');
    await api.history('SEN-1', { cursor: '3' });
    await api.permissions('SEN-1');
    await api.replaceContact('bob@acme.test', { email: 'dan@acme.test', name: 'Dan' }, { dryRun: true });
    await api.me();
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET http://api.test/base/licenses?query=a%26b&limit=5',
      'GET http://api.test/base/licenses/SEN-1',
      'DELETE http://api.test/base/licenses/SEN-1/contacts/x%2Fy%3Fz%40acme.test?role=billing&successor=s%40acme.test',
      'PUT http://api.test/base/licenses/SEN-1/main/technical',
      'GET http://api.test/base/licenses/SEN-1/history?cursor=3',
      'GET http://api.test/base/licenses/SEN-1/permissions',
      'POST http://api.test/base/replacements',
      'GET http://api.test/base/me',
    ]);
    expect(JSON.parse(sent[3]?.body ?? '')).toEqual({ email: 'carol@acme.test' });
    expect(JSON.parse(sent[6]?.body ?? '')).toEqual({
      email: 'bob@acme.test',
      successor: { email: 'dan@acme.test', name: 'Dan' },
      dryRun: true,
    });
    expect(sent[6]?.headers.get('content-type')).toBe('application/json');
  });

  it('never sends an actor, only the configured headers (static or per request)', async () => {
    const { sent, fetch } = recorder(() => json({ email: 'a@acme.test', staff: false }));
    let n = 0;
    const api = createHttpClient({
      baseUrl: '/api',
      fetch,
      headers: () => ({ Authorization: `Bearer t${++n}` }),
    });
    await api.me();
    await api.me();
    expect(sent.map((s) => s.headers.get('authorization'))).toEqual(['Bearer t1', 'Bearer t2']);
    expect(sent[0]?.url).toBe('/api/me');
    expect(sent[0]?.body).toBeNull();
  });

  it('sends If-Match with expectedVersion and an Idempotency-Key on every mutation only', async () => {
    const { sent, fetch } = recorder(() => json({ id: 'SEN-1', version: 3, technical: [] }));
    const api = createHttpClient({ baseUrl: '/api', fetch });
    await api.addContact('SEN-1', person, { expectedVersion: 2 });
    await api.addContact('SEN-1', person);
    await api.getLicense('SEN-1');
    expect(sent[0]?.headers.get('if-match')).toBe('"2"');
    expect(sent[1]?.headers.get('if-match')).toBeNull();
    const keys = sent.map((s) => s.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBeNull();
  });

  it('passes the call signal to fetch', async () => {
    const { sent, fetch } = recorder(() => json({ email: 'a@acme.test', staff: false }));
    const controller = new AbortController();
    await createHttpClient({ baseUrl: '/api', fetch }).me({ signal: controller.signal });
    expect(sent[0]?.signal).toBe(controller.signal);
  });
});

describe('createHttpClient errors', () => {
  it('rebuilds LicenseContactsError with code, field, reason and message from problem+json', async () => {
    const problem = {
      type: 'x',
      title: 'x',
      status: 403,
      code: 'FORBIDDEN',
      detail: 'Only the main…',
      reason: 'NOT_MAIN',
    };
    const { fetch } = recorder(() => json(problem, 403, 'application/problem+json'));
    const error = (await failure(
      createHttpClient({ baseUrl: '/api', fetch }).getLicense('SEN-1'),
    )) as LicenseContactsError;
    expect(error).toBeInstanceOf(LicenseContactsError);
    expect([error.code, error.reason, error.message, error.field]).toEqual([
      'FORBIDDEN',
      'NOT_MAIN',
      'Only the main…',
      undefined,
    ]);
    const { fetch: f2 } = recorder(() =>
      json({ status: 422, code: 'VALIDATION', detail: 'bad', field: 'roles' }, 422),
    );
    const validation = (await failure(
      createHttpClient({ baseUrl: '/api', fetch: f2 }).me(),
    )) as LicenseContactsError;
    expect([validation.code, validation.field, validation.status]).toEqual(['VALIDATION', 'roles', 422]);
  });

  it('turns a rejected fetch into NETWORK with the cause, after one retry by default', async () => {
    const cause = new TypeError('fetch failed');
    const { sent, fetch } = recorder(() => {
      throw cause;
    });
    const api = createHttpClient({ baseUrl: '/api', fetch, retryDelay: () => 0 });
    const error = (await failure(api.getLicense('SEN-1'))) as LicenseContactsError;
    expect(error.code).toBe('NETWORK');
    expect(error.cause).toBe(cause);
    expect(sent).toHaveLength(2);
  });

  it('answers NETWORK to a garbled or foreign answer: the outcome is unknown', async () => {
    const answers = [
      new Response('<html>Bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
      new Response('{"code":"TEAPOT"}', { status: 418 }),
      new Response('{"items": [', { status: 200 }),
      new Response('"just a string"', { status: 200 }),
      json({ status: 500, code: 'INTERNAL', detail: 'failed' }, 500),
    ];
    for (const answer of answers) {
      const { fetch } = recorder(() => answer);
      const error = (await failure(
        createHttpClient({ baseUrl: '/api', fetch }).listLicenses(),
      )) as LicenseContactsError;
      expect(error).toBeInstanceOf(LicenseContactsError);
      expect(error.code).toBe('NETWORK');
    }
  });

  it('rejects an aborted call with the AbortError, not NETWORK, and does not retry it', async () => {
    const { sent, fetch } = recorder(
      (s) =>
        new Promise<Response>((_, reject) => {
          s.signal?.addEventListener('abort', () => reject(s.signal?.reason));
        }),
    );
    const controller = new AbortController();
    const pending = createHttpClient({ baseUrl: '/api', fetch }).addContact('SEN-1', person, {
      signal: controller.signal,
    });
    controller.abort();
    const error = (await failure(pending)) as Error;
    expect(error.name).toBe('AbortError');
    expect(error).not.toBeInstanceOf(LicenseContactsError);
    expect(sent).toHaveLength(1);
    const early = (await failure(
      createHttpClient({ baseUrl: '/api', fetch }).me({ signal: controller.signal }),
    )) as Error;
    expect(early.name).toBe('AbortError');
    expect(sent).toHaveLength(1);
  });

  it('refuses a path value that is not a string with VALIDATION naming it', async () => {
    const { sent, fetch } = recorder(() => json({}));
    const api = createHttpClient({ baseUrl: '/api', fetch });
    const error = (await failure(api.getLicense(42 as never))) as LicenseContactsError;
    expect([error.code, error.field]).toEqual(['VALIDATION', 'licenseId']);
    expect(sent).toHaveLength(0);
  });
});

describe('createHttpClient retries with an Idempotency-Key', () => {
  let handler: (request: Request) => Promise<Response>;
  let service: ReturnType<typeof createLicenseContacts>;
  const alice: Actor = { email: 'alice@acme.test' };

  beforeEach(async () => {
    service = createLicenseContacts();
    await service.createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    handler = createHttpHandler(service, { authenticate: () => alice });
  });

  it('applies a change once when the first response is lost and the retry carries the same key', async () => {
    const keys: (string | null)[] = [];
    let lost = 0;
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(new URL(String(input), 'http://portal.test'), init);
      keys.push(request.headers.get('idempotency-key'));
      const response = await handler(request);
      if (lost++ === 0) throw new TypeError('socket hang up'); // applied, but the answer never arrived
      return response;
    }) as typeof globalThis.fetch;
    const api = createHttpClient({ baseUrl: '/api', fetch, retryDelay: () => 0 });
    const license = await api.addContact('SEN-1', person);
    expect(license.technical).toEqual(['alice@acme.test', 'carol@acme.test']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect((await service.findLicense('SEN-1'))?.version).toBe(2);
  });
});
