// @vitest-environment node
import type { Actor, LicenseContacts } from '@license-contacts/core';
import { createOpenApiDocument } from '@license-contacts/core/http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './harness';
import { bearer, PEOPLE, startServer, stateOf } from './harness';

type Who = keyof typeof PEOPLE | 'anonymous';
const WHO: Who[] = ['insider', 'outsider', 'removed', 'staff', 'anonymous'];

interface RouteCase {
  method: string;
  path: string;
  /** Makes the state the route needs (a request to decide) and answers the path to send instead. */
  prepare?: (service: LicenseContacts) => Promise<string>;
  body?: unknown;
  mutation: boolean;
  expected: Record<Who, number>;
}

const everyone = { insider: 200, outsider: 200, removed: 200, staff: 200, anonymous: 401 };
const anyone = { insider: 200, outsider: 200, removed: 200, staff: 200, anonymous: 200 };
const contacts = { insider: 200, outsider: 404, removed: 404, staff: 200, anonymous: 401 };

/** Every route of the handler, with the status each kind of caller gets. */
const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/me', mutation: false, expected: everyone },
  { method: 'GET', path: '/api/licenses', mutation: false, expected: everyone },
  { method: 'GET', path: '/api/licenses/SEN-1001', mutation: false, expected: contacts },
  { method: 'GET', path: '/api/licenses/SEN-1001/history', mutation: false, expected: contacts },
  { method: 'GET', path: '/api/licenses/SEN-1001/permissions', mutation: false, expected: contacts },
  {
    method: 'POST',
    path: '/api/licenses/SEN-1001/contacts',
    body: { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] },
    mutation: true,
    expected: contacts,
  },
  {
    method: 'PUT',
    path: '/api/licenses/SEN-1001/main/technical',
    body: { email: 'gina@acme.test' },
    mutation: true,
    expected: contacts,
  },
  {
    method: 'DELETE',
    path: '/api/licenses/SEN-1001/contacts/gina%40acme.test?role=technical',
    mutation: true,
    expected: contacts,
  },
  {
    method: 'POST',
    path: '/api/licenses/SEN-1001/invitations',
    body: { email: 'ivy@partner.test', name: 'Ivy', roles: ['technical'] },
    mutation: true,
    expected: contacts,
  },
  {
    method: 'POST',
    path: '/api/licenses/SEN-1001/transfers',
    body: { role: 'billing', email: 'pat@partner.test' },
    mutation: true,
    expected: contacts,
  },
  { method: 'GET', path: '/api/requests', mutation: false, expected: everyone },
  {
    method: 'POST',
    path: '/api/requests/:id/cancel',
    // Alice's invitation: hers (and staff's) to withdraw; nobody else learns of it.
    async prepare(service) {
      const request = await service
        .as(PEOPLE.insider)
        .invite('SEN-1001', { email: 'ivy@partner.test', name: 'Ivy', roles: ['technical'] });
      return `/api/requests/${request.id}/cancel`;
    },
    mutation: true,
    expected: contacts,
  },
  ...(['accept', 'decline'] as const).map(
    (what): RouteCase => ({
      method: 'POST',
      path: `/api/requests/:id/${what}`,
      // Pat, a partner, asks for Alice's main technical position: hers (and staff's) to decide.
      async prepare(service) {
        const pat = service.as({ email: 'pat@partner.test' });
        await pat.addContact('SEN-1001', { email: 'pat@partner.test', name: 'Pat', roles: ['technical'] });
        const request = await pat.requestTransfer('SEN-1001', 'technical', 'pat@partner.test');
        return `/api/requests/${request.id}/${what}`;
      },
      mutation: true,
      expected: contacts,
    }),
  ),
  {
    method: 'POST',
    path: '/api/replacements',
    body: { email: 'gina@acme.test', successor: { email: 'hank@acme.test', name: 'Hank' } },
    mutation: true,
    expected: everyone,
  },
  { method: 'GET', path: '/api/changes', mutation: false, expected: everyone },
  // The stream itself is tested in events.test.ts; here: who is asked to sign in before anything else.
  {
    method: 'GET',
    path: '/api/events?after=not-a-seq',
    mutation: false,
    expected: { insider: 400, outsider: 400, removed: 400, staff: 400, anonymous: 401 },
  },
  { method: 'GET', path: '/api/openapi.json', mutation: false, expected: anyone },
];

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await server.reset();
});

function headersFor(who: Who, route: RouteCase, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (who !== 'anonymous') headers.Authorization = bearer(PEOPLE[who] as Actor);
  if (route.body !== undefined) headers['Content-Type'] = 'application/json';
  return headers;
}

/** The route with the path to send, made ready first. */
async function ready(route: RouteCase): Promise<RouteCase> {
  return route.prepare ? { ...route, path: await route.prepare(server.service) } : route;
}

function send(who: Who, route: RouteCase, extra?: Record<string, string>) {
  return server.send(route.method, route.path, {
    headers: headersFor(who, route, extra),
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
  });
}

describe('authorization matrix over HTTP', () => {
  it('has a case for every route of the handler', () => {
    const described = Object.entries(createOpenApiDocument().paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} /api${path}`),
    );
    const covered = ROUTES.map((route) => {
      const path = new URL(route.path, 'http://any.test').pathname;
      const template = described.find((entry) => {
        const [method, pattern] = entry.split(' ') as [string, string];
        const regex = new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        return method === route.method && regex.test(path);
      });
      return template ?? `${route.method} ${path} (no such route)`;
    });
    expect([...new Set(covered)].sort()).toEqual([...described].sort());
  });

  for (const route of ROUTES) {
    for (const who of WHO) {
      const status = route.expected[who];
      it(`${route.method} ${route.path} as ${who} answers ${status}`, async () => {
        const resolved = await ready(route);
        const before = await stateOf(server.service);
        const answer = await send(who, resolved);
        expect(answer.status).toBe(status);
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        if (status >= 400) {
          expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
          expect(JSON.parse(answer.text)).toMatchObject({
            status,
            code: status === 401 ? 'UNAUTHENTICATED' : status === 400 ? 'BAD_REQUEST' : 'NOT_FOUND',
          });
        } else {
          expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        }
        const changes = route.mutation && status === 200 && (who === 'insider' || who === 'staff');
        if (changes) expect(await stateOf(server.service)).not.toBe(before);
        else expect(await stateOf(server.service)).toBe(before);
      });
    }
  }

  it('lists only what each caller may see', async () => {
    const route = ROUTES[1] as RouteCase;
    const ids = async (who: Who) =>
      (JSON.parse((await send(who, route)).text).items as { id: string }[]).map((license) => license.id);
    expect(await ids('insider')).toEqual(['SEN-1001']);
    expect(await ids('outsider')).toEqual(['SEN-2001']);
    expect(await ids('removed')).toEqual([]);
    expect(await ids('staff')).toEqual(['SEN-1001', 'SEN-2001']);
  });

  it('answers a hidden license exactly like a missing one', async () => {
    const headers = { Authorization: bearer(PEOPLE.removed) };
    const hidden = await server.send('GET', '/api/licenses/SEN-1001', { headers });
    const missing = await server.send('GET', '/api/licenses/SEN-1009', { headers });
    expect(hidden.status).toBe(missing.status);
    expect(hidden.text.replace('SEN-1001', 'X')).toBe(missing.text.replace('SEN-1009', 'X'));
  });
});

describe('cross-site mutations over HTTP', () => {
  const mutations = ROUTES.filter((route) => route.mutation);
  for (const route of mutations) {
    for (const who of ['insider', 'staff'] as const) {
      it(`${route.method} ${route.path} as ${who} from another site answers 403`, async () => {
        const resolved = await ready(route);
        const before = await stateOf(server.service);
        const site = await send(who, resolved, { 'Sec-Fetch-Site': 'cross-site' });
        const origin = await send(who, resolved, { Origin: 'https://evil.test' });
        for (const answer of [site, origin]) {
          expect(answer.status).toBe(403);
          expect(JSON.parse(answer.text)).toMatchObject({ code: 'FORBIDDEN', reason: 'CROSS_SITE' });
        }
        expect(await stateOf(server.service)).toBe(before);
        const same = await send(who, resolved, { Origin: server.origin, 'Sec-Fetch-Site': 'same-origin' });
        expect(same.status).toBe(200);
      });
    }
  }
});
