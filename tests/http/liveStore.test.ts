// @vitest-environment node
import { type ContactsStore, createContactsStore } from '@license-contacts/core';
import { createHttpClient } from '@license-contacts/core/http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './harness';
import { bearer, PEOPLE, startServer } from './harness';

// The client store over real HTTP: it follows GET /events through createHttpClient().watch.

let server: TestServer;
const stops: Array<() => void> = [];

beforeAll(async () => {
  server = await startServer({ heartbeatMs: 100 });
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  await server.reset();
});

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  // The store stops its watch a moment after its last observer left.
  await new Promise((resolve) => setTimeout(resolve, 10));
});

async function eventually(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
  it('takes in a change made through another instance of the api, and what was committed while the stream was down', async () => {
    const store = await liveStore('gina@acme.test');
    const alice = server.service.as(PEOPLE.insider);
    await alice.addContact('SEN-1001', { email: 'd1@acme.test', name: 'D1', roles: ['billing'] });
    await eventually(() => billingOf(store).includes('d1@acme.test'));

    server.dropConnections();
    await alice.addContact('SEN-1001', { email: 'd2@acme.test', name: 'D2', roles: ['billing'] });
    await alice.addContact('SEN-1001', { email: 'd3@acme.test', name: 'D3', roles: ['billing'] });

    await eventually(() => billingOf(store).includes('d3@acme.test'));
    expect(billingOf(store)).toEqual(['bob@acme.test', 'd1@acme.test', 'd2@acme.test', 'd3@acme.test']);
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
