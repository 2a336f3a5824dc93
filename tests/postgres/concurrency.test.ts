// @vitest-environment node

import type { LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

const SERVICES = 20;
const COMMANDS = 20;
const staff = { email: 'ops@vendor.test', staff: true };
const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

/** Every rejection is a library error, CONFLICT at worst, and no deadlock ever reaches the caller. */
function checkFailures(results: PromiseSettledResult<unknown>[]): void {
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const error = result.reason as LicenseContactsError;
    expect(error).toBeInstanceOf(LicenseContactsError);
    expect(error.code).toBe('CONFLICT');
    expect((error.cause as { code?: string } | undefined)?.code).not.toBe('40P01');
  }
}

describeWithServer('PostgreSQL server under concurrent services', (url) => {
  const schema = uniqueSchema('concurrency');
  let setupPool: pg.Pool;
  let setup: LicenseContacts;
  const storages: PostgresStorage[] = [];
  const services: LicenseContacts[] = [];

  beforeAll(async () => {
    setupPool = testPool(url);
    const storage = postgresStorage({ pool: setupPool, schema });
    await storage.migrate();
    setup = createLicenseContacts({ storage });
    // Twenty processes' worth of services: each its own pool of two connections.
    for (let i = 0; i < SERVICES; i++) {
      const own = postgresStorage({ pool: testPool(url, 2), schema });
      storages.push(own);
      services.push(
        createLicenseContacts({
          storage: own,
          maxRetries: 60,
          retryDelay: (attempt) => Math.random() * Math.min(40, 2 ** attempt),
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(storages.map((s) => s.close()));
    await setupPool.end();
    await dropSchema(url, schema);
  });

  it('loses no update when 20 services add 400 people to one license at once', async () => {
    await setup.createLicense({ id: 'SEN-HOT', product: 'Jira', technical: alice, billing: bob });
    const commands = services.flatMap((service, s) =>
      Array.from({ length: COMMANDS }, (_, i) => {
        const email = `p${s}-${i}@acme.test`;
        return {
          email,
          run: () =>
            service.as(alice).addContact('SEN-HOT', { email, name: `P ${s}-${i}`, roles: ['technical'] }),
        };
      }),
    );
    const results = await Promise.allSettled(commands.map((c) => c.run()));
    checkFailures(results);
    console.log(
      `[concurrency] ${results.filter((r) => r.status === 'fulfilled').length} of ${results.length} commands fulfilled`,
    );
    const added = commands.filter((_, i) => results[i]?.status === 'fulfilled').map((c) => c.email);
    expect(added.length).toBeGreaterThan(0);

    const license = (await setup.findLicense('SEN-HOT')) ?? expect.unreachable();
    // Every fulfilled add is there, no rejected one is, and each fulfilled add made exactly one version.
    expect(new Set(license.technical.slice(1))).toEqual(new Set(added));
    expect(license.version).toBe(1 + added.length);
    const history = await setup.as(staff).history('SEN-HOT', { limit: 200 });
    const entries = [...history.items];
    for (let cursor = history.nextCursor; cursor !== undefined; ) {
      const page = await setup.as(staff).history('SEN-HOT', { limit: 200, cursor });
      entries.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(entries.map((e) => e.version)).toEqual(
      Array.from({ length: license.version }, (_, i) => license.version - i),
    );
    // The list's order is the commit order the audit recorded.
    expect(
      entries
        .filter((e) => e.action === 'addContact')
        .map((e) => e.email)
        .reverse(),
    ).toEqual(license.technical.slice(1));
  }, 120_000);

  it('with the default retries, every one of 400 adds to one license is fulfilled (the row-lock path)', async () => {
    await setup.createLicense({ id: 'SEN-DEFAULT', product: 'Jira', technical: alice, billing: bob });
    // The same pools, services with the default retry budget: the commands wait for each other's rows.
    const defaults = storages.map((storage) => createLicenseContacts({ storage }));
    const commands = defaults.flatMap((service, s) =>
      Array.from({ length: COMMANDS }, (_, i) => {
        const email = `d${s}-${i}@acme.test`;
        return {
          email,
          run: () =>
            service.as(alice).addContact('SEN-DEFAULT', { email, name: `D ${s}-${i}`, roles: ['technical'] }),
        };
      }),
    );
    const results = await Promise.allSettled(commands.map((c) => c.run()));
    checkFailures(results);
    const added = commands.filter((_, i) => results[i]?.status === 'fulfilled').map((c) => c.email);
    console.log(`[concurrency] default retries: ${added.length} of ${results.length} commands fulfilled`);
    expect(added).toHaveLength(commands.length);
    const license = (await setup.findLicense('SEN-DEFAULT')) ?? expect.unreachable();
    expect(new Set(license.technical.slice(1))).toEqual(new Set(added));
    expect(license.version).toBe(1 + added.length);
  }, 120_000);

  it('loses no update when 20 services change 10 overlapping licenses with adds and multi-license replaces', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `SEN-O${i}`);
    const leavers = Array.from({ length: SERVICES }, (_, s) => ({
      email: `leaver${s}@acme.test`,
      name: `Leaver ${s}`,
    }));
    for (const id of ids) {
      await setup.createLicense({
        id,
        product: 'Confluence',
        technical: alice,
        billing: bob,
        contacts: leavers.map((l) => ({ ...l, roles: ['technical'] })),
      });
    }
    type Command = { kind: 'add'; licenseId: string; email: string } | { kind: 'replace'; s: number };
    const commands: { command: Command; run: () => Promise<unknown> }[] = [];
    services.forEach((service, s) => {
      for (let i = 0; i < COMMANDS - 1; i++) {
        const licenseId = ids[(s + i) % ids.length] as string;
        const email = `q${s}-${i}@acme.test`;
        commands.push({
          command: { kind: 'add', licenseId, email },
          run: () =>
            service.as(staff).addContact(licenseId, { email, name: `Q ${s}-${i}`, roles: ['billing'] }),
        });
      }
      // Interleaved with the adds: one person replaced on all ten licenses in one commit.
      commands.splice(commands.length - (s % 7), 0, {
        command: { kind: 'replace', s },
        run: () =>
          service
            .as(staff)
            .replaceContact(`leaver${s}@acme.test`, { email: `joiner${s}@acme.test`, name: `Joiner ${s}` }),
      });
    });
    expect(commands).toHaveLength(SERVICES * COMMANDS);

    const results = await Promise.allSettled(commands.map((c) => c.run()));
    checkFailures(results);
    console.log(
      `[concurrency] ${results.filter((r) => r.status === 'fulfilled').length} of ${results.length} commands fulfilled`,
    );
    const fulfilled = commands.filter((_, i) => results[i]?.status === 'fulfilled').map((c) => c.command);
    expect(fulfilled).toHaveLength(commands.length);
    for (const [i, result] of results.entries()) {
      const command = commands[i]?.command;
      if (result.status === 'fulfilled' && command?.kind === 'replace') {
        expect((result.value as { changed: unknown[] }).changed).toHaveLength(ids.length);
      }
    }

    // The model: the initial contacts, each replaced leaver swapped for their joiner, plus every fulfilled add.
    for (const id of ids) {
      const replaced = new Set(fulfilled.flatMap((c) => (c.kind === 'replace' ? [c.s] : [])));
      const adds = fulfilled.flatMap((c) => (c.kind === 'add' && c.licenseId === id ? [c.email] : []));
      const expected = new Set([
        alice.email,
        bob.email,
        ...leavers.map((l, s) => (replaced.has(s) ? `joiner${s}@acme.test` : l.email)),
        ...adds,
      ]);
      const license = (await setup.findLicense(id)) ?? expect.unreachable();
      expect(new Set(license.contacts.map((c) => c.email))).toEqual(expected);
      expect(license.contacts).toHaveLength(expected.size);
      expect(license.billing.slice(1).sort()).toEqual([...adds].sort());
      expect(license.version).toBe(1 + replaced.size + adds.length);
    }
    const { rows } = await setupPool.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "${schema}".audit_entries WHERE license_id LIKE 'SEN-O%'`,
    );
    const versions = await setupPool.query<{ n: number }>(
      `SELECT sum(version)::integer AS n FROM "${schema}".licenses WHERE id LIKE 'SEN-O%'`,
    );
    expect(rows[0]?.n).toBe(versions.rows[0]?.n);
  }, 120_000);
});
