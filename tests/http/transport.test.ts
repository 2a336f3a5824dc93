// @vitest-environment node
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { Actor } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticate, PEOPLE, seed } from './harness';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server on 127.0.0.1 whose listener also tells when each answer closed. */
async function serve(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  onClose: () => void = () => {},
): Promise<number> {
  const server = createServer((req, res) => {
    res.once('close', onClose);
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

function get(
  port: number,
  path: string,
  actor: Actor,
): Promise<{ status: number; length: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${actor.email}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            length: Number(res.headers['content-length']),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('toNodeListener with createHttpHandler', () => {
  it('does not apply a change whose client went away before it started, and reports nothing', async () => {
    const service = createLicenseContacts();
    await seed(service);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = () => {};
    const waiting = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const reported: unknown[] = [];
    const handler = createHttpHandler(service, {
      // Holds the request until the test lets it go: by then its client has left.
      authenticate: async (request) => {
        arrived();
        await gate;
        return authenticate(request);
      },
      onError: (error) => reported.push(error),
    });
    let closed = () => {};
    const answerClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const port = await serve(toNodeListener(handler), () => closed());

    const body = JSON.stringify({ email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /api/licenses/SEN-1001/contacts HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${PEOPLE.insider.email}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waiting;
    socket.destroy();
    await answerClosed;
    release();
    // The handler goes on once released; give it the turns it needs to reach the service.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const license = await service.as(PEOPLE.insider).getLicense('SEN-1001');
    expect(license.contacts.map((c) => c.email)).not.toContain('dan@acme.test');
    expect(reported).toEqual([]);
  });

  it('applies a change whose client is still there after the same wait', async () => {
    const service = createLicenseContacts();
    await seed(service);
    const handler = createHttpHandler(service, {
      authenticate: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return authenticate(request);
      },
    });
    const port = await serve(toNodeListener(handler));
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/licenses/SEN-1001/contacts',
          headers: {
            Authorization: `Bearer ${PEOPLE.insider.email}`,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const license = await service.as(PEOPLE.insider).getLicense('SEN-1001');
    expect(license.contacts.map((c) => c.email)).toContain('dan@acme.test');
  });

  it('sends a body of any characters with its length in bytes', async () => {
    const service = createLicenseContacts();
    await service.createLicense({
      id: 'SEN-7',
      product: 'Jira — Ünïcode 🙂',
      technical: { email: 'zoe@acme.test', name: 'Zoë 🙂' },
      billing: { email: 'bob@acme.test', name: 'Bøb' },
    });
    const port = await serve(toNodeListener(createHttpHandler(service, { authenticate })));
    const answer = await get(port, '/api/licenses/SEN-7', { email: 'zoe@acme.test' });
    expect(answer.status).toBe(200);
    expect(answer.length).toBe(Buffer.byteLength(answer.text, 'utf8'));
    expect(answer.length).toBeGreaterThan(answer.text.length);
    expect(JSON.parse(answer.text).contacts[0].name).toBe('Zoë 🙂');
  });
});
