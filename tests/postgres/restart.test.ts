// @vitest-environment node

import type { LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThrowawayServer } from './server';
import { NO_SERVER, startThrowawayServer } from './server';

const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

async function outcome(promise: Promise<unknown>): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectStorageError(error: unknown): void {
  expect(error).toBeInstanceOf(LicenseContactsError);
  expect((error as LicenseContactsError).code).toBe('STORAGE');
  expect((error as LicenseContactsError).status).toBe(503);
  expect((error as LicenseContactsError).message).not.toMatch(/select|insert|update|ECONNREFUSED|terminat/i);
  expect((error as LicenseContactsError).cause).toBeDefined();
}

// This test stops and starts a server, so it starts one of its own (PostgreSQL 15 from PGBIN).
const suite = NO_SERVER ? describe.skip : describe;
if (NO_SERVER) console.log('[postgres] skipping the restart test: LICENSE_CONTACTS_NO_SERVER=1');

suite('PostgreSQL server restarted in the middle of a run', () => {
  let server: ThrowawayServer;
  let storage: PostgresStorage;
  let service: LicenseContacts;

  beforeAll(async () => {
    server = await startThrowawayServer();
    storage = postgresStorage({
      pool: new pg.Pool({ connectionString: server.url, max: 3, connectionTimeoutMillis: 5_000 }),
    });
    await storage.migrate();
    service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-R', product: 'Jira', technical: alice, billing: bob });
  }, 90_000);

  afterAll(async () => {
    await storage?.close();
    await server?.destroy();
  });

  it('rejects calls with STORAGE during the outage, loses nothing committed, and works again after', async () => {
    const api = service.as(alice);
    const add = (email: string) =>
      api.addContact('SEN-R', { email, name: email.split('@')[0] as string, roles: ['technical'] });
    const fulfilled: string[] = [];
    const attempted: string[] = [];

    for (let i = 0; i < 10; i++) {
      attempted.push(`before${i}@acme.test`);
      await add(`before${i}@acme.test`);
      fulfilled.push(`before${i}@acme.test`);
    }

    // A run of commands that goes on while the server stops: bounded in count and in time.
    let stopped = false;
    const failuresAfterStop: unknown[] = [];
    const deadline = Date.now() + 30_000;
    const run = (async () => {
      for (let i = 0; i < 2_000 && Date.now() < deadline && failuresAfterStop.length < 5; i++) {
        const email = `during${i}@acme.test`;
        attempted.push(email);
        const result = await outcome(add(email));
        if (result.ok) fulfilled.push(email);
        else {
          expectStorageError(result.error);
          if (stopped) failuresAfterStop.push(result.error);
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.stop();
    stopped = true;
    await run;
    expect(failuresAfterStop.length).toBe(5);

    // Every kind of call fails the same way while the server is down.
    for (const call of [
      storage.getLicense('SEN-R'),
      storage.listLicenses({ limit: 10 }),
      storage.listAudit('SEN-R', { limit: 10 }),
      storage.listChanges({ limit: 10 }),
      api.getLicense('SEN-R'),
      api.listLicenses(),
      add('outage@acme.test'),
      service.createLicense({ id: 'SEN-NEW', product: 'Jira', technical: alice, billing: bob }),
    ]) {
      const result = await outcome(call);
      expect(result.ok).toBe(false);
      if (!result.ok) expectStorageError(result.error);
    }

    await server.start();

    // The same storage object, no new process: the pool reconnects.
    const license = (await storage.getLicense('SEN-R')) ?? expect.unreachable();
    for (const email of fulfilled) expect(license.technical).toContain(email);
    for (const email of license.technical.slice(1)) expect(attempted).toContain(email);
    expect(license.technical).not.toContain('outage@acme.test');
    expect(license.version).toBe(license.technical.length);
    const history = await storage.listAudit('SEN-R', { limit: 200 });
    expect(history.items.map((e) => e.version)).toEqual(
      Array.from({ length: license.version }, (_, i) => license.version - i),
    );
    // The feed holds exactly the committed versions, in order, across the outage.
    const feed = await storage.listChanges({ limit: 500 });
    expect(feed.items.filter((e) => e.licenseId === 'SEN-R').map((e) => e.version)).toEqual(
      Array.from({ length: license.version }, (_, i) => i + 1),
    );

    const after = await add('after@acme.test');
    expect(after.technical.at(-1)).toBe('after@acme.test');
    expect(after.version).toBe(license.version + 1);
    await service.createLicense({ id: 'SEN-NEW', product: 'Jira', technical: alice, billing: bob });
    expect((await api.listLicenses()).items.map((l) => l.id)).toEqual(['SEN-NEW', 'SEN-R']);
  }, 90_000);
});
