import type { IncomingHttpHeaders, Server } from 'node:http';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Actor, LicenseContacts, LicenseContactsOptions } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { HttpHandlerOptions } from '@license-contacts/core/http';
import { createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { expectConforming } from './openapi';

/** `Authorization: Bearer <email>` or `Bearer staff:<email>`: the test stand-in for a session. */
export function bearer(actor: Actor): string {
  return `Bearer ${actor.staff ? 'staff:' : ''}${actor.email}`;
}

/** Reads the actor from a bearer header; anything else is anonymous. */
export function authenticate(request: Request): Actor | null {
  const match = /^Bearer (staff:)?([^\s:]+@[^\s]+)$/.exec(request.headers.get('authorization') ?? '');
  return match ? { email: match[2] as string, staff: match[1] !== undefined } : null;
}

export const PEOPLE = {
  insider: { email: 'alice@acme.test' },
  outsider: { email: 'mallory@other.test' },
  removed: { email: 'carol@acme.test' },
  staff: { email: 'support@vendor.test', staff: true },
} satisfies Record<string, Actor>;

/**
 * SEN-1001: technical [alice, gina], billing [bob, pat (a partner)]; carol was a technical contact and
 * was removed.
 * SEN-2001: another company's license.
 */
export async function seed(service: LicenseContacts): Promise<void> {
  await service.createLicense({
    id: 'SEN-1001',
    product: 'Jira Software',
    technical: { email: 'alice@acme.test', name: 'Alice' },
    billing: { email: 'bob@acme.test', name: 'Bob' },
    contacts: [
      { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
      { email: 'gina@acme.test', name: 'Gina', roles: ['technical'] },
      { email: 'pat@partner.test', name: 'Pat', roles: ['billing'] },
    ],
  });
  await service.as(PEOPLE.insider).removeContact('SEN-1001', 'carol@acme.test');
  await service.createLicense({
    id: 'SEN-2001',
    product: 'Bitbucket',
    technical: { email: 'mallory@other.test', name: 'Mallory' },
    billing: { email: 'mallory@other.test', name: 'Mallory' },
  });
}

/** Resolves once `predicate` holds, checking every 10 ms; rejects after `ms`. */
export async function eventually(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What a request over real HTTP answered. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A node:http server on 127.0.0.1 running the handler over a service that can be swapped per test. */
export interface TestServer {
  port: number;
  origin: string;
  service: LicenseContacts;
  /** The failures the handler reported through `onError` (instead of the console). */
  reported: unknown[];
  /** Replaces the service with a fresh, seeded one. */
  reset(options?: LicenseContactsOptions): Promise<LicenseContacts>;
  /** Sends a request; the answer is checked against the handler's OpenAPI document (it throws if it differs). */
  send(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<Answer>;
  /** Cuts every open connection (a network failure, or a restart, as a client sees it). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startServer(options: Partial<HttpHandlerOptions> = {}): Promise<TestServer> {
  let service = createLicenseContacts({ retryDelay: () => 0 });
  const reported: unknown[] = [];
  const handler = createHttpHandler(
    { as: (actor) => service.as(actor) },
    { authenticate, onError: (error) => reported.push(error), ...options },
  );
  const server: Server = createServer(toNodeListener(handler));
  // A test that blocks the event loop for seconds (a PGlite start) must not find its idle keep-alive
  // connections closed under it (the client would write on a socket the server just ended).
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const self: TestServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    get service() {
      return service;
    },
    reported,
    async reset(serviceOptions = {}) {
      service = createLicenseContacts({ retryDelay: () => 0, ...serviceOptions });
      await seed(service);
      return service;
    },
    send(method, path, init = {}) {
      return new Promise<Answer>((resolve, reject) => {
        const headers: Record<string, string | number> = { ...init.headers };
        if (init.body !== undefined) headers['Content-Length'] = Buffer.byteLength(init.body);
        const req = httpRequest(
          { host: '127.0.0.1', port, method, path, headers, agent, timeout: 10_000 },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const answer = {
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString('utf8'),
              };
              try {
                expectConforming({
                  method,
                  target: path,
                  status: answer.status,
                  contentType: answer.headers['content-type'],
                  body: answer.text,
                });
              } catch (error) {
                reject(error);
                return;
              }
              resolve(answer);
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
        req.on('error', reject);
        req.end(init.body);
      });
    },
    dropConnections() {
      server.closeAllConnections();
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  await self.reset();
  return self;
}

/** The version and number of audit entries of a license: what a refused request must leave alone. */
export async function stateOf(service: LicenseContacts, id = 'SEN-1001'): Promise<string> {
  const staff = service.as(PEOPLE.staff);
  const license = await staff.getLicense(id);
  let entries = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const history = await staff.history(id, { limit: 200, ...(cursor === undefined ? {} : { cursor }) });
    entries += history.items.length;
    cursor = history.nextCursor;
    if (cursor === undefined) break;
  }
  return JSON.stringify({
    version: license.version,
    entries,
    technical: license.technical,
    billing: license.billing,
  });
}
