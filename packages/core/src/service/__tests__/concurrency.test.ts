import type { AuditEntry, LicenseContacts, LicenseStorage } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople, expectUnbrokenHistory } from '@license-contacts/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ID = 'SEN-4821337';
const alice = { email: demoPeople.alice.email };

async function fullHistory(service: LicenseContacts, id: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.as({ email: 'ops@vendor.test', staff: true }).history(id, {
      limit: 200,
      ...(cursor === undefined ? {} : { cursor }),
    });
    entries.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return entries.reverse();
}

/** The row-lock path of a storage that has it. */
const lockedOf = (storage: LicenseStorage) =>
  (storage.locked as NonNullable<LicenseStorage['locked']>).bind(storage);

/** No lost update: each entry starts from the state the previous one ended in, and the license is the last. */
async function expectUnbrokenChain(service: LicenseContacts, id: string): Promise<void> {
  expectUnbrokenHistory(await fullHistory(service, id), await service.findLicense(id));
}

/** A memory storage holding the demo licenses, created through the service so their history starts at 1. */
async function seeded(latency = 0): Promise<LicenseStorage> {
  const storage = memoryStorage({ latency });
  const service = createLicenseContacts({ storage });
  for (const input of demoLicenseInputs) await service.createLicense(input);
  return storage;
}

describe('service concurrency', () => {
  it('applies every one of many concurrent adds on one license within one instance', async () => {
    const service = createLicenseContacts({ storage: await seeded() });
    const api = service.as(alice);
    const emails = Array.from({ length: 60 }, (_, i) => `colleague${i}@acme.test`);
    const results = await Promise.allSettled(
      emails.map((email, i) => api.addContact(ID, { email, name: `Colleague ${i}`, roles: ['technical'] })),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const license = await api.getLicense(ID);
    for (const email of emails) expect(license.technical).toContain(email);
    expect(license.version).toBe(1 + emails.length);
    await expectUnbrokenChain(service, ID);
  });

  it('loses no update when instances sharing one storage conflict and retry', async () => {
    const storage = await seeded(1);
    const services = Array.from({ length: 8 }, () =>
      createLicenseContacts({ storage, maxRetries: 50, retryDelay: () => 1 }),
    );
    const calls = services.flatMap((service, s) =>
      Array.from({ length: 6 }, (_, i) =>
        service
          .as(alice)
          .addContact(ID, { email: `s${s}-${i}@acme.test`, name: `S${s} ${i}`, roles: ['billing'] }),
      ),
    );
    const results = await Promise.allSettled(calls);
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    expect(fulfilled).toBe(calls.length);
    const license = (await storage.getLicense(ID)) ?? expect.unreachable();
    expect(license.billing).toHaveLength(1 + calls.length);
    await expectUnbrokenChain(services[0] as LicenseContacts, ID);
  });

  it('never answers from a stale copy: what another instance changed is read before refusing or skipping', async () => {
    const storage = await seeded();
    const here = createLicenseContacts({ storage });
    const there = createLicenseContacts({ storage });
    const carol = { email: 'carol@acme.test' };
    await here.as(alice).getLicense(ID); // this instance now knows version 1
    await there.as(alice).removeContact(ID, carol.email);
    await there.as(alice).setMain(ID, 'technical', 'alice@acme.test'); // a no-op: alice is main
    await there.as(alice).addContact(ID, { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
    await there.as({ email: 'dan@acme.test' }).setMain(ID, 'technical', 'dan@acme.test');
    // On the stale copy carol is still technical (DUPLICATE) and alice still main (a no-op).
    const added = await here
      .as(alice)
      .addContact(ID, { email: carol.email, name: 'Carol', roles: ['technical'] });
    expect(added.technical).toEqual(['dan@acme.test', 'alice@acme.test', carol.email]);
    const promoted = await here.as(alice).setMain(ID, 'technical', 'alice@acme.test');
    expect(promoted.technical[0]).toBe('alice@acme.test');
    await expectUnbrokenChain(here, ID);
  });

  it('starts a command from the last version it saw, saving the read, when nobody else wrote', async () => {
    const storage = await seeded();
    let reads = 0;
    const counting: LicenseStorage = {
      ...storage,
      getLicense: (id) => {
        reads++;
        return storage.getLicense(id);
      },
      // Reading under the row locks is a read too.
      locked: (ids, work, options) => {
        reads++;
        return lockedOf(storage)(ids, work, options);
      },
    };
    const service = createLicenseContacts({ storage: counting });
    const api = service.as(alice);
    await api.addContact(ID, { email: 'x1@acme.test', name: 'X1', roles: ['technical'] });
    const before = reads;
    await api.addContact(ID, { email: 'x2@acme.test', name: 'X2', roles: ['technical'] });
    await api.setMain(ID, 'technical', 'x2@acme.test');
    expect(reads).toBe(before);
    const uncached = createLicenseContacts({ storage: counting, cacheSize: 0 });
    await uncached.as(alice).addContact(ID, { email: 'x3@acme.test', name: 'X3', roles: ['technical'] });
    expect(reads).toBe(before + 1);
  });

  it('runs the commands queued behind a license in one turn, each with its own answer, version and entry', async () => {
    const storage = await seeded();
    let turns = 0;
    const counting: LicenseStorage = {
      ...storage,
      commit: (commit) => {
        turns++;
        return storage.commit(commit);
      },
      locked: (ids, work, options) => {
        turns++;
        return lockedOf(storage)(ids, work, options);
      },
    };
    const service = createLicenseContacts({ storage: counting });
    const api = service.as(alice);
    const add = (email: string, opts?: { expectedVersion: number }) =>
      api.addContact(ID, { email, name: email.split('@')[0] as string, roles: ['technical'] }, opts);
    // The first runs at once; the rest queue behind it and run in the next turn, in this order.
    const calls = [
      add('p0@acme.test'),
      add('p1@acme.test'),
      add('carol@acme.test'), // DUPLICATE: carol is technical already
      add('p2@acme.test'),
      service
        .as({ email: 'stranger@else.test' })
        .addContact(ID, { email: 's@else.test', name: 'S', roles: ['billing'] }),
      api.removeContact(ID, 'p0@acme.test'), // p0 joined in the turn before
      api.setMain(ID, 'technical', 'alice@acme.test'), // a no-op: alice is main
      add('p3@acme.test', { expectedVersion: 1 }), // CONFLICT: the license moved on
      add('p4@acme.test'),
    ];
    const results = await Promise.allSettled(calls);
    const codes = results.map((r) =>
      r.status === 'fulfilled' ? r.value.version : (r.reason as { code: string }).code,
    );
    expect(codes).toEqual([2, 3, 'DUPLICATE', 4, 'NOT_FOUND', 5, 5, 'CONFLICT', 6]);
    expect(turns).toBe(2);
    const license = await api.getLicense(ID);
    expect(license.version).toBe(6);
    expect(license.technical).toEqual([
      'alice@acme.test',
      'carol@acme.test',
      'p1@acme.test',
      'p2@acme.test',
      'p4@acme.test',
    ]);
    // Each answer is the license right after its own command.
    const [, second, , third] = results as PromiseFulfilledResult<{ technical: readonly string[] }>[];
    expect(second?.value.technical).toEqual([
      'alice@acme.test',
      'carol@acme.test',
      'p0@acme.test',
      'p1@acme.test',
    ]);
    expect(third?.value.technical).toContain('p2@acme.test');
    expect(third?.value.technical).not.toContain('p4@acme.test');
    await expectUnbrokenChain(service, ID);
  });

  it('a storage with locked but without multiVersionWrites is given one command per commit, as before', async () => {
    const storage = await seeded();
    const entriesPerCommit: number[] = [];
    const plain: LicenseStorage = {
      ...storage,
      multiVersionWrites: false,
      commit: (commit) => {
        entriesPerCommit.push(commit.audit.length);
        return storage.commit(commit);
      },
      locked: (ids, work, options) =>
        lockedOf(storage)(
          ids,
          async (read) => {
            const answer = await work(read);
            if (answer.commit) entriesPerCommit.push(answer.commit.audit.length);
            return answer;
          },
          options,
        ),
    };
    const api = createLicenseContacts({ storage: plain }).as(alice);
    const emails = Array.from({ length: 8 }, (_, i) => `one${i}@acme.test`);
    await Promise.all(
      emails.map((email) => api.addContact(ID, { email, name: 'One', roles: ['technical'] })),
    );
    expect(entriesPerCommit).toEqual(emails.map(() => 1));
    expect((await api.getLicense(ID)).version).toBe(1 + emails.length);
  });

  it('a turn whose commit fails leaves standing what was decided on the license as read: a stranger still gets NOT_FOUND (R4)', async () => {
    const storage = await seeded();
    // Every commit under the locks loses to a writer outside them.
    const losing: LicenseStorage = {
      ...storage,
      locked: async (ids, work, options) => {
        const { value, entries } = await lockedOf(storage)(
          ids,
          async (read) => {
            const answer = await work(read);
            if (answer.commit) throw new LicenseContactsError('CONFLICT', 'changed by someone else');
            return answer;
          },
          options,
        );
        return { value, entries };
      },
    };
    const service = createLicenseContacts({ storage: losing, maxRetries: 0 });
    const api = service.as(alice);
    const stranger = service.as({ email: 'stranger@else.test' });
    const person = (email: string) => ({ email, name: 'P', roles: ['technical' as const] });
    const answers = async (id: string) =>
      (
        await Promise.allSettled([
          api.addContact(id, person('p0@acme.test')), // alone in its turn
          api.addContact(id, person('carol@acme.test')), // the next turn's first: DUPLICATE on the read
          stranger.addContact(id, person('s@else.test')),
          api.addContact(id, person('p1@acme.test')),
          api.addContact(id, person('carol@acme.test')), // after p1 in its turn: not decided on the read
        ])
      ).map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code));
    expect(await answers(ID)).toEqual(['CONFLICT', 'DUPLICATE', 'NOT_FOUND', 'CONFLICT', 'CONFLICT']);
    expect((await answers('SEN-0000000'))[2]).toBe('NOT_FOUND');
    expect((await storage.getLicense(ID))?.version).toBe(1);
  });

  it('a command queued behind another task on its license runs after that task, in call order', async () => {
    const service = createLicenseContacts({ storage: await seeded() });
    const api = service.as(alice);
    const id = 'SEN-9000001';
    const add = (email: string) => api.addContact(id, { email, name: 'P', roles: ['technical'] });
    const results = await Promise.allSettled([
      add('p0@acme.test'),
      add('p1@acme.test'),
      service.createLicense({ id, product: 'Jira', technical: demoPeople.alice, billing: demoPeople.bob }),
      add('p2@acme.test'),
      add('p3@acme.test'),
    ]);
    expect(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code)),
    ).toEqual(['NOT_FOUND', 'NOT_FOUND', 'ok', 'ok', 'ok']);
    expect((await api.getLicense(id)).version).toBe(3);
  });

  it('fails with CONFLICT, changing nothing, only when retries run out', async () => {
    const storage = await seeded();
    const inner = storage.commit;
    let conflicts = 0;
    const racing: LicenseStorage = {
      ...storage,
      async commit(commit) {
        // someone else always commits first
        const current = (await storage.getLicense(ID)) ?? expect.unreachable();
        const bumped = { ...current, version: current.version + 1, updatedAt: current.updatedAt };
        await inner({ writes: [{ license: bumped, expectedVersion: current.version }], audit: [] });
        conflicts++;
        return inner(commit);
      },
    };
    const service = createLicenseContacts({ storage: racing, maxRetries: 3, retryDelay: () => 0 });
    const error = await service
      .as(alice)
      .addContact(ID, { email: 'x@acme.test', name: 'X', roles: ['technical'] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect(conflicts).toBe(4);
    expect((await storage.getLicense(ID))?.technical).not.toContain('x@acme.test');
  });

  it('keeps an unbroken history under every interleaving of concurrent commands from two instances', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.nat(1), fc.nat(3), fc.nat(5)), { minLength: 2, maxLength: 8 }),
        async (s, plan) => {
          const base = await seeded();
          const scheduled: LicenseStorage = {
            getLicense: s.scheduleFunction((id: string) => base.getLicense(id)),
            listLicenses: (q) => base.listLicenses(q),
            listAudit: (id, q) => base.listAudit(id, q),
            listChanges: (q) => base.listChanges(q),
            getRequest: (id) => base.getRequest(id),
            listRequests: (q) => base.listRequests(q),
            getAddresses: (emails) => base.getAddresses(emails),
            commit: s.scheduleFunction((c: Parameters<LicenseStorage['commit']>[0]) => base.commit(c)),
          };
          const services = [0, 1].map(() =>
            createLicenseContacts({ storage: scheduled, maxRetries: 20, retryDelay: () => 0 }),
          );
          const people = [
            'carol@acme.test',
            'dan@acme.test',
            'bob@acme.test',
            'alice@acme.test',
            'x1@acme.test',
            'x2@acme.test',
          ];
          const calls = plan.map(([who, kind, p]) => {
            const api = (services[who] as LicenseContacts).as(alice);
            const email = people[p] as string;
            switch (kind) {
              case 0:
                return api.addContact(ID, { email, name: email, roles: ['technical'] });
              case 1:
                return api.setMain(ID, 'technical', email);
              case 2:
                return api.removeContact(ID, email, { role: 'technical' });
              default:
                return api.addContact(ID, { email, name: email, roles: ['billing'] });
            }
          });
          const settled = Promise.allSettled(calls);
          await s.waitFor(settled);
          for (const r of await settled) {
            if (r.status === 'rejected')
              expect(['NOT_FOUND', 'DUPLICATE', 'LAST_CONTACT', 'FORBIDDEN']).toContain(r.reason.code);
          }
          await expectUnbrokenChain(createLicenseContacts({ storage: base }), ID);
        },
      ),
      { numRuns: 200 },
    );
  });
});
