// @vitest-environment node

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '@license-contacts/core/http';
import { toNodeListener } from '@license-contacts/core/http';
import { afterEach, describe, expect, it } from 'vitest';

let server: Server | undefined;

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(listener);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('toNodeListener', () => {
  it('hands the handler a Fetch request with URL, method, headers and the streamed body', async () => {
    let seen: unknown;
    const handler: HttpHandler = async (request) => {
      seen = {
        url: request.url,
        method: request.method,
        type: request.headers.get('content-type'),
        body: await request.text(),
      };
      return new Response('ok');
    };
    const base = await serve(toNodeListener(handler));
    const response = await fetch(`${base}/api/x?y=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.text()).toBe('ok');
    expect(seen).toEqual({
      url: `${base}/api/x?y=1`,
      method: 'POST',
      type: 'application/json',
      body: '{"a":1}',
    });
  });

  it('hands over headers that answer as a Fetch Headers built from the raw ones does', async () => {
    let seen: unknown;
    const handler: HttpHandler = async (request) => {
      const { headers } = request;
      const before = {
        isHeaders: headers instanceof Headers,
        repeated: headers.get('X-Many'),
        // node keeps only the first of a repeated Content-Type; Headers joins them.
        type: headers.get('content-type'),
        spaced: headers.get('x-spaced'),
        missing: headers.get('x-missing'),
        has: [headers.has('X-MANY'), headers.has('x-missing')],
      };
      let badName: unknown;
      try {
        headers.get('bad name');
      } catch (error) {
        badName = (error as Error).name;
      }
      headers.set('x-added', 'yes');
      const after = {
        added: headers.get('x-added'),
        repeated: headers.get('x-many'),
        listed: [...headers].filter(([name]) => name.startsWith('x-')),
        copy: [...new Headers(headers)].length === [...headers].length,
        real: new Request(request.url, { headers }).headers.get('x-many'),
      };
      seen = { before, badName, after };
      return new Response('ok');
    };
    const base = await serve(toNodeListener(handler));
    await new Promise<void>((resolve, reject) => {
      const port = Number(new URL(base).port);
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/h',
          headers: [
            ['Host', `127.0.0.1:${port}`],
            ['X-Many', 'one'],
            ['x-many', 'two'],
            ['Content-Type', 'text/plain'],
            ['Content-Type', 'text/html'],
            ['X-Spaced', 'a  b'],
          ].flat(),
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const expected = await (async () => {
      const real = new Headers([
        ['X-Many', 'one'],
        ['x-many', 'two'],
        ['Content-Type', 'text/plain'],
        ['Content-Type', 'text/html'],
      ]);
      return { many: real.get('x-many'), type: real.get('content-type') };
    })();
    expect(seen).toEqual({
      before: {
        isHeaders: true,
        repeated: expected.many,
        type: expected.type,
        spaced: 'a  b',
        missing: null,
        has: [true, false],
      },
      badName: 'TypeError',
      after: {
        added: 'yes',
        repeated: 'one, two',
        listed: [
          ['x-added', 'yes'],
          ['x-many', 'one, two'],
          ['x-spaced', 'a  b'],
        ],
        copy: true,
        real: 'one, two',
      },
    });
  });

  it('writes status, every header including several Set-Cookie, and a streamed body', async () => {
    const handler: HttpHandler = async () => {
      const headers = new Headers({ 'X-One': '1' });
      headers.append('Set-Cookie', 'a=1; Path=/');
      headers.append('Set-Cookie', 'b=2; Path=/');
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of ['one ', 'two ', 'three']) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      });
      return new Response(body, { status: 207, headers });
    };
    const base = await serve(toNodeListener(handler));
    const response = await fetch(base);
    expect(response.status).toBe(207);
    expect(response.headers.get('x-one')).toBe('1');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await response.text()).toBe('one two three');
  });

  it('uses the full original URL when mounted under a prefix (Express strips req.url)', async () => {
    let url = '';
    const listener = toNodeListener(async (request) => {
      url = new URL(request.url).pathname;
      return new Response(null, { status: 204 });
    });
    const base = await serve((req, res) => {
      // What Express does for app.use('/api', listener).
      Object.assign(req, { originalUrl: req.url, url: (req.url ?? '').replace(/^\/api/, '') });
      listener(req, res);
    });
    await fetch(`${base}/api/licenses`);
    expect(url).toBe('/api/licenses');
  });

  it('answers 500 with a generic problem when the handler throws', async () => {
    const base = await serve(
      toNodeListener(async () => {
        throw new Error('SELECT * FROM secrets');
      }),
    );
    const response = await fetch(base);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(text).not.toContain('SELECT');
  });

  it('keeps connections alive between ordinary requests', async () => {
    const ports: number[] = [];
    const base = await serve((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      toNodeListener(async () => new Response('{}'))(req, res);
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: new URL(base).port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers.connection));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get()).toBe('keep-alive');
    expect(await get()).toBe('keep-alive');
    agent.destroy();
    expect(ports).toHaveLength(2);
    expect(ports[0]).toBe(ports[1]);
  });

  it('answers 400 to a Host that a Fetch Request cannot hold, such as one with credentials', async () => {
    let called = false;
    const base = await serve(
      toNodeListener(async () => {
        called = true;
        return new Response('{}');
      }),
    );
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: new URL(base).port,
          path: '/api/me',
          headers: { Host: 'user:pw@example.test' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    expect(called).toBe(false);
  });

  it('aborts the request signal when the client goes away', async () => {
    let aborted: Promise<boolean> | undefined;
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const handler: HttpHandler = (request) => {
      aborted = new Promise((resolve) => request.signal.addEventListener('abort', () => resolve(true)));
      arrived();
      return aborted.then(() => new Response(null, { status: 204 }));
    };
    const base = await serve(toNodeListener(handler));
    const { port } = new URL(base);
    const req = httpRequest({ host: '127.0.0.1', port, path: '/' });
    req.on('error', () => {});
    req.end();
    await arrival;
    req.destroy();
    expect(await aborted).toBe(true);
  });
});

describe('toNodeListener behind Express', () => {
  it('answers a body that express.json() read first with a message naming the cause, and works mounted before it', async () => {
    const { default: express } = await import('express');
    const { createLicenseContacts } = await import('@license-contacts/core');
    const { createHttpHandler } = await import('@license-contacts/core/http');
    const service = createLicenseContacts();
    await service.createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    const mount = (basePath: string) =>
      toNodeListener(
        createHttpHandler(service, { basePath, authenticate: () => ({ email: 'alice@acme.test' }) }),
      );
    const app = express();
    app.use('/late', express.json(), mount('/late/api'));
    app.use(mount('/api')); // mounted before any body parser
    const base = await serve(app);
    const add = (path: string, email: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, name: 'Carol', roles: ['technical'] }),
      });

    const late = await add('/late/api/licenses/SEN-1/contacts', 'carol@acme.test');
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(
        /already read .*express\.json\(\).*mount the handler before any body parser/,
      ),
    });
    expect((await service.findLicense('SEN-1'))?.technical).toEqual(['alice@acme.test']);

    const early = await add('/api/licenses/SEN-1/contacts', 'carol@acme.test');
    expect(early.status).toBe(200);
    expect((await service.findLicense('SEN-1'))?.technical).toEqual(['alice@acme.test', 'carol@acme.test']);
  });

  it('fails the Fetch body of a request that middleware read, instead of waiting for it', async () => {
    const { default: express } = await import('express');
    let seen = '';
    const app = express();
    app.use(
      express.json(),
      toNodeListener(async (request) => {
        seen = await request.text().catch((error: Error) => error.message);
        return new Response('done');
      }),
    );
    const base = await serve(app);
    const response = await fetch(base, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.text()).toBe('done');
    expect(seen).toMatch(/already read/);
  });
});
