// @vitest-environment node

// R10 under the heaviest contention: twenty instances (each its own pool, default service options)
// hammering one license, straight to PostgreSQL and through PgBouncer in transaction-pooling mode.
// With the row-lock path every command waits for the one before it instead of conflicting.
import type { AuditEntry, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThrowawayPgbouncer } from '../../scripts/throwawayPgbouncer';
import { startPgbouncer } from '../../scripts/throwawayPgbouncer';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

const INSTANCES = 20;
const staff = { email: 'ops@vendor.test', staff: true };
const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

/** What a batch of commands came to: how many fulfilled, and each rejection's code and message. */
function outcome(results: PromiseSettledResult<unknown>[]) {
  return {
    fulfilled: results.filter((r) => r.status === 'fulfilled').length,
    rejections: results.flatMap((r) =>
      r.status === 'rejected'
        ? [`${(r.reason as { code?: string }).code}: ${(r.reason as Error).message}`]
        : [],
    ),
  };
}

/** Every entry of a license, oldest first. */
async function historyOf(service: LicenseContacts, id: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.as(staff).history(id, { limit: 200, ...(cursor ? { cursor } : {}) });
    entries.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return entries.reverse();
}

describeWithServer('one hot license, twenty instances', (url) => {
  let bouncer: ThrowawayPgbouncer;
  const schema = uniqueSchema('hot');
  let setupPool: pg.Pool;
  let setup: LicenseContacts;
  const storages: PostgresStorage[] = [];

  beforeAll(async () => {
    bouncer = await startPgbouncer(url, { poolSize: 20 });
    setupPool = testPool(url);
    const storage = postgresStorage({ pool: setupPool, schema });
    await storage.migrate();
    setup = createLicenseContacts({ storage });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(storages.splice(0).map((s) => s.close()));
    await setupPool?.end();
    await bouncer?.destroy();
    await dropSchema(url, schema);
  });

  /** Twenty instances: each its own pool of four connections and a service with default options. */
  function instances(via: 'direct' | 'pgbouncer'): LicenseContacts[] {
    return Array.from({ length: INSTANCES }, () => {
      const storage =
        via === 'direct'
          ? postgresStorage({ pool: testPool(url, 4), schema })
          : // A transaction-mode pooler before 1.21 keeps no prepared statements: `prepare: false`.
            postgresStorage({ pool: testPool(bouncer.url, 4), schema, prepare: false });
      storages.push(storage);
      return createLicenseContacts({ storage });
    });
  }

  for (const via of ['direct', 'pgbouncer'] as const) {
    describe(via === 'direct' ? 'straight to PostgreSQL' : 'through PgBouncer (transaction pooling)', () => {
      it('fulfils 100 concurrent adds of distinct people from 20 instances: no CONFLICT, version 101', async () => {
        const id = `SEN-HOT-${via}`;
        await setup.createLicense({ id, product: 'Jira', technical: alice, billing: bob });
        const services = instances(via);
        const emails = Array.from({ length: 100 }, (_, i) => `p${i}@acme.test`);
        const results = await Promise.allSettled(
          emails.map((email, i) =>
            (services[i % INSTANCES] as LicenseContacts)
              .as(alice)
              .addContact(id, { email, name: `P ${i}`, roles: ['technical'] }),
          ),
        );
        console.log(`[hot license ${via}] ${outcome(results).fulfilled} of ${results.length} adds fulfilled`);
        expect(outcome(results)).toEqual({ fulfilled: 100, rejections: [] });
        const license = (await setup.findLicense(id)) ?? expect.unreachable();
        expect(license.version).toBe(101);
        expect([...license.technical.slice(1)].sort()).toEqual([...emails].sort());
        // One entry per version, and the list's order is the commit order.
        const entries = await historyOf(setup, id);
        expect(entries.map((e) => e.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
        expect(entries.slice(1).map((e) => e.email)).toEqual(license.technical.slice(1));
      }, 120_000);

      it('fulfils a concurrent mix of adds, promotions and removals from 20 instances, invariants kept', async () => {
        const id = `SEN-MIX-${via}`;
        const leavers = Array.from({ length: 20 }, (_, i) => ({
          email: `leaver${i}@acme.test`,
          name: `L ${i}`,
        }));
        const candidates = Array.from({ length: 10 }, (_, i) => ({
          email: `cand${i}@acme.test`,
          name: `C ${i}`,
        }));
        await setup.createLicense({
          id,
          product: 'Confluence',
          technical: alice,
          billing: bob,
          contacts: [
            ...leavers.map((l) => ({ ...l, roles: ['technical' as const] })),
            ...candidates.map((c) => ({ ...c, roles: ['billing' as const] })),
          ],
        });
        const services = instances(via);
        const adds = Array.from({ length: 40 }, (_, i) => `joiner${i}@acme.test`);
        const commands: ((service: LicenseContacts) => Promise<unknown>)[] = [
          ...adds.map(
            (email, i) => (s: LicenseContacts) =>
              s.as(staff).addContact(id, { email, name: `J ${i}`, roles: ['technical', 'billing'] }),
          ),
          ...leavers.map((l) => (s: LicenseContacts) => s.as(staff).removeContact(id, l.email)),
          ...candidates.map((c) => (s: LicenseContacts) => s.as(staff).setMain(id, 'billing', c.email)),
        ];
        // Interleaved: kinds alternate across instances and in time.
        const order = commands.map((_, i) => i).sort((a, b) => ((a * 7919) % 70) - ((b * 7919) % 70));
        const results = await Promise.allSettled(
          order.map((c, i) =>
            (commands[c] as (s: LicenseContacts) => Promise<unknown>)(
              services[i % INSTANCES] as LicenseContacts,
            ),
          ),
        );
        expect(outcome(results)).toEqual({ fulfilled: 70, rejections: [] });

        const license = (await setup.findLicense(id)) ?? expect.unreachable();
        expect(license.version).toBe(71);
        const emails = license.contacts.map((c) => c.email);
        expect(new Set(emails).size).toBe(emails.length);
        for (const l of leavers) expect(emails).not.toContain(l.email);
        for (const email of adds) expect(emails).toContain(email);
        // The main billing contact is whoever the last committed promotion named.
        const entries = await historyOf(setup, id);
        expect(entries.map((e) => e.version)).toEqual(Array.from({ length: 71 }, (_, i) => i + 1));
        const lastPromotion = entries.filter((e) => e.action === 'setMain').at(-1);
        expect(license.billing[0]).toBe(lastPromotion?.email);
        expect(license.technical[0]).toBe(alice.email);
        expect(license.billing).toHaveLength(1 + candidates.length + adds.length);
      }, 120_000);
    });
  }

  it('tells the commits that went through PgBouncer to a watch on a direct LISTEN connection', async () => {
    const listenPool = testPool(url, 1);
    const storage = postgresStorage({ pool: testPool(bouncer.url, 2), schema, prepare: false, listenPool });
    storages.push(storage);
    const told: AuditEntry[] = [];
    const watch = await (storage.watch as NonNullable<PostgresStorage['watch']>)((entry) => told.push(entry));
    try {
      const service = createLicenseContacts({ storage });
      await service.createLicense({ id: 'SEN-TOLD', product: 'Jira', technical: alice, billing: bob });
      const license = await service
        .as(alice)
        .addContact('SEN-TOLD', { email: 'x@acme.test', name: 'X', roles: ['billing'] });
      for (let i = 0; i < 200 && told.filter((e) => e.licenseId === 'SEN-TOLD').length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(told.filter((e) => e.licenseId === 'SEN-TOLD').map((e) => e.version)).toEqual([
        1,
        license.version,
      ]);
    } finally {
      watch.close();
      await listenPool.end();
    }
  }, 60_000);
});
