// @vitest-environment node

import type { Socket } from 'node:net';
import { connect } from 'node:net';
import type { LicenseStorage } from '@license-contacts/core';
import { memoryStorage } from '@license-contacts/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Answer, TestServer } from './harness';
import { bearer, PEOPLE, startServer, stateOf } from './harness';

const MAX = 64 * 1024;
const STACK_LINE = /\n\s+at |\bat [\w.<>]+ \(|\.(?:js|ts):\d+/;
const SQL = /\b(?:SELECT|INSERT|UPDATE|DELETE\s+FROM|relation|syntax error|pg_|SQLSTATE)\b/i;

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

const auth = { Authorization: bearer(PEOPLE.insider) };
const json = { ...auth, 'Content-Type': 'application/json' };

interface RawResult {
  /** Everything the server sent back. */
  response: string;
  /** Body bytes written before the answer came (or the socket closed). */
  sent: number;
  /** Whether the server closed the connection. */
  closed: boolean;
}

/**
 * Sends a request head, then body chunks until the server answers or `limit` bytes were sent,
 * over a raw socket; waits at most `ms` for the server to close afterwards.
 */
async function rawUpload(
  head: string,
  options: { chunked: boolean; limit: number; ms?: number },
): Promise<RawResult> {
  const socket: Socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let response = '';
  let closed = false;
  socket.on('error', () => {
    closed = true; // a reset after the answer is the server refusing the rest
  });
  socket.on('data', (data: Buffer) => {
    response += data.toString('latin1');
  });
  // A polite client: when the server closes its side, close ours.
  socket.on('end', () => socket.end());
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void gone.then(() => {
    closed = true;
  });
  socket.write(head);
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  const frame = options.chunked
    ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    : chunk;
  let sent = 0;
  const deadline = Date.now() + 10_000;
  while (!response.includes('\r\n\r\n') && !closed && sent < options.limit && Date.now() < deadline) {
    const ok = socket.write(frame);
    sent += chunk.length;
    if (!ok) {
      await Promise.race([
        new Promise((resolve) => socket.once('drain', resolve)),
        gone,
        new Promise((resolve) => setTimeout(resolve, 50)),
      ]);
    } else if (sent % (256 * 1024) === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, options.ms ?? 3000))]);
  socket.destroy();
  return { response, sent, closed };
}

function head(extra: string): string {
  return (
    'POST /api/licenses/SEN-1001/contacts HTTP/1.1\r\n' +
    `Host: 127.0.0.1:${server.port}\r\n` +
    `Authorization: ${bearer(PEOPLE.insider)}\r\n` +
    'Content-Type: application/json\r\n' +
    `${extra}\r\n`
  );
}

describe('body size limit over a raw socket', () => {
  it('answers 413 to a huge chunked body early, without reading the rest, and closes', async () => {
    const before = await stateOf(server.service);
    const limit = 256 * 1024 * 1024;
    const result = await rawUpload(head('Transfer-Encoding: chunked\r\n'), { chunked: true, limit });
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.response.toLowerCase()).toContain('connection: close');
    expect(result.response).toContain('"code":"PAYLOAD_TOO_LARGE"');
    // Far less than the body was ever sent: the server stopped reading at the limit (kernel buffers aside).
    expect(result.sent).toBeLessThan(8 * 1024 * 1024);
    expect(result.closed).toBe(true);
    expect(await stateOf(server.service)).toBe(before);
  });

  it('answers 413 from a too large Content-Length before any body byte', async () => {
    const result = await rawUpload(head('Content-Length: 1000000000\r\n'), { chunked: false, limit: 0 });
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.sent).toBe(0);
    expect(result.closed).toBe(true);
  });

  it('accepts a body just under the limit and keeps the connection', async () => {
    const body = JSON.stringify({
      email: 'dan@acme.test',
      name: 'Dan',
      roles: ['technical'],
      pad: ' '.repeat(MAX - 100),
    });
    expect(Buffer.byteLength(body)).toBeLessThan(MAX);
    const answer = await server.send('POST', '/api/licenses/SEN-1001/contacts', { headers: json, body });
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).not.toBe('close');
    const over = await server.send('POST', '/api/licenses/SEN-1001/contacts', {
      headers: json,
      body: body.replace('"pad":"', `"pad":"${' '.repeat(200)}`),
    });
    expect(over.status).toBe(413);
  });
});

describe('same-origin check over a raw socket', () => {
  /** Adds a contact with this request target, Host and Origin, over a raw socket; the raw answer. */
  async function addWith(target: string, host: string, origin: string): Promise<string> {
    const body = '{"email":"zed@acme.test","name":"Zed","roles":["technical"]}';
    const socket: Socket = connect(server.port, '127.0.0.1');
    let response = '';
    socket.on('data', (data: Buffer) => {
      response += data.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('close', () => resolve());
      socket.write(
        `POST ${target} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${bearer(PEOPLE.insider)}\r\n` +
          `Origin: ${origin}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    return response;
  }

  it('lets no absolute request target choose its own origin', async () => {
    const before = await stateOf(server.service);
    const target = 'http://evil.test/api/licenses/SEN-1001/contacts';
    const response = await addWith(target, `127.0.0.1:${server.port}`, 'http://evil.test');
    expect(response).toMatch(/^HTTP\/1\.1 403 /);
    expect(response).toContain('"reason":"CROSS_SITE"');
    expect(await stateOf(server.service)).toBe(before);
  });

  it('accepts the Origin of the Host the browser addressed', async () => {
    const response = await addWith(
      '/api/licenses/SEN-1001/contacts',
      'portal.example.com',
      'http://portal.example.com',
    );
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('problem responses', () => {
  function expectClean(answer: Answer) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    const body = JSON.parse(answer.text);
    expect(
      Object.keys(body).every((key) =>
        ['type', 'title', 'status', 'code', 'detail', 'field', 'reason'].includes(key),
      ),
    ).toBe(true);
    expect(body.status).toBe(answer.status);
    expect(answer.text).not.toMatch(STACK_LINE);
    expect(answer.text).not.toMatch(SQL);
  }

  it('carry the same shape and headers for every refusal, with nothing internal', async () => {
    const cases: [string, string, { headers?: Record<string, string>; body?: string }, number][] = [
      ['GET', '/api/nowhere', { headers: auth }, 404],
      ['PATCH', '/api/licenses/SEN-1001', { headers: auth }, 405],
      ['GET', '/api/me', {}, 401],
      [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        { headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' },
        415,
      ],
      ['POST', '/api/licenses/SEN-1001/contacts', { headers: json, body: '{"email": SELECT' }, 400],
      ['POST', '/api/licenses/SEN-1001/contacts', { headers: json, body: '{"email":1}' }, 422],
      [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        { headers: { ...json, Origin: 'https://evil.test' }, body: '{}' },
        403,
      ],
      [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        {
          headers: { ...json, 'If-Match': '"9"' },
          body: '{"email":"d@acme.test","name":"D","roles":["billing"]}',
        },
        412,
      ],
      [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        { headers: json, body: '{"email":"alice@acme.test","name":"A","roles":["technical"]}' },
        409,
      ],
      ['GET', '/api/licenses/SEN-1001%00', { headers: auth }, 422],
      ['GET', '/api/licenses/%ZZ', { headers: auth }, 400],
      // Found by fuzzing: a refused body with a Host carrying credentials once answered 500.
      [
        'POST',
        '/api/licenses/SEN-1001/contacts',
        { headers: { ...auth, 'Content-Type': '', Host: '!@A' }, body: '{}' },
        400,
      ],
    ];
    for (const [method, path, init, status] of cases) {
      const answer = await server.send(method, path, init);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status });
      expectClean(answer);
    }
  });

  it('never show what a failing storage said', async () => {
    const broken = new Error(
      'ERROR: relation "licenses" does not exist\n    at Query.run (/srv/node_modules/pg/lib/query.js:1:1)',
    );
    let failing = false;
    const memory = memoryStorage();
    const storage: LicenseStorage = {
      ...memory,
      getLicense: (id) => (failing ? Promise.reject(broken) : memory.getLicense(id)),
      listLicenses: (query) => (failing ? Promise.reject(broken) : memory.listLicenses(query)),
      listAudit: (id, query) => (failing ? Promise.reject(broken) : memory.listAudit(id, query)),
      listChanges: (query) => (failing ? Promise.reject(broken) : memory.listChanges(query)),
      getRequest: (id) => (failing ? Promise.reject(broken) : memory.getRequest(id)),
      listRequests: (query) => (failing ? Promise.reject(broken) : memory.listRequests(query)),
      getAddresses: (emails) => (failing ? Promise.reject(broken) : memory.getAddresses(emails)),
      commit: (commit) => (failing ? Promise.reject(broken) : memory.commit(commit)),
    };
    await server.reset({ storage });
    failing = true;
    for (const path of [
      '/api/licenses',
      '/api/licenses/SEN-1001',
      '/api/licenses/SEN-1001/history',
      '/api/changes',
    ]) {
      const answer = await server.send('GET', path, { headers: auth });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.text).code).toBe('STORAGE');
      expectClean(answer);
    }
    const write = await server.send('POST', '/api/licenses/SEN-1001/contacts', {
      headers: json,
      body: '{"email":"d@acme.test","name":"D","roles":["billing"]}',
    });
    expect(write.status).toBe(503);
    expectClean(write);
  });
});
