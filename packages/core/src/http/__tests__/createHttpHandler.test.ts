// @vitest-environment node

import type {
  Actor,
  LicenseContacts,
  LicenseContactsApi,
  LicenseContactsOptions,
  LicenseStorage,
} from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError, memoryStorage } from '@license-contacts/core';
import type { HttpHandlerOptions } from '@license-contacts/core/http';
import { createHttpHandler, createOpenApiDocument } from '@license-contacts/core/http';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnswerCheck } from '../../../../../tests/http/openapi';
import { createAnswerCheck } from '../../../../../tests/http/openapi';

const ORIGIN = 'http://portal.test';
const alice: Actor = { email: 'alice@acme.test' };

function authenticate(request: Request): Actor | null {
  const match = /^Bearer (staff:)?(\S+)$/.exec(request.headers.get('authorization') ?? '');
  return match ? { email: match[2] as string, staff: match[1] !== undefined } : null;
}

interface Send {
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
  actor?: Actor | null;
}

let service: LicenseContacts;
let handler: (request: Request) => Promise<Response>;
/** What the handler reported through `onError`. */
let reported: unknown[];
/** Checks answers against the OpenAPI document of the handler's basePath. */
let check: AnswerCheck;
const checks = new Map<string, AnswerCheck>();

function checkFor(basePath: string): AnswerCheck {
  let found = checks.get(basePath);
  if (!found) {
    found = createAnswerCheck(createOpenApiDocument({ basePath }));
    checks.set(basePath, found);
  }
  return found;
}

function make(options: Partial<HttpHandlerOptions> = {}) {
  check = checkFor((options.basePath ?? '/api').replace(/\/+$/, ''));
  return createHttpHandler(service, { authenticate, onError: (error) => reported.push(error), ...options });
}

function request(method: string, path: string, send: Send = {}): Request {
  const headers = new Headers(send.headers);
  const actor = send.actor === undefined ? alice : send.actor;
  if (actor) headers.set('Authorization', `Bearer ${actor.staff ? 'staff:' : ''}${actor.email}`);
  let body: BodyInit | undefined = send.raw;
  if (send.body !== undefined) {
    body = JSON.stringify(send.body);
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  }
  return new Request(`${ORIGIN}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

/** Sends a request to the handler; its answer must conform to the handler's OpenAPI document. */
async function call(method: string, path: string, send: Send = {}) {
  const response = await handler(request(method, path, send));
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  expect(check({ method, target: path, status: response.status, contentType, body: text })).toEqual([]);
  return { response, status: response.status, json: text === '' ? undefined : JSON.parse(text), text };
}

const version = async (id = 'SEN-1') => (await service.findLicense(id))?.version;

/** A service over `options` holding SEN-1 (technical alice, billing bob), and a handler on it. */
async function start(options: LicenseContactsOptions = { retryDelay: () => 0 }): Promise<void> {
  reported = [];
  service = createLicenseContacts(options);
  await service.createLicense({
    id: 'SEN-1',
    product: 'Jira',
    technical: { email: 'alice@acme.test', name: 'Alice' },
    billing: { email: 'bob@acme.test', name: 'Bob' },
  });
  handler = make();
}

beforeEach(() => start());

describe('createHttpHandler routes', () => {
  it('answers every Api method on its route', async () => {
    expect((await call('GET', '/api/me')).json).toEqual({ email: 'alice@acme.test', staff: false });
    expect((await call('GET', '/api/licenses?query=jir&limit=5')).json.items).toHaveLength(1);
    expect((await call('GET', '/api/licenses/SEN-1')).json.id).toBe('SEN-1');
    const added = await call('POST', '/api/licenses/SEN-1/contacts', {
      body: { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
    });
    expect(added.status).toBe(200);
    expect(added.json.technical).toEqual(['alice@acme.test', 'carol@acme.test']);
    const main = await call('PUT', '/api/licenses/SEN-1/main/technical', {
      body: { email: 'carol@acme.test' },
    });
    expect(main.json.technical).toEqual(['carol@acme.test', 'alice@acme.test']);
    const removed = await call('DELETE', '/api/licenses/SEN-1/contacts/alice%40acme.test?role=technical');
    expect(removed.json.technical).toEqual(['carol@acme.test']);
    const staff = { actor: { email: 'ops@vendor.test', staff: true } };
    expect(
      (await call('GET', '/api/licenses/SEN-1/history?limit=2', staff)).json.items.map(
        (e: { version: number }) => e.version,
      ),
    ).toEqual([4, 3]);
    expect((await call('GET', '/api/licenses/SEN-1/permissions', staff)).json.addContact).toEqual({
      allowed: true,
    });
    const replaced = await call('POST', '/api/replacements', {
      ...staff,
      body: { email: 'bob@acme.test', successor: { email: 'dan@acme.test', name: 'Dan' }, dryRun: true },
    });
    expect(replaced.json).toMatchObject({ dryRun: true, skipped: [] });
    expect(replaced.json.changed[0].after.billing).toEqual(['dan@acme.test']);
  });

  it('round-trips emails with reserved URL characters through path segments', async () => {
    const email = "o'brien+x/y%z?#@acme.test";
    await call('POST', '/api/licenses/SEN-1/contacts', { body: { email, name: 'O', roles: ['billing'] } });
    const removed = await call('DELETE', `/api/licenses/SEN-1/contacts/${encodeURIComponent(email)}`);
    expect(removed.status).toBe(200);
    expect(removed.json.billing).toEqual(['bob@acme.test']);
  });

  it('serves under another basePath and nowhere else', async () => {
    handler = make({ basePath: '/v1/contacts/' });
    expect((await call('GET', '/v1/contacts/me')).status).toBe(200);
    expect((await call('GET', '/api/me')).status).toBe(404);
    expect((await call('GET', '/v1/contactsme')).status).toBe(404);
  });

  it('answers 404 NOT_FOUND to an unknown route and 405 with Allow to a wrong method', async () => {
    const unknown = await call('GET', '/api/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const wrong = await call('PATCH', '/api/licenses/SEN-1');
    expect(wrong.status).toBe(405);
    expect(wrong.json.code).toBe('METHOD_NOT_ALLOWED');
    expect(wrong.response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const head = await handler(request('HEAD', '/api/licenses/SEN-1'));
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe('"1"');
    expect(await head.text()).toBe('');
    const post = await call('POST', '/api/licenses/SEN-1/contacts/bob%40acme.test');
    expect(post.response.headers.get('allow')).toBe('DELETE, OPTIONS');
  });

  it('answers 401 UNAUTHENTICATED when authenticate returns nothing, also asynchronously', async () => {
    const anonymous = await call('GET', '/api/me', { actor: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.code).toBe('UNAUTHENTICATED');
    handler = make({ authenticate: async () => undefined });
    expect((await call('POST', '/api/licenses/SEN-1/contacts', { body: {} })).status).toBe(401);
    handler = make({ authenticate: async () => ({ email: 'not an email' }) });
    expect((await call('GET', '/api/me')).status).toBe(401);
  });

  it('passes the Fetch request to authenticate', async () => {
    const seen: string[] = [];
    handler = make({
      authenticate(request) {
        seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('cookie')}`);
        return alice;
      },
    });
    await call('GET', '/api/me', { headers: { Cookie: 'session=1' } });
    expect(seen).toEqual(['GET /api/me session=1']);
  });
});

describe('createHttpHandler input', () => {
  it('names the wrong field with 422 VALIDATION, as the service does', async () => {
    const add = (body: unknown) => call('POST', '/api/licenses/SEN-1/contacts', { body });
    expect((await add({ email: 5, name: 'C', roles: ['technical'] })).json).toMatchObject({
      code: 'VALIDATION',
      field: 'email',
    });
    expect((await add({ email: 'c@acme.test', roles: ['technical'] })).json.field).toBe('name');
    expect((await add({ email: 'c@acme.test', name: 'C', roles: 'technical' })).json.field).toBe('roles');
    expect((await add({ email: 'c@acme.test', name: 'C', roles: [1] })).json.field).toBe('roles');
    expect((await add({ email: 'c@acme.test', name: 'C', roles: ['boss'] })).json.field).toBe('roles');
    expect((await add([1, 2])).json.field).toBe('input');
    expect((await add('text')).status).toBe(422);
    const replace = (body: unknown) => call('POST', '/api/replacements', { body });
    expect((await replace({ email: 'b@acme.test', successor: { email: 7, name: 'D' } })).json.field).toBe(
      'successor.email',
    );
    expect((await replace({ email: 'b@acme.test', successor: 'dan' })).json.field).toBe('successor');
    expect((await replace({ email: 'b@acme.test', successor: ['d@acme.test'] })).json.field).toBe(
      'successor',
    );
    expect(
      (await replace({ email: 'b@acme.test', successor: { email: 'd@acme.test', name: 'D' }, dryRun: 1 }))
        .json.field,
    ).toBe('dryRun');
    expect(
      (
        await replace({
          email: 'b@acme.test',
          successor: { email: 'd@acme.test', name: 'D' },
          licenseIds: ['ok', 3],
        })
      ).json.field,
    ).toBe('licenseIds');
    expect(
      (await call('PUT', '/api/licenses/SEN-1/main/technical', { body: { mail: 'x' } })).json.field,
    ).toBe('email');
    expect(
      (await call('PUT', '/api/licenses/SEN-1/main/boss', { body: { email: 'alice@acme.test' } })).json.field,
    ).toBe('role');
    expect((await call('GET', '/api/licenses?limit=ten')).json.field).toBe('limit');
    expect((await call('GET', '/api/licenses?limit=0')).json.field).toBe('limit');
    expect((await call('GET', '/api/licenses/SEN-1/history?cursor=zz')).json.field).toBe('cursor');
    expect((await call('GET', '/api/licenses/bad%20id')).json.field).toBe('licenseId');
    expect((await call('DELETE', '/api/licenses/SEN-1/contacts/bob%40acme.test?role=boss')).json.field).toBe(
      'role',
    );
    expect(await version()).toBe(1);
  });

  it('reads each query string on its own: none, then some, then none again', async () => {
    const staff = { actor: { email: 'ops@vendor.test', staff: true } };
    await service.createLicense({
      id: 'SEN-2',
      product: 'Confluence',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    const all = (await call('GET', '/api/licenses', staff)).json.items.length;
    expect(all).toBe(2);
    expect((await call('GET', '/api/licenses?limit=1', staff)).json.items).toHaveLength(1);
    expect((await call('GET', '/api/licenses?', staff)).json.items).toHaveLength(all);
    expect((await call('GET', '/api/licenses?limit=ten', staff)).json.field).toBe('limit');
    expect((await call('GET', '/api/licenses', staff)).json.items).toHaveLength(all);
    expect((await call('GET', '/api/licenses?other=1', staff)).json.items).toHaveLength(all);
  });

  it('answers 400 BAD_REQUEST to malformed JSON, an empty body, bad UTF-8, a repeated parameter or a bad escape', async () => {
    const post = (raw: BodyInit) =>
      call('POST', '/api/licenses/SEN-1/contacts', { raw, headers: { 'Content-Type': 'application/json' } });
    for (const raw of ['{"email":', '', '   ', "{'a':1}", 'NaN', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
      const answer = await post(raw);
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe('BAD_REQUEST');
    }
    expect((await call('GET', '/api/licenses?limit=1&limit=2')).status).toBe(400);
    expect((await call('GET', '/api/licenses/%E0%A4%A')).status).toBe(400);
    expect(await version()).toBe(1);
  });

  it('answers 415 to a body that is not application/json', async () => {
    const body = JSON.stringify({ email: 'c@acme.test', name: 'C', roles: ['technical'] });
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/jsonx',
    ]) {
      const answer = await call('POST', '/api/licenses/SEN-1/contacts', {
        raw: body,
        headers: { 'Content-Type': type },
      });
      expect(answer.status).toBe(415);
      expect(answer.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const ok = await call('POST', '/api/licenses/SEN-1/contacts', {
      raw: body,
      headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' },
    });
    expect(ok.status).toBe(200);
  });

  it('answers 413 from Content-Length before reading, and while reading a body without one', async () => {
    handler = make({ maxBodyBytes: 100 });
    const big = JSON.stringify({ email: 'c@acme.test', name: 'x'.repeat(200), roles: ['technical'] });
    const declared = await call('POST', '/api/licenses/SEN-1/contacts', {
      raw: big,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(declared.status).toBe(413);
    expect(declared.json.code).toBe('PAYLOAD_TOO_LARGE');

    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64).fill(0x20));
      },
    });
    const streamed = await handler(
      new Request(`${ORIGIN}/api/licenses/SEN-1/contacts`, {
        method: 'POST',
        body: endless,
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer alice@acme.test' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(await version()).toBe(1);
  });
});

describe('createHttpHandler responses', () => {
  it('sends the security headers and JSON content type on answers and problems', async () => {
    for (const answer of [
      await call('GET', '/api/licenses/SEN-1'),
      await call('GET', '/api/licenses/SEN-9'),
    ]) {
      expect(answer.response.headers.get('cache-control')).toBe('no-store');
      expect(answer.response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await call('GET', '/api/me')).response.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    const problem = await call('GET', '/api/licenses/SEN-9');
    expect(problem.response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(problem.json).toEqual({
      type: 'urn:license-contacts:error:NOT_FOUND',
      title: 'Not found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'License SEN-9 not found',
    });
  });

  it('sends an ETag with a license and 304 to a matching If-None-Match', async () => {
    const first = await call('GET', '/api/licenses/SEN-1');
    expect(first.response.headers.get('etag')).toBe('"1"');
    const again = await call('GET', '/api/licenses/SEN-1', { headers: { 'If-None-Match': '"1"' } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.response.headers.get('etag')).toBe('"1"');
    const stale = await call('GET', '/api/licenses/SEN-1', { headers: { 'If-None-Match': '"0", W/"7"' } });
    expect(stale.status).toBe(200);
    const outsider = await call('GET', '/api/licenses/SEN-1', {
      actor: { email: 'eve@other.test' },
      headers: { 'If-None-Match': '"1"' },
    });
    expect(outsider.status).toBe(404);
  });

  it('maps If-Match to expectedVersion: 412 CONFLICT when stale, applied when current', async () => {
    const body = { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] };
    const stale = await call('POST', '/api/licenses/SEN-1/contacts', {
      body,
      headers: { 'If-Match': '"7"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.json.code).toBe('CONFLICT');
    const bad = await call('POST', '/api/licenses/SEN-1/contacts', {
      body,
      headers: { 'If-Match': '"abc"' },
    });
    expect(bad.json).toMatchObject({ status: 422, field: 'expectedVersion' });
    expect(await version()).toBe(1);
    const current = await call('POST', '/api/licenses/SEN-1/contacts', {
      body,
      headers: { 'If-Match': '"1"' },
    });
    expect(current.status).toBe(200);
    expect(current.response.headers.get('etag')).toBe('"2"');
    const any = await call('DELETE', '/api/licenses/SEN-1/contacts/carol%40acme.test', {
      headers: { 'If-Match': '*' },
    });
    expect(any.status).toBe(200);
  });

  it('answers a storage failure with 503 STORAGE and a generic detail', async () => {
    const storage = memoryStorage();
    service = createLicenseContacts({
      storage: {
        ...storage,
        getLicense: () => Promise.reject(new Error('FATAL: relation "licenses" SELECT * FROM secret')),
      },
    });
    handler = make();
    const answer = await call('GET', '/api/licenses/SEN-1');
    expect(answer.status).toBe(503);
    expect(answer.json.code).toBe('STORAGE');
    expect(answer.text).not.toMatch(/SELECT|relation|FATAL/);
  });

  it('answers an unexpected failure with 500 and nothing of what was thrown', async () => {
    const secret = new Error('SELECT password FROM users\n    at Object.<anonymous> (/srv/app.js:1:1)');
    const failing = { as: (): LicenseContactsApi => ({ me: () => Promise.reject(secret) }) as never };
    handler = createHttpHandler(failing, { authenticate });
    const answer = await call('GET', '/api/me');
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(answer.text).not.toMatch(/SELECT|at Object|app\.js/);

    handler = make({ authenticate: () => Promise.reject(secret) });
    const auth = await call('GET', '/api/me');
    expect(auth.status).toBe(500);
    expect(auth.text).not.toMatch(/SELECT|app\.js/);
  });

  it('reports an authenticate that throws once, with its cause, and answers 500 without it', async () => {
    const cause = new TypeError("Cannot read properties of undefined (reading 'session')");
    handler = make({
      authenticate: () => {
        throw cause;
      },
    });
    const answer = await call('POST', '/api/licenses/SEN-1/contacts', {
      body: { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
      headers: { 'Idempotency-Key': 'k-1' },
    });
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({
      code: 'INTERNAL',
      detail: 'The server failed to answer this request',
    });
    expect(answer.text).not.toMatch(/session|TypeError|at /);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(Error);
    expect((reported[0] as Error).message).toBe('authenticate(request) threw');
    expect((reported[0] as Error).cause).toBe(cause);
  });

  it('reports storage failures with the driver error as their cause, and refusals not at all', async () => {
    const driver = new Error('FATAL: relation "licenses" does not exist');
    const storage = memoryStorage();
    service = createLicenseContacts({
      storage: { ...storage, getLicense: () => Promise.reject(driver) },
    });
    handler = make();
    expect((await call('GET', '/api/licenses/SEN-1')).status).toBe(503);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(LicenseContactsError);
    expect((reported[0] as LicenseContactsError).code).toBe('STORAGE');
    expect((reported[0] as Error).cause).toBe(driver);

    reported.length = 0;
    handler = make({
      authenticate: () => Promise.reject(new LicenseContactsError('UNAUTHENTICATED', 'Expired')),
    });
    const refused = await call('GET', '/api/me');
    expect(refused.status).toBe(401);
    expect(refused.json.detail).toBe('Expired');
    expect(reported).toEqual([]);
  });

  it('logs unexpected failures with console.error by default, and survives a failing onError', async () => {
    const cause = new Error('session store down');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      handler = createHttpHandler(service, { authenticate: () => Promise.reject(cause) });
      expect((await call('GET', '/api/me')).status).toBe(500);
      expect(errors).toHaveBeenCalledTimes(1);
      const [message, error] = errors.mock.calls[0] as [string, Error];
      expect(message).toBe('License Contacts: GET /api/me failed:');
      expect(error.cause).toBe(cause);
    } finally {
      errors.mockRestore();
    }
    handler = make({
      authenticate: () => Promise.reject(cause),
      onError: () => {
        throw new Error('logger down');
      },
    });
    expect((await call('GET', '/api/me')).status).toBe(500);
  });

  it('names the cause when a framework read the body before the handler', async () => {
    const consumed = request('POST', '/api/licenses/SEN-1/contacts', {
      body: { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
    });
    await consumed.json(); // what a framework's body parser does
    const response = await handler(consumed);
    const text = await response.text();
    expect(
      check({
        method: 'POST',
        target: '/api/licenses/SEN-1/contacts',
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: text,
      }),
    ).toEqual([]);
    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(
        /already read .*body parser such as express\.json\(\).*mount the handler before/,
      ),
    });
    expect(await version()).toBe(1);
  });

  it('keeps only the first line of a library error message', async () => {
    const failing = {
      as: (): LicenseContactsApi =>
        ({
          addContact: () =>
            Promise.reject(new LicenseContactsError('FORBIDDEN', 'No.\n    at x (/srv/a.js:1:1)')),
        }) as never,
    };
    handler = createHttpHandler(failing, { authenticate });
    const answer = await call('POST', '/api/licenses/SEN-1/contacts', {
      body: { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
    });
    expect(answer.json.detail).toBe('No.');
  });
});

describe('createHttpHandler authenticated identity (R14)', () => {
  it('normalises the actor authenticate returns exactly as the service normalises input', async () => {
    let who = '\u212Aelly@ａｃｍｅ.test';
    handler = make({ authenticate: () => ({ email: who }) });
    await service
      .as(alice)
      .addContact('SEN-1', { email: 'kelly@acme.test', name: 'Kelly', roles: ['billing'] });
    expect((await call('GET', '/api/me')).json).toEqual({ email: 'kelly@acme.test', staff: false });
    expect((await call('GET', '/api/licenses/SEN-1')).status).toBe(200);
    // Keys are kept per normalised actor: the same person under another spelling replays.
    const add = () =>
      call('POST', '/api/licenses/SEN-1/contacts', {
        body: { email: 'lee@acme.test', name: 'Lee', roles: ['technical'] },
        headers: { 'Idempotency-Key': 'k-kelly' },
      });
    expect((await add()).status).toBe(200);
    who = 'KELLY@ACME.TEST';
    expect((await add()).response.headers.get('idempotency-replayed')).toBe('true');
    who = 'kelly\u200B@acme.test';
    expect((await call('GET', '/api/me')).status).toBe(401);
  });
});

describe('createHttpHandler cross-site refusal', () => {
  const add = (headers: Record<string, string>, email = 'carol@acme.test') =>
    call('POST', '/api/licenses/SEN-1/contacts', {
      body: { email, name: 'C', roles: ['technical'] },
      headers,
    });

  it('refuses mutations marked cross-site or from a foreign Origin with 403 FORBIDDEN', async () => {
    for (const headers of [
      { 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'https://evil.test' },
      { Origin: 'null' },
      { Origin: 'http://portal.test:8080' },
      { Origin: ORIGIN, 'Sec-Fetch-Site': 'cross-site' },
    ]) {
      const answer = await add(headers);
      expect(answer.status).toBe(403);
      expect(answer.json).toMatchObject({ code: 'FORBIDDEN', reason: 'CROSS_SITE' });
    }
    const remove = await call('DELETE', '/api/licenses/SEN-1/contacts/bob%40acme.test', {
      headers: { Origin: 'https://evil.test' },
    });
    expect(remove.status).toBe(403);
    expect(await version()).toBe(1);
  });

  it('accepts same-origin, same-site-less and server-side mutations, and reads from anywhere', async () => {
    expect((await add({ Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
    expect((await add({}, 'dan@acme.test')).status).toBe(200);
    expect(
      (
        await call('GET', '/api/me', {
          headers: { Origin: 'https://evil.test', 'Sec-Fetch-Site': 'cross-site' },
        })
      ).status,
    ).toBe(200);
  });

  it('compares Origin with the Host header, whatever URL the framework rebuilt (Next.js: localhost)', async () => {
    const post = (url: string, headers: Record<string, string>) =>
      handler(
        new Request(url, {
          method: 'POST',
          headers: {
            Authorization: 'Bearer alice@acme.test',
            'Content-Type': 'application/json',
            ...headers,
          },
          body: JSON.stringify({
            email: `p${Math.random()}@acme.test`.replace('0.', ''),
            name: 'P',
            roles: ['technical'],
          }),
        }),
      );
    const browser = {
      Host: 'portal.example.com',
      Origin: 'https://portal.example.com',
      'Sec-Fetch-Site': 'same-origin',
    };
    expect((await post('http://localhost:3000/api/licenses/SEN-1/contacts', browser)).status).toBe(200);
    // The request URL choosing the Origin's host does not make it same-origin with another Host.
    const absolute = await post('http://evil.test/api/licenses/SEN-1/contacts', {
      Host: 'portal.example.com',
      Origin: 'http://evil.test',
    });
    expect(absolute.status).toBe(403);
    // X-Forwarded-Host counts only with trustProxy.
    const proxied = {
      Host: '127.0.0.1:3000',
      'X-Forwarded-Host': 'portal.example.com',
      Origin: 'https://portal.example.com',
    };
    expect((await post('http://127.0.0.1:3000/api/licenses/SEN-1/contacts', proxied)).status).toBe(403);
    handler = make({ trustProxy: true });
    expect((await post('http://127.0.0.1:3000/api/licenses/SEN-1/contacts', proxied)).status).toBe(200);
    expect(await version()).toBe(3);
  });

  it('accepts mutations from allowedOrigins, with CORS headers and a preflight answer', async () => {
    handler = make({ allowedOrigins: ['https://shop.test'] });
    const answer = await add({ Origin: 'https://shop.test', 'Sec-Fetch-Site': 'cross-site' });
    expect(answer.status).toBe(200);
    expect(answer.response.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect(answer.response.headers.get('vary')).toBe('Origin');
    const preflight = await handler(
      new Request(`${ORIGIN}/api/licenses/SEN-1/contacts`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.test', 'Access-Control-Request-Method': 'POST' },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const evil = await handler(
      new Request(`${ORIGIN}/api/me`, { method: 'OPTIONS', headers: { Origin: 'https://evil.test' } }),
    );
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('createHttpHandler Idempotency-Key', () => {
  const body = { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] };
  const add = (key: string, extra: Send = {}) =>
    call('POST', '/api/licenses/SEN-1/contacts', {
      body,
      ...extra,
      headers: { 'Idempotency-Key': key, ...extra.headers },
    });

  it('replays the first response to a retry instead of applying twice', async () => {
    const first = await add('k-1');
    const retry = await add('k-1');
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect(retry.response.headers.get('idempotency-replayed')).toBe('true');
    expect(await version()).toBe(2);
    const other = await add('k-2');
    expect(other.json.code).toBe('DUPLICATE');
  });

  it('makes a concurrent duplicate wait for the first and share its response', async () => {
    const answers = await Promise.all([add('k-3'), add('k-3'), add('k-3')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.response.headers.get('idempotency-replayed') === 'true')).toHaveLength(2);
    expect(await version()).toBe(2);
  });

  it('keeps keys apart per actor and refuses a key reused for another request', async () => {
    await add('k-4');
    const bob = await call('POST', '/api/licenses/SEN-1/contacts', {
      actor: { email: 'bob@acme.test' },
      body: { email: 'dan@acme.test', name: 'Dan', roles: ['billing'] },
      headers: { 'Idempotency-Key': 'k-4' },
    });
    expect(bob.status).toBe(200);
    expect(bob.response.headers.get('idempotency-replayed')).toBeNull();
    const reused = await call('POST', '/api/licenses/SEN-1/contacts', {
      body: { ...body, email: 'erin@acme.test' },
      headers: { 'Idempotency-Key': 'k-4' },
    });
    expect(reused.status).toBe(400);
    expect(await version()).toBe(3);
    expect((await add('bad key with spaces')).status).toBe(400);
  });

  it("lets no actor flush another's keys: a thousand foreign keys later, alice's retry still replays", async () => {
    const first = await add('alice-1');
    expect(first.status).toBe(200);
    const mallory = { email: 'mallory@other.test' };
    for (let i = 0; i < 1000; i++) {
      const flood = await call('POST', '/api/licenses/SEN-404/contacts', {
        actor: mallory,
        body: { email: `m${i}@other.test`, name: 'M', roles: ['technical'] },
        headers: { 'Idempotency-Key': `flood-${i}` },
      });
      expect(flood.status).toBe(404);
    }
    const retry = await add('alice-1');
    expect(retry.status).toBe(200);
    expect(retry.response.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect(await version()).toBe(2);
  });

  it('keeps no answer that changed nothing (404, 409 CONFLICT, 5xx): a retry can succeed', async () => {
    const gina = { email: 'gina@acme.test' };
    const addTo = (id: string, key: string) =>
      call('POST', `/api/licenses/${id}/contacts`, {
        actor: gina,
        body: { email: 'hal@acme.test', name: 'Hal', roles: ['technical'] },
        headers: { 'Idempotency-Key': key },
      });
    expect((await addTo('SEN-2', 'not-yet')).status).toBe(404);
    await service.createLicense({
      id: 'SEN-2',
      product: 'Jira',
      technical: { email: 'gina@acme.test', name: 'Gina' },
      billing: { email: 'gina@acme.test', name: 'Gina' },
    });
    const later = await addTo('SEN-2', 'not-yet');
    expect(later.status).toBe(200);
    expect(later.response.headers.get('idempotency-replayed')).toBeNull();

    // The next commits meet a storage failure, then a concurrent writer (no retries left: 409 CONFLICT).
    const memory = memoryStorage();
    const failures: ('down' | 'raced')[] = [];
    const flaky: LicenseStorage = {
      ...memory,
      commit(batch) {
        const failure = batch.writes.some((w) => w.expectedVersion !== null) ? failures.shift() : undefined;
        if (failure === 'down') return Promise.reject(new Error('connection reset'));
        if (failure === 'raced')
          return Promise.reject(new LicenseContactsError('CONFLICT', 'changed meanwhile'));
        return memory.commit(batch);
      },
    };
    await start({ storage: flaky, maxRetries: 0, cacheSize: 0 });
    const addPerson = (key: string, email: string) =>
      call('POST', '/api/licenses/SEN-1/contacts', {
        body: { email, name: 'P', roles: ['technical'] },
        headers: { 'Idempotency-Key': key },
      });
    failures.push('down', 'raced');
    expect((await addPerson('down', 'dan@acme.test')).status).toBe(503);
    const conflict = await addPerson('raced', 'erin@acme.test');
    expect(conflict.status).toBe(409);
    expect(conflict.json.code).toBe('CONFLICT');
    for (const [key, email] of [
      ['down', 'dan@acme.test'],
      ['raced', 'erin@acme.test'],
    ] as const) {
      const again = await addPerson(key, email);
      expect(again.status).toBe(200);
      expect(again.response.headers.get('idempotency-replayed')).toBeNull();
    }
    expect(await version()).toBe(3);
  });

  it('replays nothing a removed person may no longer see: NOT_FOUND, not the cached license', async () => {
    const first = await add('before-removal');
    expect(first.status).toBe(200);
    await service.as({ email: 'ops@vendor.test', staff: true }).removeContact('SEN-1', 'alice@acme.test');
    const replay = await add('before-removal');
    expect(replay.status).toBe(404);
    expect(replay.json.code).toBe('NOT_FOUND');
    expect(replay.text).not.toContain('carol@acme.test');
    expect(await version()).toBe(3);
  });

  it('forgets keys after the TTL and beyond maxEntries, and can be turned off', async () => {
    let now = 0;
    handler = make({ idempotency: { ttlMs: 1000, maxEntries: 2, now: () => now } });
    await add('a');
    now = 2000;
    expect((await add('a')).json.code).toBe('DUPLICATE');
    handler = make({ idempotency: false });
    expect((await add('b')).json.code).toBe('DUPLICATE');
    expect((await add('b')).response.headers.get('idempotency-replayed')).toBeNull();
  });
});
