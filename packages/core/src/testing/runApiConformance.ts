import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../domain/errors';
import { LicenseContactsError } from '../domain/errors';
import type { Actor, AuditEntry, License, LicenseContactsApi } from '../domain/types';
import type { LicenseContacts } from '../service/createLicenseContacts';

/** What `setup` of `runApiConformance` gives: a fresh, empty service and the Api of any actor on it. */
export interface ApiConformanceContext {
  /** The service behind the Api; the suite creates its licenses through it. */
  service: Pick<LicenseContacts, 'createLicense'>;
  /** The Api of an actor: `service.as(actor)`, or a client whose requests authenticate as `actor`. */
  as(actor: Actor): LicenseContactsApi;
  /** Called after each test. */
  teardown?(): void | Promise<void>;
}

/** Options of `runApiConformance`. */
export interface ApiConformanceOptions {
  /** Names the `describe` block, e.g. `service.as(actor)` or `HTTP client`. */
  name: string;
  /** Called before each test: a fresh service with no licenses. */
  setup(): ApiConformanceContext | Promise<ApiConformanceContext>;
}

/** The people of the suite's licenses. */
export const API_ACTORS = Object.freeze({
  alice: { email: 'alice@acme.test' },
  bob: { email: 'bob@acme.test' },
  carol: { email: 'carol@acme.test' },
  erin: { email: 'erin@gmail.com' },
  frank: { email: 'frank@acme.test' },
  mallory: { email: 'mallory@other.test' },
  gina: { email: 'gina@partner.test' },
  nobody: { email: 'nobody@nowhere.test' },
  staff: { email: 'support@vendor.test', staff: true },
} satisfies Record<string, Actor>);

async function seed(service: ApiConformanceContext['service']): Promise<void> {
  // SEN-1001: technical [alice, carol], billing [bob, erin]
  await service.createLicense({
    id: 'SEN-1001',
    product: 'Jira Software',
    edition: 'Data Center',
    seats: 500,
    expiresAt: '2027-03-01',
    technical: { email: 'alice@acme.test', name: 'Alice' },
    billing: { email: 'bob@acme.test', name: 'Bob' },
    contacts: [
      { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
      { email: 'erin@gmail.com', name: 'Erin', roles: ['billing'] },
    ],
  });
  // SEN-1002: technical [frank, bob], billing [alice]
  await service.createLicense({
    id: 'SEN-1002',
    product: 'Confluence',
    technical: { email: 'frank@acme.test', name: 'Frank' },
    billing: { email: 'alice@acme.test', name: 'Alice' },
    contacts: [{ email: 'bob@acme.test', name: 'Bob', roles: ['technical'] }],
  });
  // SEN-2001: another company's license
  await service.createLicense({
    id: 'SEN-2001',
    product: 'Bitbucket',
    technical: { email: 'mallory@other.test', name: 'Mallory' },
    billing: { email: 'mallory@other.test', name: 'Mallory' },
  });
}

/** The error a promise rejects with; fails the test when it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Asserts a `LicenseContactsError` with this code (and field / reason when given). */
async function rejects(
  promise: Promise<unknown>,
  code: ErrorCode,
  extra: { field?: string; reason?: string } = {},
): Promise<LicenseContactsError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(LicenseContactsError);
  const e = error as LicenseContactsError;
  expect({ code: e.code, ...pick(e, extra) }).toEqual({ code, ...extra });
  expect(typeof e.message).toBe('string');
  return e;
}

function pick(error: LicenseContactsError, extra: { field?: string; reason?: string }) {
  return {
    ...('field' in extra ? { field: error.field } : {}),
    ...('reason' in extra ? { reason: error.reason } : {}),
  };
}

const ids = (licenses: License[]) => licenses.map((license) => license.id);

/**
 * The shared suite of `LicenseContactsApi`: every method's results and errors, run against any way
 * of reaching a service (in process, over HTTP…), so every transport behaves the same.
 * @example
 * runApiConformance({
 *   name: 'service.as(actor)',
 *   setup: () => { const service = createLicenseContacts(); return { service, as: (actor) => service.as(actor) }; },
 * });
 */
export function runApiConformance({ name, setup }: ApiConformanceOptions): void {
  describe(`LicenseContactsApi conformance: ${name}`, () => {
    let context: ApiConformanceContext;
    let as: (actor: Actor) => LicenseContactsApi;
    const version = async (id: string) => (await as(API_ACTORS.staff).getLicense(id)).version;

    beforeEach(async () => {
      context = await setup();
      as = (actor) => context.as(actor);
      await seed(context.service);
    });

    afterEach(async () => {
      await context?.teardown?.();
    });

    describe('me', () => {
      it('returns the signed-in person with a normalized email and the staff flag', async () => {
        expect(await as({ email: 'Alice@ACME.test' }).me()).toEqual({
          email: 'alice@acme.test',
          staff: false,
        });
        expect(await as(API_ACTORS.staff).me()).toEqual({ email: 'support@vendor.test', staff: true });
      });
    });

    describe('listLicenses', () => {
      it('lists only the licenses the actor is a contact of, ordered by id', async () => {
        expect(ids((await as(API_ACTORS.alice).listLicenses()).items)).toEqual(['SEN-1001', 'SEN-1002']);
        expect(ids((await as(API_ACTORS.mallory).listLicenses()).items)).toEqual(['SEN-2001']);
        expect((await as(API_ACTORS.nobody).listLicenses()).items).toEqual([]);
      });

      it('lists every license for staff', async () => {
        expect(ids((await as(API_ACTORS.staff).listLicenses({})).items)).toEqual([
          'SEN-1001',
          'SEN-1002',
          'SEN-2001',
        ]);
      });

      it('filters by a case-insensitive substring of id, product, contact email or name', async () => {
        const alice = as(API_ACTORS.alice);
        expect(ids((await alice.listLicenses({ query: 'CONFLUENCE' })).items)).toEqual(['SEN-1002']);
        expect(ids((await alice.listLicenses({ query: 'erin' })).items)).toEqual(['SEN-1001']);
        expect(ids((await alice.listLicenses({ query: 'frank@' })).items)).toEqual(['SEN-1002']);
        expect(ids((await alice.listLicenses({ query: 'sen-100' })).items)).toEqual(['SEN-1001', 'SEN-1002']);
        expect((await alice.listLicenses({ query: 'bitbucket' })).items).toEqual([]);
      });

      it('pages with limit and nextCursor until every license was returned once', async () => {
        const staff = as(API_ACTORS.staff);
        const first = await staff.listLicenses({ limit: 1 });
        expect(ids(first.items)).toEqual(['SEN-1001']);
        expect(typeof first.nextCursor).toBe('string');
        const seen = ids(first.items);
        let cursor = first.nextCursor;
        for (let page = 0; cursor !== undefined && page < 10; page++) {
          const next = await staff.listLicenses({ limit: 1, cursor });
          expect(next.items.length).toBeLessThanOrEqual(1);
          seen.push(...ids(next.items));
          cursor = next.nextCursor;
        }
        expect(cursor).toBeUndefined();
        expect(seen).toEqual(['SEN-1001', 'SEN-1002', 'SEN-2001']);
      });

      it('refuses a bad limit or cursor with VALIDATION naming it', async () => {
        const alice = as(API_ACTORS.alice);
        await rejects(alice.listLicenses({ limit: 0 }), 'VALIDATION', { field: 'limit' });
        await rejects(alice.listLicenses({ limit: 2.5 }), 'VALIDATION', { field: 'limit' });
        await rejects(alice.listLicenses({ cursor: 'not a cursor!' }), 'VALIDATION', { field: 'cursor' });
      });
    });

    describe('getLicense', () => {
      it('returns the license with its contacts, role lists and version', async () => {
        const license = await as(API_ACTORS.carol).getLicense('SEN-1001');
        expect(license).toMatchObject({
          id: 'SEN-1001',
          product: 'Jira Software',
          edition: 'Data Center',
          seats: 500,
          expiresAt: '2027-03-01',
          technical: ['alice@acme.test', 'carol@acme.test'],
          billing: ['bob@acme.test', 'erin@gmail.com'],
          version: 1,
        });
        expect(license.contacts).toEqual([
          { email: 'alice@acme.test', name: 'Alice', roles: ['technical'] },
          { email: 'bob@acme.test', name: 'Bob', roles: ['billing'] },
          { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
          { email: 'erin@gmail.com', name: 'Erin', roles: ['billing'] },
        ]);
        expect(Number.isNaN(Date.parse(license.updatedAt))).toBe(false);
      });

      it('answers NOT_FOUND for a license the actor may not see, exactly as for a missing one', async () => {
        const hidden = await rejects(as(API_ACTORS.mallory).getLicense('SEN-1001'), 'NOT_FOUND');
        const missing = await rejects(as(API_ACTORS.mallory).getLicense('SEN-1009'), 'NOT_FOUND');
        expect(hidden.message.replace('SEN-1001', 'X')).toBe(missing.message.replace('SEN-1009', 'X'));
      });

      it('lets staff see any license', async () => {
        expect((await as(API_ACTORS.staff).getLicense('SEN-2001')).product).toBe('Bitbucket');
      });

      it('refuses a malformed license id with VALIDATION on licenseId', async () => {
        await rejects(as(API_ACTORS.alice).getLicense('not an id!'), 'VALIDATION', { field: 'licenseId' });
        await rejects(as(API_ACTORS.alice).getLicense(''), 'VALIDATION', { field: 'licenseId' });
      });
    });

    describe('addContact', () => {
      it('appends a new person with normalized email and trimmed name to each role', async () => {
        const license = await as(API_ACTORS.alice).addContact('SEN-1001', {
          email: ' Dan@Acme.TEST ',
          name: '  Dan Smith ',
          roles: ['billing', 'technical'],
        });
        expect(license.technical).toEqual(['alice@acme.test', 'carol@acme.test', 'dan@acme.test']);
        expect(license.billing).toEqual(['bob@acme.test', 'erin@gmail.com', 'dan@acme.test']);
        expect(license.contacts.at(-1)).toEqual({
          email: 'dan@acme.test',
          name: 'Dan Smith',
          roles: ['technical', 'billing'],
        });
        expect(license.version).toBe(2);
        expect(await version('SEN-1001')).toBe(2);
      });

      it('refuses a role the person holds with DUPLICATE and extends with the other role', async () => {
        const alice = as(API_ACTORS.alice);
        const input = { email: 'carol@acme.test', name: 'Carol', roles: ['technical' as const] };
        await rejects(alice.addContact('SEN-1001', input), 'DUPLICATE');
        expect(await version('SEN-1001')).toBe(1);
        const license = await alice.addContact('SEN-1001', { ...input, roles: ['billing'] });
        expect(license.contacts.find((c) => c.email === 'carol@acme.test')?.roles).toEqual([
          'technical',
          'billing',
        ]);
        expect(license.billing).toEqual(['bob@acme.test', 'erin@gmail.com', 'carol@acme.test']);
      });

      it('refuses bad input with VALIDATION naming the field and changes nothing', async () => {
        const alice = as(API_ACTORS.alice);
        const ok = { email: 'dan@acme.test', name: 'Dan', roles: ['technical' as const] };
        await rejects(alice.addContact('SEN-1001', { ...ok, email: 'not-an-email' }), 'VALIDATION', {
          field: 'email',
        });
        await rejects(alice.addContact('SEN-1001', { ...ok, email: 42 as never }), 'VALIDATION', {
          field: 'email',
        });
        await rejects(alice.addContact('SEN-1001', { ...ok, name: '   ' }), 'VALIDATION', { field: 'name' });
        await rejects(alice.addContact('SEN-1001', { ...ok, roles: [] }), 'VALIDATION', { field: 'roles' });
        await rejects(alice.addContact('SEN-1001', { ...ok, roles: ['admin' as never] }), 'VALIDATION', {
          field: 'roles',
        });
        await rejects(alice.addContact('SEN-1001', null as never), 'VALIDATION', { field: 'input' });
        await rejects(alice.addContact('bad id!', ok), 'VALIDATION', { field: 'licenseId' });
        expect(await version('SEN-1001')).toBe(1);
      });

      it('ignores unknown keys such as __proto__ and constructor', async () => {
        const input = JSON.parse(
          '{"email":"dan@acme.test","name":"Dan","roles":["technical"],"__proto__":{"staff":true},"constructor":{"x":1}}',
        );
        const license = await as(API_ACTORS.alice).addContact('SEN-1001', input);
        expect(license.contacts.at(-1)).toEqual({
          email: 'dan@acme.test',
          name: 'Dan',
          roles: ['technical'],
        });
        expect(({} as { staff?: unknown }).staff).toBeUndefined();
      });

      it('answers NOT_FOUND to an outsider and changes nothing', async () => {
        const input = { email: 'mallory@other.test', name: 'Mallory', roles: ['technical' as const] };
        await rejects(as(API_ACTORS.mallory).addContact('SEN-1001', input), 'NOT_FOUND');
        expect(await version('SEN-1001')).toBe(1);
      });

      it('applies with the current expectedVersion and refuses a stale one with CONFLICT', async () => {
        const alice = as(API_ACTORS.alice);
        const input = { email: 'dan@acme.test', name: 'Dan', roles: ['technical' as const] };
        expect((await alice.addContact('SEN-1001', input, { expectedVersion: 1 })).version).toBe(2);
        const stale = { email: 'eve@acme.test', name: 'Eve', roles: ['technical' as const] };
        await rejects(alice.addContact('SEN-1001', stale, { expectedVersion: 1 }), 'CONFLICT');
        await rejects(alice.addContact('SEN-1001', stale, { expectedVersion: 0 }), 'VALIDATION', {
          field: 'expectedVersion',
        });
        expect(await version('SEN-1001')).toBe(2);
      });
    });

    describe('setMain', () => {
      it('lets a contact promote themselves; the former main stays a contact', async () => {
        const license = await as(API_ACTORS.carol).setMain('SEN-1001', 'technical', 'carol@acme.test');
        expect(license.technical).toEqual(['carol@acme.test', 'alice@acme.test']);
        expect(license.version).toBe(2);
      });

      it('lets a contact promote a colleague on the company domain', async () => {
        const license = await as(API_ACTORS.alice).setMain('SEN-1001', 'technical', 'Carol@acme.test');
        expect(license.technical).toEqual(['carol@acme.test', 'alice@acme.test']);
      });

      it('refuses a promotion across companies with FORBIDDEN NEEDS_CONSENT, even of oneself (R13)', async () => {
        await rejects(as(API_ACTORS.bob).setMain('SEN-1001', 'billing', 'erin@gmail.com'), 'FORBIDDEN', {
          reason: 'NEEDS_CONSENT',
        });
        await rejects(as(API_ACTORS.erin).setMain('SEN-1001', 'billing', 'erin@gmail.com'), 'FORBIDDEN', {
          reason: 'NEEDS_CONSENT',
        });
        expect(await version('SEN-1001')).toBe(1);
        const license = await as(API_ACTORS.staff).setMain('SEN-1001', 'billing', 'erin@gmail.com');
        expect(license.billing).toEqual(['erin@gmail.com', 'bob@acme.test']);
      });

      it('refuses naming a successor of another company with NEEDS_CONSENT; R2 still promotes the next (R13)', async () => {
        const bob = as(API_ACTORS.bob);
        await rejects(
          bob.removeContact('SEN-1001', 'bob@acme.test', { role: 'billing', successor: 'erin@gmail.com' }),
          'FORBIDDEN',
          { reason: 'NEEDS_CONSENT' },
        );
        expect(await version('SEN-1001')).toBe(1);
        const license = await bob.removeContact('SEN-1001', 'bob@acme.test', { role: 'billing' });
        expect(license.billing).toEqual(['erin@gmail.com']);
      });

      it('refuses a bad role or email with VALIDATION naming it', async () => {
        const alice = as(API_ACTORS.alice);
        await rejects(alice.setMain('SEN-1001', 'admin' as never, 'carol@acme.test'), 'VALIDATION', {
          field: 'role',
        });
        await rejects(alice.setMain('SEN-1001', 'technical', 'carol'), 'VALIDATION', { field: 'email' });
        expect(await version('SEN-1001')).toBe(1);
      });

      it('answers NOT_FOUND to an outsider', async () => {
        await rejects(
          as(API_ACTORS.mallory).setMain('SEN-1001', 'technical', 'carol@acme.test'),
          'NOT_FOUND',
        );
      });
    });

    describe('removeContact', () => {
      it('lets any contact remove a non-main contact, who then loses access at once', async () => {
        const carol = as(API_ACTORS.carol);
        expect((await carol.getLicense('SEN-1001')).id).toBe('SEN-1001');
        const license = await as(API_ACTORS.alice).removeContact('SEN-1001', 'carol@acme.test', {
          role: 'technical',
        });
        expect(license.technical).toEqual(['alice@acme.test']);
        expect(license.contacts.some((c) => c.email === 'carol@acme.test')).toBe(false);
        await rejects(carol.getLicense('SEN-1001'), 'NOT_FOUND');
        await rejects(
          carol.addContact('SEN-1001', { email: 'x@acme.test', name: 'X', roles: ['technical'] }),
          'NOT_FOUND',
        );
        expect((await carol.listLicenses()).items).toEqual([]);
      });

      it('refuses a secondary removing the main contact with FORBIDDEN NOT_MAIN', async () => {
        await rejects(
          as(API_ACTORS.carol).removeContact('SEN-1001', 'alice@acme.test', { role: 'technical' }),
          'FORBIDDEN',
          {
            reason: 'NOT_MAIN',
          },
        );
        expect(await version('SEN-1001')).toBe(1);
      });

      it('refuses removing the last contact of a role with LAST_CONTACT', async () => {
        await rejects(
          as(API_ACTORS.alice).removeContact('SEN-1002', 'alice@acme.test', { role: 'billing' }),
          'LAST_CONTACT',
        );
        await rejects(as(API_ACTORS.alice).removeContact('SEN-1002', 'alice@acme.test'), 'LAST_CONTACT');
        expect(await version('SEN-1002')).toBe(1);
      });

      it('promotes the next contact when the main removes themselves, or the named successor', async () => {
        const bob = await as(API_ACTORS.bob).removeContact('SEN-1001', 'bob@acme.test', { role: 'billing' });
        expect(bob.billing).toEqual(['erin@gmail.com']);
        const alice = as(API_ACTORS.alice);
        await alice.addContact('SEN-1001', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
        const license = await alice.removeContact('SEN-1001', 'alice@acme.test', {
          role: 'technical',
          successor: 'dan@acme.test',
        });
        expect(license.technical).toEqual(['dan@acme.test', 'carol@acme.test']);
        expect(license.version).toBe(4);
      });

      it('removes every role without a role, and answers NOT_FOUND for someone not on the license', async () => {
        const alice = as(API_ACTORS.alice);
        await alice.addContact('SEN-1001', { email: 'carol@acme.test', name: 'Carol', roles: ['billing'] });
        const license = await alice.removeContact('SEN-1001', 'carol@acme.test');
        expect(license.contacts.map((c) => c.email)).not.toContain('carol@acme.test');
        expect(license.billing).toEqual(['bob@acme.test', 'erin@gmail.com']);
        await rejects(alice.removeContact('SEN-1001', 'zed@acme.test'), 'NOT_FOUND');
      });

      it('refuses a bad email, role or successor with VALIDATION naming it', async () => {
        const alice = as(API_ACTORS.alice);
        await rejects(alice.removeContact('SEN-1001', 'carol'), 'VALIDATION', { field: 'email' });
        await rejects(
          alice.removeContact('SEN-1001', 'carol@acme.test', { role: 'admin' as never }),
          'VALIDATION',
          {
            field: 'role',
          },
        );
        await rejects(
          alice.removeContact('SEN-1001', 'alice@acme.test', { successor: 'nope' }),
          'VALIDATION',
          {
            field: 'successor',
          },
        );
        expect(await version('SEN-1001')).toBe(1);
      });

      it('refuses a stale expectedVersion with CONFLICT', async () => {
        await as(API_ACTORS.alice).setMain('SEN-1001', 'technical', 'carol@acme.test');
        await rejects(
          as(API_ACTORS.alice).removeContact('SEN-1001', 'alice@acme.test', {
            role: 'technical',
            expectedVersion: 1,
          }),
          'CONFLICT',
        );
        expect(await version('SEN-1001')).toBe(2);
      });
    });

    describe('replaceContact', () => {
      const dan = { email: 'dan@acme.test', name: 'Dan' };

      it('previews on a dry run without writing anything', async () => {
        const result = await as(API_ACTORS.alice).replaceContact('bob@acme.test', dan, { dryRun: true });
        expect(result.dryRun).toBe(true);
        expect(result.skipped).toEqual([]);
        expect(result.cancelledRequests).toEqual([]);
        expect(result.changed.map((c) => c.licenseId)).toEqual(['SEN-1001', 'SEN-1002']);
        const [first, second] = result.changed;
        expect(first?.before.billing).toEqual(['bob@acme.test', 'erin@gmail.com']);
        expect(first?.after.billing).toEqual(['dan@acme.test', 'erin@gmail.com']);
        expect(second?.after.technical).toEqual(['frank@acme.test', 'dan@acme.test']);
        expect(await version('SEN-1001')).toBe(1);
        expect(await version('SEN-1002')).toBe(1);
      });

      it('replaces the person on every license, keeping each role and main position', async () => {
        const result = await as(API_ACTORS.alice).replaceContact('bob@acme.test', dan);
        expect(result.dryRun).toBe(false);
        expect(result.changed.map((c) => c.licenseId)).toEqual(['SEN-1001', 'SEN-1002']);
        const alice = as(API_ACTORS.alice);
        const one = await alice.getLicense('SEN-1001');
        expect(one.billing).toEqual(['dan@acme.test', 'erin@gmail.com']);
        expect(one.contacts.map((c) => c.email)).not.toContain('bob@acme.test');
        expect((await alice.getLicense('SEN-1002')).technical).toEqual(['frank@acme.test', 'dan@acme.test']);
        await rejects(as(API_ACTORS.bob).getLicense('SEN-1001'), 'NOT_FOUND');
        const [latest] = (await alice.history('SEN-1001')).items;
        expect(latest).toMatchObject({
          action: 'replaceContact',
          email: 'bob@acme.test',
          successor: 'dan@acme.test',
        });
      });

      it('skips licenses it may not change and lists them with the reason', async () => {
        const zed = { email: 'zed@other.test', name: 'Zed' };
        const result = await as(API_ACTORS.alice).replaceContact('bob@acme.test', zed);
        expect(result.changed.map((c) => c.licenseId)).toEqual(['SEN-1002']);
        expect(result.skipped).toEqual([
          { licenseId: 'SEN-1001', reason: 'DIFFERENT_DOMAIN', message: expect.any(String) },
        ]);
        expect(await version('SEN-1001')).toBe(1);
        expect(await version('SEN-1002')).toBe(2);
      });

      it('skips a main position of another company with NEEDS_CONSENT, even for a successor of the actor’s own (R13)', async () => {
        await as(API_ACTORS.staff).addContact('SEN-1001', {
          email: 'mallory@other.test',
          name: 'Mallory',
          roles: ['technical'],
        });
        const mallory = as(API_ACTORS.mallory);
        const ally = { email: 'ally@other.test', name: 'Ally' };
        const result = await mallory.replaceContact('alice@acme.test', ally);
        expect(result.changed).toEqual([]);
        expect(result.skipped).toEqual([
          { licenseId: 'SEN-1001', reason: 'NEEDS_CONSENT', message: expect.any(String) },
        ]);
        await rejects(
          mallory.replaceContact('alice@acme.test', ally, { licenseIds: ['SEN-1001'] }),
          'FORBIDDEN',
          {
            reason: 'NEEDS_CONSENT',
          },
        );
        await rejects(
          mallory.replaceContact(
            'alice@acme.test',
            { email: 'mallory@other.test', name: 'Mallory' },
            {
              licenseIds: ['SEN-1001'],
            },
          ),
          'FORBIDDEN',
          { reason: 'NEEDS_CONSENT' },
        );
        expect(await version('SEN-1001')).toBe(2);
      });

      it('fails as a whole, changing nothing, when a named license may not be changed', async () => {
        const zed = { email: 'zed@other.test', name: 'Zed' };
        const alice = as(API_ACTORS.alice);
        await rejects(
          alice.replaceContact('bob@acme.test', zed, { licenseIds: ['SEN-1002', 'SEN-1001'] }),
          'FORBIDDEN',
          {
            reason: 'DIFFERENT_DOMAIN',
          },
        );
        await rejects(
          alice.replaceContact('bob@acme.test', dan, { licenseIds: ['SEN-1002', 'SEN-2001'] }),
          'NOT_FOUND',
        );
        expect(await version('SEN-1001')).toBe(1);
        expect(await version('SEN-1002')).toBe(1);
      });

      it('refuses bad input with VALIDATION naming the field', async () => {
        const alice = as(API_ACTORS.alice);
        await rejects(alice.replaceContact('bob', dan), 'VALIDATION', { field: 'email' });
        await rejects(
          alice.replaceContact('bob@acme.test', { email: 'Bob@acme.test', name: 'Bob' }),
          'VALIDATION',
          {
            field: 'successor.email',
          },
        );
        await rejects(
          alice.replaceContact('bob@acme.test', { email: 'dan@acme.test' } as never),
          'VALIDATION',
          {
            field: 'successor.name',
          },
        );
        await rejects(alice.replaceContact('bob@acme.test', dan, { dryRun: 'yes' as never }), 'VALIDATION', {
          field: 'dryRun',
        });
        await rejects(alice.replaceContact('bob@acme.test', dan, { licenseIds: [] }), 'VALIDATION', {
          field: 'licenseIds',
        });
        expect(await version('SEN-1001')).toBe(1);
      });
    });

    describe('history', () => {
      it('lists changes newest first, paging with nextCursor', async () => {
        const alice = as(API_ACTORS.alice);
        await alice.addContact('SEN-1001', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
        await alice.setMain('SEN-1001', 'technical', 'dan@acme.test');
        await alice.removeContact('SEN-1001', 'carol@acme.test');
        const first = await alice.history('SEN-1001', { limit: 2 });
        expect(first.items.map((e) => [e.version, e.action])).toEqual([
          [4, 'removeContact'],
          [3, 'setMain'],
        ]);
        expect(first.items[0]).toMatchObject({
          licenseId: 'SEN-1001',
          actor: 'alice@acme.test',
          staff: false,
        });
        // Only what changed (R15): Carol left; Dan and Alice kept their places.
        expect(first.items[0]?.changes).toEqual([
          {
            email: 'carol@acme.test',
            name: 'Carol',
            before: { roles: ['technical'], technical: 2 },
            after: null,
          },
        ]);
        expect(typeof first.items[0]?.seq).toBe('string');
        const versions = first.items.map((e) => e.version);
        let cursor = first.nextCursor;
        expect(typeof cursor).toBe('string');
        for (let page = 0; cursor !== undefined && page < 10; page++) {
          const next = await alice.history('SEN-1001', { limit: 2, cursor });
          versions.push(...next.items.map((e) => e.version));
          cursor = next.nextCursor;
        }
        expect(versions).toEqual([4, 3, 2, 1]);
      });

      it('answers NOT_FOUND to an outsider and VALIDATION to a bad cursor', async () => {
        await rejects(as(API_ACTORS.mallory).history('SEN-1001'), 'NOT_FOUND');
        await rejects(as(API_ACTORS.alice).history('SEN-1001', { cursor: 'x' }), 'VALIDATION', {
          field: 'cursor',
        });
      });
    });
    describe('changes', () => {
      const feedOf = async (api: LicenseContactsApi, after?: string) => {
        const entries: AuditEntry[] = [];
        let cursor = after;
        for (let page = 0; page < 50; page++) {
          const next = await api.changes({ limit: 2, ...(cursor === undefined ? {} : { after: cursor }) });
          entries.push(...next.items);
          if (next.nextCursor === undefined) return entries;
          cursor = next.nextCursor;
        }
        throw new Error('the feed did not end');
      };

      it('lists the entries of the actor’s licenses in seq order; staff every license', async () => {
        await as(API_ACTORS.alice).addContact('SEN-1002', {
          email: 'dan@acme.test',
          name: 'Dan',
          roles: ['billing'],
        });
        await as(API_ACTORS.mallory).addContact('SEN-2001', {
          email: 'max@other.test',
          name: 'Max',
          roles: ['technical'],
        });
        const all = await feedOf(as(API_ACTORS.staff));
        expect(all.map((e) => e.id)).toEqual([
          'SEN-1001:1',
          'SEN-1002:1',
          'SEN-2001:1',
          'SEN-1002:2',
          'SEN-2001:2',
        ]);
        expect([...all.map((e) => e.seq)].sort()).toEqual(all.map((e) => e.seq));
        expect((await feedOf(as(API_ACTORS.alice))).map((e) => e.id)).toEqual([
          'SEN-1001:1',
          'SEN-1002:1',
          'SEN-1002:2',
        ]);
        expect((await feedOf(as(API_ACTORS.mallory))).map((e) => e.id)).toEqual(['SEN-2001:1', 'SEN-2001:2']);
        expect(await feedOf(as(API_ACTORS.nobody))).toEqual([]);
        const dan = all[3] as AuditEntry;
        expect(dan).toMatchObject({ action: 'addContact', actor: 'alice@acme.test', email: 'dan@acme.test' });
        expect(dan.changes).toEqual([
          { email: 'dan@acme.test', name: 'Dan', before: null, after: { roles: ['billing'], billing: 1 } },
        ]);
      });

      it('keeps a removed person’s entries up to and with their removal, and no later ones', async () => {
        const alice = as(API_ACTORS.alice);
        await alice.addContact('SEN-1001', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
        await alice.removeContact('SEN-1001', 'carol@acme.test');
        await alice.setMain('SEN-1001', 'technical', 'dan@acme.test');
        const carol = await feedOf(as(API_ACTORS.carol));
        expect(carol.map((e) => e.id)).toEqual(['SEN-1001:1', 'SEN-1001:2', 'SEN-1001:3']);
        expect(carol.at(-1)?.changes).toEqual([
          {
            email: 'carol@acme.test',
            name: 'Carol',
            before: { roles: ['technical'], technical: 1 },
            after: null,
          },
        ]);
        expect((await feedOf(as(API_ACTORS.alice))).map((e) => e.id)).toContain('SEN-1001:4');
      });

      it('pages with after from any entry it answered', async () => {
        const alice = as(API_ACTORS.alice);
        for (const email of ['d1@acme.test', 'd2@acme.test', 'd3@acme.test']) {
          await alice.addContact('SEN-1001', { email, name: email.slice(0, 2), roles: ['technical'] });
        }
        const all = await feedOf(as(API_ACTORS.staff));
        const middle = all[2] as AuditEntry;
        expect(await feedOf(as(API_ACTORS.staff), middle.seq)).toEqual(all.slice(3));
        const page = await as(API_ACTORS.staff).changes({ after: middle.seq, limit: 1 });
        expect(page.items).toEqual(all.slice(3, 4));
        expect(page.nextCursor).toBe(all[3]?.seq);
        expect((await as(API_ACTORS.staff).changes({ after: all.at(-1)?.seq as string })).items).toEqual([]);
      });

      it('refuses a cursor that is not one of its seqs, or a bad limit, with VALIDATION naming it', async () => {
        const staff = as(API_ACTORS.staff);
        for (const after of ['abc', '', '-1', '12', 'SEN-1001:1', '1'.repeat(40)]) {
          await rejects(staff.changes({ after }), 'VALIDATION', { field: 'after' });
        }
        await rejects(staff.changes({ limit: 0 }), 'VALIDATION', { field: 'limit' });
      });
    });

    describe('watch', () => {
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      async function until(predicate: () => boolean): Promise<void> {
        const deadline = Date.now() + 5_000;
        while (!predicate()) {
          if (Date.now() > deadline) throw new Error('timed out waiting for watch');
          await pause(10);
        }
      }

      it('tells the actor each new entry of their licenses once, in order, until stopped', async () => {
        const told: string[] = [];
        const stop = as(API_ACTORS.alice).watch((entry) => told.push(entry.id));
        try {
          await pause(150);
          await as(API_ACTORS.alice).addContact('SEN-1001', {
            email: 'dan@acme.test',
            name: 'Dan',
            roles: ['technical'],
          });
          await as(API_ACTORS.mallory).addContact('SEN-2001', {
            email: 'max@other.test',
            name: 'Max',
            roles: ['billing'],
          });
          await as(API_ACTORS.alice).setMain('SEN-1001', 'technical', 'dan@acme.test');
          await until(() => told.length >= 2);
          await pause(100);
          expect(told).toEqual(['SEN-1001:2', 'SEN-1001:3']);
        } finally {
          stop();
        }
        await as(API_ACTORS.alice).setMain('SEN-1001', 'technical', 'alice@acme.test');
        await pause(150);
        expect(told).toEqual(['SEN-1001:2', 'SEN-1001:3']);
      });

      it('catches up from after first', async () => {
        const alice = as(API_ACTORS.alice);
        await alice.addContact('SEN-1002', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
        const { items } = await alice.changes();
        const told: string[] = [];
        const stop = alice.watch((entry) => told.push(entry.id), { after: items[0]?.seq as string });
        try {
          await until(() => told.length >= items.length - 1);
          await pause(50);
          expect(told).toEqual(items.slice(1).map((e) => e.id));
        } finally {
          stop();
        }
      });
    });

    describe('getLicense at a time', () => {
      it('answers the license as it was then, rebuilt from its history', async () => {
        const alice = as(API_ACTORS.alice);
        const states = new Map<number, License>([[1, await alice.getLicense('SEN-1001')]]);
        const remember = (license: License) => states.set(license.version, license);
        remember(
          await alice.addContact('SEN-1001', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] }),
        );
        remember(await alice.setMain('SEN-1001', 'technical', 'dan@acme.test'));
        remember(await alice.removeContact('SEN-1001', 'carol@acme.test'));
        remember(
          await alice.addContact('SEN-1001', { email: 'carol@acme.test', name: 'Carol', roles: ['billing'] }),
        );
        remember(
          await as(API_ACTORS.staff)
            .replaceContact('erin@gmail.com', { email: 'gus@acme.test', name: 'Gus' })
            .then(async () => alice.getLicense('SEN-1001')),
        );
        const { items } = await alice.history('SEN-1001');
        for (const entry of items) {
          // Several changes may share a millisecond: the state at that time is the last of them.
          const version = Math.max(...items.filter((e) => e.at <= entry.at).map((e) => e.version));
          const expected = states.get(version) as License;
          const then = await alice.getLicense('SEN-1001', { at: entry.at });
          expect(then).toEqual(expected);
          expect(await alice.getLicense('SEN-1001', { at: new Date(entry.at) })).toEqual(expected);
        }
        const future = new Date(Date.now() + 86_400_000);
        expect(await alice.getLicense('SEN-1001', { at: future })).toEqual(states.get(6));
      });

      it('answers NOT_FOUND before the license existed and to an actor who may not see it now', async () => {
        const alice = as(API_ACTORS.alice);
        const created = (await alice.history('SEN-1001')).items.at(-1) as AuditEntry;
        await rejects(
          alice.getLicense('SEN-1001', { at: new Date(Date.parse(created.at) - 1) }),
          'NOT_FOUND',
        );
        await rejects(alice.getLicense('SEN-1001', { at: '2001-01-01' }), 'NOT_FOUND');
        await rejects(as(API_ACTORS.mallory).getLicense('SEN-1001', { at: created.at }), 'NOT_FOUND');
        await alice.removeContact('SEN-1001', 'carol@acme.test');
        // Carol was a contact then, but no longer is: she lost access at once, to the past too (R4).
        await rejects(as(API_ACTORS.carol).getLicense('SEN-1001', { at: created.at }), 'NOT_FOUND');
      });

      it('refuses a time that is not a date with VALIDATION naming at', async () => {
        const alice = as(API_ACTORS.alice);
        for (const at of ['yesterday', '2026-13-45', '', '12345', new Date(Number.NaN)]) {
          await rejects(alice.getLicense('SEN-1001', { at }), 'VALIDATION', { field: 'at' });
        }
      });
    });

    describe('permissions', () => {
      it('says what the actor may do on each contact, with reasons', async () => {
        const permissions = await as(API_ACTORS.carol).permissions('SEN-1001');
        expect(permissions.addContact).toEqual({ allowed: true });
        expect(permissions.viewHistory).toEqual({ allowed: true });
        expect(permissions.replaceContact).toEqual({ allowed: true });
        expect(Object.keys(permissions.setMain.technical).sort()).toEqual([
          'alice@acme.test',
          'carol@acme.test',
        ]);
        expect(Object.keys(permissions.removeContact.billing).sort()).toEqual([
          'bob@acme.test',
          'erin@gmail.com',
        ]);
        expect(permissions.setMain.technical['carol@acme.test']).toEqual({ allowed: true });
        expect(permissions.setMain.billing['erin@gmail.com']).toMatchObject({
          allowed: false,
          reason: 'NEEDS_CONSENT',
        });
        expect(permissions.requestTransfer.billing['erin@gmail.com']).toEqual({ allowed: true });
        expect(permissions.requestTransfer.technical['carol@acme.test']).toMatchObject({
          allowed: false,
          reason: 'SAME_COMPANY',
        });
        expect(permissions.invite).toEqual({ allowed: true });
        expect(permissions.directAdd).toBe('any');
        expect(permissions.requests).toEqual({});
        expect(permissions.unreachable).toEqual([]);
        expect(permissions.removeContact.technical['alice@acme.test']).toMatchObject({
          allowed: false,
          reason: 'NOT_MAIN',
          message: expect.any(String),
        });
        expect(permissions.removeContact.billing['erin@gmail.com']).toEqual({ allowed: true });
      });

      it('agrees with the commands it describes', async () => {
        const carol = as(API_ACTORS.carol);
        const permissions = await carol.permissions('SEN-1001');
        const decision = permissions.removeContact.technical['alice@acme.test'];
        expect(decision?.allowed).toBe(false);
        await rejects(
          carol.removeContact('SEN-1001', 'alice@acme.test', { role: 'technical' }),
          'FORBIDDEN',
          {
            reason: decision?.allowed === false ? decision.reason : 'none',
          },
        );
      });

      it('answers NOT_FOUND to an outsider', async () => {
        await rejects(as(API_ACTORS.mallory).permissions('SEN-1001'), 'NOT_FOUND');
      });
    });

    describe('invitations', () => {
      const gina = { email: 'gina@partner.test', name: 'Gina', roles: ['technical' as const] };

      it('invites a person who sees nothing of the license until they accept, then joins', async () => {
        const request = await as(API_ACTORS.alice).invite('SEN-1001', gina);
        expect(request).toMatchObject({
          kind: 'invitation',
          licenseId: 'SEN-1001',
          product: 'Jira Software',
          email: 'gina@partner.test',
          name: 'Gina',
          roles: ['technical'],
          requestedBy: 'alice@acme.test',
          decidedBy: ['gina@partner.test'],
          state: 'pending',
          version: 1,
          actions: { cancel: { allowed: true } },
        });
        expect(typeof request.id).toBe('string');
        expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBe(14 * 24 * 3600 * 1000);
        const ginas = as(API_ACTORS.gina);
        await rejects(ginas.getLicense('SEN-1001'), 'NOT_FOUND');
        expect((await ginas.listLicenses()).items).toEqual([]);
        const { items } = await ginas.requests();
        expect(items.map((r) => [r.id, r.state])).toEqual([[request.id, 'pending']]);
        expect(items[0]?.actions?.accept).toEqual({ allowed: true });
        // a second invitation of a pending invitee answers the pending one
        expect((await as(API_ACTORS.carol).invite('SEN-1001', gina)).id).toBe(request.id);
        const accepted = await ginas.acceptRequest(request.id);
        expect(accepted).toMatchObject({ id: request.id, state: 'accepted', closedBy: 'gina@partner.test' });
        expect((await ginas.getLicense('SEN-1001')).technical).toEqual([
          'alice@acme.test',
          'carol@acme.test',
          'gina@partner.test',
        ]);
        const [latest] = (await ginas.history('SEN-1001')).items;
        expect(latest).toMatchObject({ action: 'acceptRequest', actor: 'gina@partner.test' });
      });

      it('lets the invitee decline and the inviter cancel; a final request decides nothing more', async () => {
        const first = await as(API_ACTORS.alice).invite('SEN-1001', gina);
        expect((await as(API_ACTORS.gina).declineRequest(first.id)).state).toBe('declined');
        await rejects(as(API_ACTORS.gina).acceptRequest(first.id), 'CONFLICT', { reason: 'NOT_PENDING' });
        const second = await as(API_ACTORS.alice).invite('SEN-1001', gina);
        expect(second.id).not.toBe(first.id);
        expect((await as(API_ACTORS.alice).cancelRequest(second.id)).state).toBe('cancelled');
        const states = (await as(API_ACTORS.alice).requests({ licenseId: 'SEN-1001' })).items.map(
          (r) => r.state,
        );
        expect(states).toEqual(['declined', 'cancelled']);
        expect((await as(API_ACTORS.alice).requests({ state: 'pending' })).items).toEqual([]);
        await rejects(as(API_ACTORS.gina).getLicense('SEN-1001'), 'NOT_FOUND');
      });

      it('answers someone else’s invitation with FORBIDDEN to a contact, NOT_FOUND to anyone else', async () => {
        const request = await as(API_ACTORS.alice).invite('SEN-1001', gina);
        await rejects(as(API_ACTORS.carol).acceptRequest(request.id), 'FORBIDDEN', { reason: 'NOT_DECIDER' });
        const error = await rejects(as(API_ACTORS.mallory).acceptRequest(request.id), 'NOT_FOUND');
        expect(error.message).not.toContain('SEN-1001');
        await rejects(as(API_ACTORS.mallory).declineRequest(request.id), 'NOT_FOUND');
        await rejects(as(API_ACTORS.mallory).cancelRequest(request.id), 'NOT_FOUND');
        expect((await as(API_ACTORS.mallory).requests()).items).toEqual([]);
        await rejects(as(API_ACTORS.gina).acceptRequest('req_missing'), 'NOT_FOUND');
        expect(await version('SEN-1001')).toBe(2);
      });

      it('refuses bad input with VALIDATION naming the field, and changes nothing', async () => {
        const alice = as(API_ACTORS.alice);
        await rejects(alice.invite('SEN-1001', { ...gina, email: 'gina' }), 'VALIDATION', { field: 'email' });
        await rejects(alice.invite('SEN-1001', { ...gina, roles: [] }), 'VALIDATION', { field: 'roles' });
        await rejects(alice.invite('SEN-1001', { ...gina, name: '' }), 'VALIDATION', { field: 'name' });
        await rejects(alice.invite('bad id', gina), 'VALIDATION', { field: 'licenseId' });
        await rejects(alice.acceptRequest('not an id'), 'VALIDATION', { field: 'requestId' });
        await rejects(alice.requests({ state: 'open' as never }), 'VALIDATION', { field: 'state' });
        await rejects(alice.requests({ limit: 0 }), 'VALIDATION', { field: 'limit' });
        await rejects(
          alice.invite('SEN-1001', { email: 'carol@acme.test', name: 'C', roles: ['technical'] }),
          'DUPLICATE',
        );
        await rejects(as(API_ACTORS.mallory).invite('SEN-1001', gina), 'NOT_FOUND');
        expect(await version('SEN-1001')).toBe(1);
      });
    });

    describe('transfer requests', () => {
      it('lets the other company ask for a main position, which the main accepts', async () => {
        const erin = as(API_ACTORS.erin);
        const request = await erin.requestTransfer('SEN-1001', 'billing', 'erin@gmail.com');
        expect(request).toMatchObject({
          kind: 'transfer',
          email: 'erin@gmail.com',
          roles: ['billing'],
          requestedBy: 'erin@gmail.com',
          decidedBy: ['bob@acme.test'],
          currentMain: 'bob@acme.test',
          state: 'pending',
        });
        expect((await as(API_ACTORS.bob).getLicense('SEN-1001')).billing[0]).toBe('bob@acme.test');
        const permissions = await as(API_ACTORS.bob).permissions('SEN-1001');
        expect(permissions.requests[request.id]?.accept).toEqual({ allowed: true });
        await rejects(erin.acceptRequest(request.id), 'FORBIDDEN', { reason: 'NOT_DECIDER' });
        expect((await as(API_ACTORS.bob).acceptRequest(request.id)).state).toBe('accepted');
        expect((await erin.getLicense('SEN-1001')).billing).toEqual(['erin@gmail.com', 'bob@acme.test']);
      });

      it('fails with CONFLICT, cancelling the request, once the position changed meanwhile', async () => {
        const request = await as(API_ACTORS.erin).requestTransfer('SEN-1001', 'billing', 'erin@gmail.com');
        await as(API_ACTORS.bob).removeContact('SEN-1001', 'bob@acme.test', { role: 'billing' });
        await rejects(as(API_ACTORS.staff).acceptRequest(request.id), 'CONFLICT', {
          reason: 'POSITION_CHANGED',
        });
        const [after] = (await as(API_ACTORS.staff).requests({ licenseId: 'SEN-1001' })).items;
        expect(after?.state).toBe('cancelled');
      });

      it('refuses a transfer within one company or by a third one, and bad input', async () => {
        await rejects(
          as(API_ACTORS.alice).requestTransfer('SEN-1001', 'technical', 'carol@acme.test'),
          'FORBIDDEN',
          {
            reason: 'SAME_COMPANY',
          },
        );
        await rejects(
          as(API_ACTORS.alice).requestTransfer('SEN-1001', 'admin' as never, 'erin@gmail.com'),
          'VALIDATION',
          {
            field: 'role',
          },
        );
        await rejects(as(API_ACTORS.alice).requestTransfer('SEN-1001', 'billing', 'erin'), 'VALIDATION', {
          field: 'email',
        });
        await rejects(
          as(API_ACTORS.mallory).requestTransfer('SEN-1001', 'billing', 'erin@gmail.com'),
          'NOT_FOUND',
        );
        expect(await version('SEN-1001')).toBe(1);
      });
    });

    describe('signals', () => {
      it('rejects a call whose signal is aborted with the AbortError and changes nothing', async () => {
        const controller = new AbortController();
        controller.abort();
        const alice = as(API_ACTORS.alice);
        const read = await failure(alice.getLicense('SEN-1001', { signal: controller.signal }));
        expect((read as Error).name).toBe('AbortError');
        const input = { email: 'dan@acme.test', name: 'Dan', roles: ['technical' as const] };
        const write = await failure(alice.addContact('SEN-1001', input, { signal: controller.signal }));
        expect((write as Error).name).toBe('AbortError');
        expect(write).not.toBeInstanceOf(LicenseContactsError);
        expect(await version('SEN-1001')).toBe(1);
      });
    });
  });
}
