// @vitest-environment node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEntry, ContactsStore, LicenseContactsError } from '@license-contacts/core';
import { createContactsStore } from '@license-contacts/core';
import { createHttpClient, createHttpHandler } from '@license-contacts/core/http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './harness';
import { authenticate, bearer, eventually, PEOPLE, startServer } from './harness';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ heartbeatMs: 100 });
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  await server.reset();
});

/** A raw reader of `/events`: every block of the stream as it arrives (events and comments). */
async function open(headers: Record<string, string>, query = '') {
  const controller = new AbortController();
  const response = await fetch(`${server.origin}/api/events${query}`, { headers, signal: controller.signal });
  const blocks: string[] = [];
  let buffer = '';
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          blocks.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  const events = () =>
    blocks
      .filter((block) => block.includes('data: '))
      .map((block) => {
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const entry = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as AuditEntry;
        return { id, entry };
      });
  return {
    response,
    blocks,
    events,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

const alice = { Authorization: bearer(PEOPLE.insider) };

describe('GET /events', () => {
  it('streams the actor’s entries as they commit, id: the seq, with the headers proxies need', async () => {
    const stream = await open(alice);
    const mallory = await open({ Authorization: bearer(PEOPLE.outsider) });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toBe('no-cache');
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      await eventually(() => stream.blocks.length > 0);
      const api = server.service.as(PEOPLE.insider);
      await api.addContact('SEN-1001', { email: 'dan@acme.test', name: 'Dan', roles: ['billing'] });
      await server.service
        .as(PEOPLE.outsider)
        .addContact('SEN-2001', { email: 'max@other.test', name: 'Max', roles: ['technical'] });
      await eventually(() => stream.events().length === 1 && mallory.events().length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const [event] = stream.events();
      expect(event?.entry).toMatchObject({
        licenseId: 'SEN-1001',
        action: 'addContact',
        email: 'dan@acme.test',
      });
      expect(event?.id).toBe(event?.entry.seq);
      expect(stream.events()).toHaveLength(1);
      expect(mallory.events().map((e) => e.entry.licenseId)).toEqual(['SEN-2001']);
    } finally {
      await stream.close();
      await mallory.close();
    }
  });

  it('resumes after Last-Event-ID (or ?after=) with what the actor missed, then goes on', async () => {
    const { items } = await server.service.as(PEOPLE.insider).changes();
    const first = items[0] as AuditEntry;
    for (const [headers, query] of [
      [{ ...alice, 'Last-Event-ID': first.seq }, ''],
      [alice, `?after=${first.seq}`],
    ] as const) {
      const stream = await open(headers, query);
      try {
        await eventually(() => stream.events().length === items.length - 1);
        expect(stream.events().map((e) => e.entry.id)).toEqual(items.slice(1).map((e) => e.id));
      } finally {
        await stream.close();
      }
    }
  });

  it('says where it is (an id: without data, and a position comment), from now and from Last-Event-ID', async () => {
    const { items } = await server.service.changes();
    const head = items.at(-1)?.seq as string;
    const first = items[0]?.seq as string;
    for (const [headers, expected] of [
      [alice, head],
      [{ ...alice, 'Last-Event-ID': first }, first],
    ] as const) {
      const stream = await open(headers);
      try {
        await eventually(() => stream.blocks.some((block) => block.includes(': position')));
        const block = stream.blocks.find((b) => b.includes(': position'));
        expect(block).toBe(`id: ${expected}\n: position ${expected}`);
      } finally {
        await stream.close();
      }
    }
  });

  it('lets go of a client that stops reading once about 1 MiB waits for it', async () => {
    const handler = createHttpHandler(server.service, { authenticate });
    const response = await handler(
      new Request(`${server.origin}/api/events`, { headers: { Authorization: bearer(PEOPLE.staff) } }),
    );
    expect(response.status).toBe(200);
    // Nobody reads while thousands of entries (about 400 bytes each) commit.
    const staffApi = server.service.as(PEOPLE.staff);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 2000; i++) {
      await staffApi.addContact('SEN-1001', { email: `n${i}@acme.test`, name: `N ${i}`, roles: ['billing'] });
      await staffApi.removeContact('SEN-1001', `n${i}@acme.test`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Then the stream has ended after the backlog, rather than holding every entry since.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    const deadline = Date.now() + 5_000;
    for (;;) {
      const next = await Promise.race([
        reader.read(),
        new Promise<'open'>((resolve) =>
          setTimeout(() => resolve('open'), Math.max(0, deadline - Date.now())),
        ),
      ]);
      if (next === 'open') throw new Error(`the stream is still open after ${bytes} bytes`);
      if (next.done) break;
      bytes += next.value.byteLength;
    }
    expect(bytes).toBeGreaterThan(1024 * 1024);
    expect(bytes).toBeLessThan(1.5 * 1024 * 1024);
  });

  it('sends a heartbeat comment when nothing happens', async () => {
    const stream = await open(alice);
    try {
      await eventually(() => stream.blocks.some((block) => block === ': heartbeat'));
    } finally {
      await stream.close();
    }
  });

  it('answers 401 without an actor and 400 to a Last-Event-ID it never sent', async () => {
    const anonymous = await fetch(`${server.origin}/api/events`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).code).toBe('UNAUTHENTICATED');
    // 16 digits but beyond any seq (not a safe integer) is no id either: 400, not a field's 422.
    for (const id of ['abc', '12', '-1', '0000000000000001x', 'SEN-1001:1', '9999999999999999']) {
      const answer = await fetch(`${server.origin}/api/events`, {
        headers: { ...alice, 'Last-Event-ID': id },
      });
      expect(answer.status).toBe(400);
      expect((await answer.json()).code).toBe('BAD_REQUEST');
    }
  });
});

describe('createHttpClient().watch', () => {
  const client = () =>
    createHttpClient({
      baseUrl: `${server.origin}/api`,
      headers: alice,
      reconnectDelay: () => 20,
    });

  it('tells each entry once, and reconnects with Last-Event-ID after a lost connection, missing nothing', async () => {
    const told: AuditEntry[] = [];
    const errors: unknown[] = [];
    let opened = 0;
    const stop = client().watch((entry) => told.push(entry), {
      onError: (error) => errors.push(error),
      onOpen: () => opened++,
    });
    try {
      await eventually(() => opened === 1);
      const api = server.service.as(PEOPLE.insider);
      await api.addContact('SEN-1001', { email: 'd1@acme.test', name: 'D1', roles: ['billing'] });
      await eventually(() => told.length === 1);
      server.dropConnections();
      // Committed while the client is away.
      await api.addContact('SEN-1001', { email: 'd2@acme.test', name: 'D2', roles: ['billing'] });
      await api.addContact('SEN-1001', { email: 'd3@acme.test', name: 'D3', roles: ['billing'] });
      await eventually(() => told.length === 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(told.map((e) => e.email)).toEqual(['d1@acme.test', 'd2@acme.test', 'd3@acme.test']);
      expect(opened).toBe(2); // once at first, once more on reconnecting
    } finally {
      stop();
    }
  });

  it('started from now, misses nothing committed while the connection was lost before its first entry', async () => {
    const told: AuditEntry[] = [];
    const positions: string[] = [];
    const stop = client().watch((entry) => told.push(entry), {
      onOpen: (position) => positions.push(position),
    });
    try {
      await eventually(() => positions.length === 1);
      server.dropConnections();
      const api = server.service.as(PEOPLE.insider);
      await api.addContact('SEN-1001', { email: 'd1@acme.test', name: 'D1', roles: ['billing'] });
      await api.addContact('SEN-1001', { email: 'd2@acme.test', name: 'D2', roles: ['billing'] });
      await eventually(() => told.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(told.map((e) => e.email)).toEqual(['d1@acme.test', 'd2@acme.test']);
      // The second open resumed where the first said it was.
      expect(positions).toEqual([positions[0], positions[0]]);
    } finally {
      stop();
    }
  });

  it('takes a stream that goes silent (no heartbeat) for lost, and connects again from where it was', async () => {
    // A proxy that keeps the connection open but passes nothing more: an entry, then silence.
    const asked: (string | undefined)[] = [];
    const silent = createServer((req, res) => {
      asked.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (asked.length === 1)
        res.write(`id: 0000000000000007\ndata: ${JSON.stringify({ seq: '0000000000000007' })}\n\n`);
      else res.write(': connected\n\n');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const told: string[] = [];
    const stop = createHttpClient({
      baseUrl: `http://127.0.0.1:${port}/api`,
      reconnectDelay: () => 10,
      silentMs: 150,
    }).watch((entry) => told.push(entry.seq));
    try {
      await eventually(() => asked.length >= 2);
      expect(told).toEqual(['0000000000000007']);
      expect(asked.slice(0, 2)).toEqual([undefined, '0000000000000007']);
    } finally {
      stop();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops at an answer retrying cannot change (401), telling onError', async () => {
    const errors: unknown[] = [];
    createHttpClient({ baseUrl: `${server.origin}/api`, reconnectDelay: () => 10 }).watch(() => {}, {
      onError: (error) => errors.push(error),
    });
    await eventually(() => errors.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors).toHaveLength(1);
    expect((errors[0] as LicenseContactsError).code).toBe('UNAUTHENTICATED');
  });
});

const stops: Array<() => void> = [];

/** A store over HTTP as `email`, observing the list and SEN-1001, its watch stopped after the test. */
async function liveStore(email: string): Promise<ContactsStore> {
  const api = createHttpClient({
    baseUrl: `${server.origin}/api`,
    headers: { Authorization: bearer({ email }) },
    reconnectDelay: () => 20,
  });
  const store = createContactsStore(api, { gcTime: 60_000 });
  stops.push(store.observe({ type: 'list' }), store.observe({ type: 'license', licenseId: 'SEN-1001' }));
  await store.ensureList();
  await eventually(() => store.getSnapshot().live.status === 'on');
  // The stream is open once the server has sent its first block; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 150));
  return store;
}

const billingOf = (store: ContactsStore) => store.getSnapshot().licenses['SEN-1001']?.data?.billing ?? [];

describe('createContactsStore over createHttpClient', () => {
  // The client store follows GET /events through createHttpClient().watch.
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    // The store stops its watch a moment after its last observer left.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('takes in a change made through another instance of the api, and what was committed while the stream was down', async () => {
    const store = await liveStore('gina@acme.test');
    const alice = server.service.as(PEOPLE.insider);
    await alice.addContact('SEN-1001', { email: 'd1@acme.test', name: 'D1', roles: ['billing'] });
    await eventually(() => billingOf(store).includes('d1@acme.test'));

    server.dropConnections();
    await alice.addContact('SEN-1001', { email: 'd2@acme.test', name: 'D2', roles: ['billing'] });
    await alice.addContact('SEN-1001', { email: 'd3@acme.test', name: 'D3', roles: ['billing'] });

    await eventually(() => billingOf(store).includes('d3@acme.test'));
    // The harness's billing contacts (Bob, Pat the partner), then the three added, in order.
    expect(billingOf(store)).toEqual([
      'bob@acme.test',
      'pat@partner.test',
      'd1@acme.test',
      'd2@acme.test',
      'd3@acme.test',
    ]);
    expect(store.getSnapshot().live.status).toBe('on');
  });

  it('drops a license from the list of a person removed from it', async () => {
    const store = await liveStore('gina@acme.test');
    expect(store.getSnapshot().lists['']?.ids).toEqual(['SEN-1001']);
    await server.service.as(PEOPLE.insider).removeContact('SEN-1001', 'gina@acme.test');
    await eventually(() => store.getSnapshot().lists['']?.ids.length === 0);
    expect(store.getSnapshot().licenses['SEN-1001']?.error?.code).toBe('NOT_FOUND');
  });
});
