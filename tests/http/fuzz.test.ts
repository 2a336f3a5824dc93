// @vitest-environment node
import { PGlite } from '@electric-sql/pglite';
import type { Actor } from '@license-contacts/core';
import { postgresStorage } from '@license-contacts/postgres';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, TestServer } from './harness';
import { bearer, PEOPLE, startServer, stateOf } from './harness';

// Every property runs a bounded number of requests against a real node:http server on 127.0.0.1.
const RUNS = 150;
const TIME_LIMIT_MS = 15_000;
const settings = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

const KEYS = [
  'email',
  'name',
  'roles',
  'successor',
  'dryRun',
  'licenseIds',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'staff',
];

/** R14: text that reads like something else, or that a driver could refuse. */
const UNICODE_EDGES = [
  '\u212Aelly@acme.test',
  'ｇｉｎａ@ａｃｍｅ.test',
  'alice\u200B@acme.test',
  'a@ｇｍａｉｌ.com',
  'jörg@müller.example',
  'Eve\u202Etxt.exe',
  '\u2067x\u2069',
  '\u200B',
  '\u3164',
  '\u00AD',
  '\uFEFF',
  '\ud800',
  'x\udfffy',
  'a\u0000b',
  'Zoë 👩\u200D💻',
  '%_\\',
  "'; DROP TABLE licenses; --",
  'İstanbul',
];

/** Integer edges: PostgreSQL's integer and bigint, JavaScript's safe integers, and beyond. */
const INTEGER_EDGES = [
  '0',
  '-1',
  '2147483647',
  '2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '9223372036854775808',
  '1e21',
  '1.5',
];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'alice@acme.test',
    'gina@acme.test',
    'technical',
    'billing',
    'SEN-1001',
    '',
    ' ',
    '\u0000',
    '\u2028',
    ...UNICODE_EDGES,
    ...INTEGER_EDGES,
  ),
  fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value')), {
      maxLength: 5,
    })
    .map((entries) => ({ entries })),
})).value;

/** JSON text written by hand so keys such as `__proto__` really appear in it. */
function toJson(input: unknown): string {
  if (typeof input === 'object' && input !== null && 'entries' in input && !Array.isArray(input)) {
    const entries = (input as { entries: [string, unknown][] }).entries;
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${toJson(item)}`).join(',')}}`;
  }
  if (Array.isArray(input)) return `[${input.map(toJson).join(',')}]`;
  return JSON.stringify(input) ?? 'null';
}

const body = fc.oneof(
  value.map(toJson),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"email":',
    '[1,',
    'nul',
    '{"a":1}}',
    '\uFEFF{}',
    '"\\ud800"',
    '1e999',
    '[[[[[[[[[[]]]]]]]]]]',
  ),
  fc.nat({ max: 2000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
);

const actor: fc.Arbitrary<Actor | null> = fc.constantFrom(
  PEOPLE.insider,
  PEOPLE.insider,
  PEOPLE.staff,
  PEOPLE.outsider,
  null,
);

const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

/** A lone surrogate cannot be percent-encoded: it travels as the bytes a careless client would send. */
function urlSafe(value: string): string {
  try {
    encodeURIComponent(value);
    return value;
  } catch {
    return value.replace(/[\ud800-\udfff]/g, '?');
  }
}

function expectWellFormed(answer: Answer, method: string): void {
  expect(answer.status).toBeGreaterThanOrEqual(200);
  expect(answer.status).toBeLessThan(500);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  if (method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    expect(answer.text).toBe('');
  } else if (answer.status >= 400) {
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = JSON.parse(answer.text);
    expect(problem.status).toBe(answer.status);
    expect(typeof problem.code).toBe('string');
    expect(answer.text).not.toMatch(/\n\s+at |\.(?:js|ts):\d+/);
  }
}

/** Sends, then checks the answer and that a refused request left the license alone. */
async function probe(method: string, path: string, init: { headers: Record<string, string>; body?: string }) {
  const before = await stateOf(server.service);
  const answer = await server.send(method, path, init);
  expectWellFormed(answer, method);
  if (answer.status >= 400) expect(await stateOf(server.service)).toBe(before);
  return answer;
}

function headersOf(who: Actor | null, extra: Record<string, string> = {}): Record<string, string> {
  return who ? { Authorization: bearer(who), ...extra } : { ...extra };
}

describe('HTTP fuzzing', () => {
  it('answers any body on any mutation with 2xx or 4xx, and a 4xx changes nothing', async () => {
    await server.reset();
    const route = fc.constantFrom(
      ['POST', '/api/licenses/SEN-1001/contacts'],
      ['PUT', '/api/licenses/SEN-1001/main/technical'],
      ['PUT', '/api/licenses/SEN-1001/main/billing'],
      ['POST', '/api/replacements'],
    );
    const type = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/json; charset=utf-16',
    );
    await fc.assert(
      fc.asyncProperty(route, body, actor, type, async ([method, path], payload, who, contentType) => {
        await probe(method as string, path as string, {
          headers: headersOf(who, { 'Content-Type': contentType }),
          body: payload,
        });
      }),
      settings,
    );
  });

  it('answers any path parameters with 2xx or 4xx', async () => {
    await server.reset();
    const segment = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }).map(encodeURIComponent),
      fc.string({ unit: fc.constantFrom(..."aZ09-_.~%2FfE@+!$&'()*,;=:".split('')), maxLength: 30 }),
      fc.constantFrom(
        'SEN-1001',
        'SEN-2001',
        'alice%40acme.test',
        'gina%40acme.test',
        '__proto__',
        'constructor',
        '..',
        '%2e%2e',
      ),
    );
    const template = fc.constantFrom(
      (a: string) => `/api/licenses/${a}`,
      (a: string) => `/api/licenses/${a}/history`,
      (a: string) => `/api/licenses/${a}/permissions`,
      (a: string, b: string) => `/api/licenses/${a}/contacts/${b}`,
      (a: string, b: string) => `/api/licenses/SEN-1001/contacts/${b}?role=${a}`,
      (a: string, b: string) => `/api/licenses/${a}/main/${b}`,
      (a: string, b: string) => `/api/${a}/${b}`,
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    await fc.assert(
      fc.asyncProperty(template, segment, segment, method, actor, async (make, a, b, verb, who) => {
        const send = verb === 'POST' || verb === 'PUT';
        const answer = await probe(verb, make(a, b), {
          headers: headersOf(who, send ? { 'Content-Type': 'application/json' } : {}),
          ...(send ? { body: '{"email":"gina@acme.test","name":"Gina","roles":["billing"]}' } : {}),
        });
        if (verb === 'HEAD') expect(answer.text).toBe('');
      }),
      settings,
    );
  });

  it('answers any query string with 2xx or 4xx', async () => {
    await server.reset();
    const pair = fc.tuple(
      fc.oneof(
        fc.constantFrom('query', 'cursor', 'limit', 'role', 'successor', '__proto__'),
        fc.string({ maxLength: 6 }),
      ),
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer().map(String),
        fc.double().map(String),
        fc.constantFrom('technical', 'billing', 'SEN-1001', '1', '0', '-1', '1e3', '999999999999999999999'),
        fc.constantFrom(...INTEGER_EDGES, ...UNICODE_EDGES).map(urlSafe),
      ),
    );
    const raw = fc.string({ unit: fc.constantFrom(...'a=&%;+?#0Zz'.split('')), maxLength: 40 });
    const path = fc.constantFrom(
      '/api/licenses',
      '/api/licenses/SEN-1001/history',
      '/api/licenses/SEN-1001/contacts/gina%40acme.test',
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.array(pair, { maxLength: 5 }),
        raw,
        fc.boolean(),
        async (base, pairs, garbage, useRaw) => {
          const search = useRaw
            ? garbage.replaceAll('#', '%23')
            : pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          const verb = base.includes('/contacts/') ? 'DELETE' : 'GET';
          await probe(verb, `${base}?${search}`, { headers: headersOf(PEOPLE.insider) });
        },
      ),
      settings,
    );
  });

  it('answers any header values with 2xx or 4xx', async () => {
    await server.reset();
    const names = fc.constantFrom(
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
      'Origin',
      'Sec-Fetch-Site',
      'Authorization',
      'Content-Type',
      'Accept',
      'Cookie',
      'Host',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(names, headerText), { maxLength: 4 }),
        fc.boolean(),
        async (pairs, mutate) => {
          const headers: Record<string, string> = headersOf(PEOPLE.insider, {
            'Content-Type': 'application/json',
          });
          for (const [name, item] of pairs) headers[name] = item;
          await probe(
            mutate ? 'POST' : 'GET',
            mutate ? '/api/licenses/SEN-1001/contacts' : '/api/licenses/SEN-1001',
            {
              headers,
              ...(mutate ? { body: '{"email":"zed@acme.test","name":"Zed","roles":["technical"]}' } : {}),
            },
          );
        },
      ),
      settings,
    );
  });
});

describe('HTTP fuzzing, every adapter alike (R14)', () => {
  let pglite: PGlite;
  let onPglite: TestServer;
  let onMemory: TestServer;

  beforeAll(async () => {
    pglite = await PGlite.create();
    await postgresStorage({ pglite }).migrate();
    // Started after PGlite, so no keep-alive connection idles out while it starts.
    onMemory = await startServer();
    onPglite = await startServer();
  }, 60_000);

  afterAll(async () => {
    await onMemory?.close();
    await onPglite?.close();
    await pglite?.close();
  });

  /** What is compared across adapters: the status and, on a problem, its code and field. */
  function summary(answer: Answer): string {
    if (answer.status < 400) return String(answer.status);
    const problem = JSON.parse(answer.text) as { code: string; field?: string };
    return `${answer.status} ${problem.code} ${problem.field ?? ''}`;
  }

  it('answers hostile Unicode and integer edges the same on memory and on PGlite, never 5xx', async () => {
    // A fresh PGlite: its tables are empty, the seed goes in once.
    await onPglite.reset({ storage: postgresStorage({ pglite }) });
    const edge = fc.constantFrom(...UNICODE_EDGES, ...INTEGER_EDGES);
    const enc = (value: string) => encodeURIComponent(urlSafe(value));
    const requests: ((v: string) => [string, string, unknown?])[] = [
      (v) => ['POST', '/api/licenses/SEN-1001/contacts', { email: v, name: 'Vic', roles: ['billing'] }],
      (v) => [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        { email: 'vic@acme.test', name: v, roles: ['billing'] },
      ],
      (v) => ['PUT', '/api/licenses/SEN-1001/main/technical', { email: v }],
      (v) => ['DELETE', `/api/licenses/SEN-1001/contacts/${enc(v)}?role=billing`],
      (v) => [
        'DELETE',
        `/api/licenses/SEN-1001/contacts/alice%40acme.test?role=technical&successor=${enc(v)}`,
      ],
      (v) => ['GET', `/api/licenses?query=${enc(v)}`],
      (v) => ['GET', `/api/licenses?cursor=${enc(v)}`],
      (v) => ['GET', `/api/licenses?limit=${enc(v)}`],
      (v) => ['GET', `/api/licenses/SEN-1001/history?cursor=${enc(v)}`],
      (v) => ['GET', `/api/licenses/SEN-1001/history?limit=${enc(v)}`],
      (v) => ['GET', `/api/licenses/${enc(v)}`],
      (v) => [
        'POST',
        '/api/replacements',
        { email: 'bob@acme.test', successor: { email: v, name: 'Sam' }, dryRun: true },
      ],
      (v) => [
        'POST',
        '/api/replacements',
        { email: 'bob@acme.test', successor: { email: 'sam@acme.test', name: v }, dryRun: true },
      ],
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: requests.length - 1 }), edge, async (index, value) => {
        const [method, path, payload] = (requests[index] as (v: string) => [string, string, unknown?])(value);
        const init = {
          headers: headersOf(
            PEOPLE.insider,
            payload === undefined ? {} : { 'Content-Type': 'application/json' },
          ),
          ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
        };
        const memory = await onMemory.send(method, path, init);
        const postgres = await onPglite.send(method, path, init);
        expect(memory.status).toBeLessThan(500);
        expect({ method, path, value, answer: summary(postgres) }).toEqual({
          method,
          path,
          value,
          answer: summary(memory),
        });
      }),
      { numRuns: 200, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
    );
  }, 90_000);
});
