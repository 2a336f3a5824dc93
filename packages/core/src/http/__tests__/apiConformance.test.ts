// @vitest-environment node

import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Actor } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpClient, createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { runApiConformance } from '@license-contacts/core/testing';
import { expect } from 'vitest';
import { createAnswerCheck } from '../../../../../tests/http/openapi';

/** `Authorization: Bearer <email>` or `Bearer staff:<email>`: a stand-in for a real session. */
export function bearer(actor: Actor): string {
  return `Bearer ${actor.staff ? 'staff:' : ''}${actor.email}`;
}

runApiConformance({
  name: 'service.as(actor)',
  setup() {
    const service = createLicenseContacts({ retryDelay: () => 0 });
    return { service, as: (actor) => service.as(actor) };
  },
});

const check = createAnswerCheck();

runApiConformance({
  name: 'HTTP client over node:http',
  async setup() {
    const service = createLicenseContacts({ retryDelay: () => 0 });
    const handler = createHttpHandler(service, {
      authenticate(request) {
        const match = /^Bearer (staff:)?(\S+)$/.exec(request.headers.get('authorization') ?? '');
        return match ? { email: match[2] as string, staff: match[1] !== undefined } : null;
      },
    });
    const server: Server = createServer(toNodeListener(handler));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // Every answer is checked against the handler's OpenAPI document; a difference fails the test.
    const differences: string[] = [];
    const checkedFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      // The event stream never ends; events.test.ts checks it.
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
      const url = new URL(input instanceof Request ? input.url : String(input));
      differences.push(
        ...check({
          method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
          target: `${url.pathname}${url.search}`,
          status: response.status,
          contentType: response.headers.get('content-type'),
          body: await response.clone().text(),
        }),
      );
      return response;
    };
    return {
      service,
      as: (actor) =>
        createHttpClient({
          baseUrl: `http://127.0.0.1:${port}/api`,
          headers: { Authorization: bearer(actor) },
          fetch: checkedFetch,
        }),
      async teardown() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        expect(differences).toEqual([]);
      },
    };
  },
});
