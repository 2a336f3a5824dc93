import type { LicenseContacts, LicenseContactsEvent, LicenseStorage } from '@license-contacts/core';
import {
  createDefaultPolicy,
  createLicenseContacts,
  defaultPolicy,
  LicenseContactsError,
  memoryStorage,
  openPolicy,
} from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { rejection } from './rejection';

const { alice, bob, carol, dan, erin, frank, outsider } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const BITBUCKET = 'SEN-3141592'; // technical: carol, alice, erin; billing: bob, alice
const staff = { email: 'ops@vendor.test', staff: true };

let service: LicenseContacts;
let clockTime = Date.parse('2026-03-01T12:00:00Z');

beforeEach(async () => {
  clockTime = Date.parse('2026-03-01T12:00:00Z');
  const tick = () => {
    clockTime += 1000;
    return new Date(clockTime);
  };
  service = createLicenseContacts({ storage: memoryStorage(), clock: tick });
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

/** Runs a call that must fail with `code` (and `field`), and checks that it changed nothing. */
async function expectRefused(
  call: () => Promise<unknown>,
  code: string,
  field?: string,
  ids = [JIRA, BITBUCKET],
) {
  const before = await Promise.all(ids.map((id) => service.findLicense(id)));
  const historyBefore = await Promise.all(ids.map((id) => service.as(staff).history(id)));
  const error = await rejection(call());
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
  expect(await Promise.all(ids.map((id) => service.findLicense(id)))).toEqual(before);
  expect(await Promise.all(ids.map((id) => service.as(staff).history(id)))).toEqual(historyBefore);
  return error;
}

describe('createLicense', () => {
  it('creates a license with its main technical and billing contacts (R2)', async () => {
    const license = await service.createLicense({
      id: 'SEN-1',
      product: 'Jira Software',
      technical: { email: ' Ann@Example.COM ', name: '  Ann  ' },
      billing: { email: 'ben@example.com', name: 'Ben' },
    });
    expect(license).toMatchObject({
      id: 'SEN-1',
      technical: ['ann@example.com'],
      billing: ['ben@example.com'],
      version: 1,
      contacts: [
        { email: 'ann@example.com', name: 'Ann', roles: ['technical'] },
        { email: 'ben@example.com', name: 'Ben', roles: ['billing'] },
      ],
    });
    expect(license.updatedAt).toBe('2026-03-01T12:00:06.000Z');
  });

  it('lists one person holding both roles once (R3)', async () => {
    const license = await service.createLicense({
      id: 'SEN-2',
      product: 'Jira',
      technical: alice,
      billing: alice,
    });
    expect(license.contacts).toEqual([{ ...alice, roles: ['technical', 'billing'] }]);
    expect(license.technical).toEqual([alice.email]);
    expect(license.billing).toEqual([alice.email]);
  });

  it('refuses an existing id with DUPLICATE', async () => {
    await expectRefused(
      () => service.createLicense({ id: JIRA, product: 'Other', technical: dan, billing: dan }),
      'DUPLICATE',
      'id',
    );
  });

  it.each([
    [{ product: 'P', technical: alice, billing: bob }, 'id'],
    [{ id: 'SEN 1', product: 'P', technical: alice, billing: bob }, 'id'],
    [{ id: 'x'.repeat(65), product: 'P', technical: alice, billing: bob }, 'id'],
    [{ id: 'SEN-9', technical: alice, billing: bob }, 'product'],
    [{ id: 'SEN-9', product: 'P', billing: bob }, 'technical'],
    [{ id: 'SEN-9', product: 'P', technical: { email: 'nope', name: 'N' }, billing: bob }, 'technical.email'],
    [
      { id: 'SEN-9', product: 'P', technical: alice, billing: { email: 'b@x.test', name: '' } },
      'billing.name',
    ],
    [{ id: 'SEN-9', product: 'P', technical: alice, billing: bob, seats: -1 }, 'seats'],
    [{ id: 'SEN-9', product: 'P', technical: alice, billing: bob, seats: 1.5 }, 'seats'],
    [{ id: 'SEN-9', product: 'P', technical: alice, billing: bob, expiresAt: 'soon' }, 'expiresAt'],
    [
      { id: 'SEN-9', product: 'P', technical: alice, billing: bob, contacts: [{ ...dan, roles: [] }] },
      'contacts.0.roles',
    ],
    [null, 'input'],
  ])('refuses bad input #%# with VALIDATION naming $1', async (input, field) => {
    const error = await rejection(service.createLicense(input as never));
    expect(error).toMatchObject({ code: 'VALIDATION', field });
    expect(await service.findLicense('SEN-9')).toBeNull();
  });

  it('reads input field by field: __proto__ and unknown keys do nothing', async () => {
    const input = JSON.parse(
      `{"id":"SEN-7","product":"P","technical":{"email":"t@x.test","name":"T","__proto__":{"admin":true}},"billing":{"email":"b@x.test","name":"B"},"__proto__":{"polluted":true},"version":99,"contacts":[]}`,
    );
    const license = await service.createLicense(input);
    expect(license.version).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(license).not.toHaveProperty('polluted');
    expect(license.contacts[0]).not.toHaveProperty('admin');
  });
});

describe('recipients and canRequestSupport (R7)', () => {
  it('answers every topic with unique addresses', async () => {
    const none: string[] = [];
    expect(await service.recipients(JIRA, 'license')).toEqual({
      to: [alice.email, bob.email],
      cc: [],
      unreachable: none,
    });
    expect(await service.recipients(JIRA, 'invoice')).toEqual({ to: [bob.email], cc: [], unreachable: none });
    expect(await service.recipients(BITBUCKET, 'invoice')).toEqual({
      to: [bob.email],
      cc: [alice.email],
      unreachable: none,
    });
    expect(await service.recipients(BITBUCKET, 'support')).toEqual({
      to: [carol.email, alice.email, erin.email],
      cc: [],
      unreachable: none,
    });
    expect(await service.recipients(BITBUCKET, 'releases')).toEqual({
      to: [carol.email, alice.email, erin.email],
      cc: [],
      unreachable: none,
    });
    expect(await service.recipients('SEN-5550142', 'license')).toEqual({
      to: [alice.email],
      cc: [],
      unreachable: none,
    });
  });

  it('refuses an unknown license and an unknown topic', async () => {
    expect((await rejection(service.recipients('SEN-404', 'license'))).code).toBe('NOT_FOUND');
    expect(await rejection(service.recipients(JIRA, 'spam' as never))).toMatchObject({
      code: 'VALIDATION',
      field: 'topic',
    });
  });

  it('lets technical contacts request support, and nobody else', async () => {
    expect(await service.canRequestSupport(JIRA, 'ALICE@acme.test')).toBe(true);
    expect(await service.canRequestSupport(JIRA, bob.email)).toBe(false);
    expect(await service.canRequestSupport(JIRA, outsider.email)).toBe(false);
    expect(await service.canRequestSupport('SEN-404', alice.email)).toBe(false);
  });
});

describe('seeing licenses (R4)', () => {
  it('lists only the licenses a person is associated with; staff see all', async () => {
    const ids = async (actor: { email: string; staff?: boolean }) =>
      (await service.as(actor).listLicenses()).items.map((l) => l.id);
    expect(await ids(alice)).toEqual(['SEN-3141592', 'SEN-4821337', 'SEN-5550142']);
    expect(await ids({ email: 'ERIN.Contractor@gmail.com' })).toEqual(['SEN-1618033', 'SEN-3141592']);
    expect(await ids(outsider)).toEqual([]);
    expect(await ids(staff)).toHaveLength(5);
  });

  it('answers NOT_FOUND for a license the actor may not see, exactly as for one that does not exist', async () => {
    const hidden = await rejection(service.as(outsider).getLicense(JIRA));
    const missing = await rejection(service.as(outsider).getLicense('SEN-0000001'));
    expect(hidden.code).toBe('NOT_FOUND');
    expect(missing.code).toBe('NOT_FOUND');
    expect(hidden.message.replace(JIRA, '')).toBe(missing.message.replace('SEN-0000001', ''));
    for (const call of [
      () => service.as(outsider).permissions(JIRA),
      () => service.as(outsider).history(JIRA),
      () => service.as(outsider).addContact(JIRA, { ...outsider, roles: ['technical'] }),
      () => service.as(outsider).setMain(JIRA, 'technical', carol.email),
      () => service.as(outsider).removeContact(JIRA, carol.email),
    ]) {
      await expectRefused(call, 'NOT_FOUND');
    }
  });

  it('searches by id, product, contact email and name, and pages with a cursor', async () => {
    const api = service.as(staff);
    expect((await api.listLicenses({ query: 'bamboo' })).items.map((l) => l.id)).toEqual(['SEN-1618033']);
    expect((await api.listLicenses({ query: 'schäfer' })).items.map((l) => l.id)).toEqual([
      'SEN-1618033',
      'SEN-3141592',
    ]);
    expect((await api.listLicenses({ query: '48213' })).items.map((l) => l.id)).toEqual([JIRA]);
    expect((await api.listLicenses({ query: 'GLOBEX' })).items.map((l) => l.id)).toEqual(['SEN-1618033']);
    const first = await api.listLicenses({ limit: 2 });
    const second = await api.listLicenses({ limit: 2, cursor: first.nextCursor as string });
    const third = await api.listLicenses({ limit: 2, cursor: second.nextCursor as string });
    expect([...first.items, ...second.items, ...third.items].map((l) => l.id)).toEqual([
      'SEN-1618033',
      'SEN-2718281',
      'SEN-3141592',
      'SEN-4821337',
      'SEN-5550142',
    ]);
    expect(third.nextCursor).toBeUndefined();
  });

  it('clamps large limits and refuses bad list options', async () => {
    for (let i = 0; i < 210; i++) {
      await service.createLicense({ id: `SEN-X${i}`, product: 'Bulk', technical: alice, billing: bob });
    }
    expect((await service.as(alice).listLicenses({ limit: 10_000 })).items).toHaveLength(200);
    expect((await service.as(alice).listLicenses()).items).toHaveLength(50);
    const api = service.as(alice);
    expect(await rejection(api.listLicenses({ limit: 0 }))).toMatchObject({
      code: 'VALIDATION',
      field: 'limit',
    });
    expect(await rejection(api.listLicenses({ limit: 'x' as never }))).toMatchObject({ field: 'limit' });
    expect(await rejection(api.listLicenses({ cursor: '../etc' }))).toMatchObject({ field: 'cursor' });
    expect(await rejection(api.listLicenses({ query: 'q'.repeat(201) }))).toMatchObject({ field: 'query' });
  });

  it('refuses a bad actor and a bad license id', async () => {
    expect(() => service.as({ email: 'not-an-email' })).toThrow(LicenseContactsError);
    expect(() => service.as(null as never)).toThrow(/actor/);
    expect(await rejection(service.as(alice).getLicense('bad id!'))).toMatchObject({
      code: 'VALIDATION',
      field: 'licenseId',
    });
  });

  it('tells who the interface acts for', async () => {
    expect(await service.as({ email: ' Alice@Acme.test ' }).me()).toEqual({
      email: alice.email,
      staff: false,
    });
    expect(await service.as(staff).me()).toEqual({ email: staff.email, staff: true });
  });

  it('gives every as() call an Api of its own, acting for exactly the identity given', async () => {
    const first = service.as(alice);
    const second = service.as(alice);
    expect(second).not.toBe(first);
    first.getLicense = async () => {
      throw new Error('patched');
    };
    expect((await second.getLicense(JIRA)).id).toBe(JIRA);
    expect((await service.as(alice).getLicense(JIRA)).id).toBe(JIRA);
    // The same email as staff and as a person are two identities, whichever came first.
    expect(await service.as({ email: alice.email, staff: true }).me()).toEqual({
      email: alice.email,
      staff: true,
    });
    expect(await service.as(alice).me()).toEqual({ email: alice.email, staff: false });
    expect(await rejection(service.as(outsider).getLicense(JIRA))).toMatchObject({ code: 'NOT_FOUND' });
    // A refused identity stays refused on every call.
    expect(() => service.as({ email: 'not-an-email' })).toThrow(LicenseContactsError);
    expect(() => service.as({ email: 'not-an-email' })).toThrow(LicenseContactsError);
  });
});

describe('addContact (R1, R3)', () => {
  it('adds a colleague at the end of the role list', async () => {
    const license = await service
      .as(alice)
      .addContact(JIRA, { email: 'Dan@ACME.test ', name: ' Dan ', roles: ['technical'] });
    expect(license.technical).toEqual([alice.email, carol.email, dan.email]);
    expect(license.contacts.at(-1)).toEqual({ email: dan.email, name: 'Dan', roles: ['technical'] });
    expect(license.version).toBe(2);
  });

  it('extends the roles of an existing contact, keeping their name and place', async () => {
    const license = await service
      .as(bob)
      .addContact(JIRA, { email: carol.email, name: 'Someone Else', roles: ['billing'] });
    expect(license.contacts.find((c) => c.email === carol.email)).toEqual({
      ...carol,
      roles: ['technical', 'billing'],
    });
    expect(license.billing).toEqual([bob.email, carol.email]);
    expect(license.contacts).toHaveLength(3);
  });

  it('refuses a role the person already holds with DUPLICATE', async () => {
    const error = await expectRefused(
      () =>
        service.as(alice).addContact(JIRA, { email: 'CAROL@acme.test', name: 'Carol', roles: ['technical'] }),
      'DUPLICATE',
      'email',
    );
    expect(error.message).toContain('Carol Nguyen');
  });

  it('accepts any number of contacts (no cap)', async () => {
    let license = await service.as(alice).getLicense(JIRA);
    for (let i = 0; i < 120; i++) {
      license = await service
        .as(alice)
        .addContact(JIRA, { email: `p${i}@acme.test`, name: `P ${i}`, roles: ['technical', 'billing'] });
    }
    expect(license.technical).toHaveLength(122);
    expect(license.billing).toHaveLength(121);
  });

  it.each([
    [{ email: 'a b@acme.test', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a@b@acme.test', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a@localhost', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: `${'a'.repeat(250)}@x.test`, name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a\u0000@x.test', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 42, name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a@x.test', name: '   ', roles: ['technical'] }, 'name'],
    [{ email: 'a@x.test', name: 'x'.repeat(201), roles: ['technical'] }, 'name'],
    [{ email: 'a@x.test', name: 'Bell\u0007', roles: ['technical'] }, 'name'],
    [{ email: 'a@x.test', name: 'X', roles: [] }, 'roles'],
    [{ email: 'a@x.test', name: 'X', roles: ['admin'] }, 'roles'],
    [{ email: 'a@x.test', name: 'X', roles: 'technical' }, 'roles'],
    [{ email: 'a@x.test', name: 'X' }, 'roles'],
    ['a@x.test', 'input'],
  ])('refuses bad input #%# with VALIDATION naming $1, changing nothing', async (input, field) => {
    await expectRefused(() => service.as(alice).addContact(JIRA, input as never), 'VALIDATION', field);
  });

  it('accepts a 200-character name and a 254-character email', async () => {
    const email = `${'a'.repeat(244)}@acme.test`;
    expect(email).toHaveLength(254);
    const license = await service
      .as(alice)
      .addContact(JIRA, { email, name: 'n'.repeat(200), roles: ['billing'] });
    expect(license.billing).toContain(email);
  });
});

describe('setMain (R5)', () => {
  it('lets a contact promote themselves over the main contact', async () => {
    const license = await service.as(carol).setMain(JIRA, 'technical', carol.email);
    expect(license.technical).toEqual([carol.email, alice.email]);
    expect(license.contacts.map((c) => c.email)).toContain(alice.email);
  });

  it('lets a contact promote a colleague on the same company domain', async () => {
    const license = await service.as(alice).setMain(JIRA, 'technical', carol.email);
    expect(license.technical[0]).toBe(carol.email);
  });

  it('refuses promoting someone of another company over the main: NEEDS_CONSENT, even oneself (R13)', async () => {
    await service.as(alice).addContact(JIRA, { ...frank, roles: ['technical'] });
    await service.as(alice).addContact(JIRA, { ...erin, roles: ['technical'] });
    for (const [actor, target] of [
      [alice, frank],
      [alice, erin],
      [frank, frank],
      [erin, erin],
    ] as const) {
      const error = await expectRefused(
        () => service.as(actor).setMain(JIRA, 'technical', target.email),
        'FORBIDDEN',
      );
      expect(error.reason).toBe('NEEDS_CONSENT');
    }
    expect((await service.as(staff).setMain(JIRA, 'technical', frank.email)).technical[0]).toBe(frank.email);
  });

  it('refuses promoting a colleague of the main’s company from another domain (R5)', async () => {
    await service.as(alice).addContact(JIRA, { ...frank, roles: ['technical'] });
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    const error = await expectRefused(
      () => service.as(frank).setMain(JIRA, 'technical', dan.email),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('DIFFERENT_DOMAIN');
  });

  it('changes nothing when the contact is already main', async () => {
    const before = await service.as(alice).getLicense(JIRA);
    expect(await service.as(alice).setMain(JIRA, 'technical', alice.email)).toEqual(before);
    expect((await service.as(alice).history(JIRA)).items).toHaveLength(1);
  });

  it('refuses someone who does not hold the role with NOT_FOUND, and a bad role with VALIDATION', async () => {
    await expectRefused(() => service.as(alice).setMain(JIRA, 'billing', carol.email), 'NOT_FOUND', 'email');
    await expectRefused(
      () => service.as(alice).setMain(JIRA, 'admin' as never, carol.email),
      'VALIDATION',
      'role',
    );
    await expectRefused(() => service.as(alice).setMain(JIRA, 'technical', 'x'), 'VALIDATION', 'email');
  });

  it('honours a portal’s list of public domains', async () => {
    const strict = createLicenseContacts({
      storage: service.storage,
      policy: createDefaultPolicy({ publicDomains: ['acme.test'] }),
    });
    // On a public domain each address is a company of its own (R13).
    const error = await rejection(strict.as(alice).setMain(JIRA, 'technical', carol.email));
    expect(error.reason).toBe('NEEDS_CONSENT');
  });
});

describe('removeContact (R2, R6)', () => {
  it('lets any contact remove a non-main contact', async () => {
    const license = await service.as(bob).removeContact(JIRA, carol.email, { role: 'technical' });
    expect(license.technical).toEqual([alice.email]);
    expect(license.contacts.map((c) => c.email)).toEqual([alice.email, bob.email]);
  });

  it('refuses the last contact of a role with LAST_CONTACT', async () => {
    await expectRefused(
      () => service.as(bob).removeContact(JIRA, bob.email, { role: 'billing' }),
      'LAST_CONTACT',
    );
    await expectRefused(
      () => service.as(alice).removeContact('SEN-5550142', alice.email),
      'LAST_CONTACT',
      undefined,
      ['SEN-5550142'],
    );
  });

  it('refuses a secondary removing the main contact (NOT_MAIN)', async () => {
    const error = await expectRefused(
      () => service.as(carol).removeContact(JIRA, alice.email, { role: 'technical' }),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('NOT_MAIN');
  });

  it('promotes the next contact when the main removes themselves, who then loses access', async () => {
    const license = await service.as(alice).removeContact(JIRA, alice.email, { role: 'technical' });
    expect(license.technical).toEqual([carol.email]);
    expect(license.contacts.map((c) => c.email)).not.toContain(alice.email);
    await expectRefused(() => service.as(alice).getLicense(JIRA), 'NOT_FOUND');
    expect((await service.as(alice).listLicenses()).items.map((l) => l.id)).not.toContain(JIRA);
  });

  it('makes the named successor main', async () => {
    const license = await service
      .as(carol)
      .removeContact(BITBUCKET, carol.email, { role: 'technical', successor: erin.email })
      .catch((e) => e);
    expect(license).toMatchObject({ code: 'FORBIDDEN', reason: 'NEEDS_CONSENT' });
    await service.as(alice).addContact(BITBUCKET, { ...dan, roles: ['technical'] });
    const after = await service
      .as(carol)
      .removeContact(BITBUCKET, carol.email, { role: 'technical', successor: dan.email });
    expect(after.technical).toEqual([dan.email, alice.email, erin.email]);
  });

  it('refuses a successor who does not hold the role, or is the removed person', async () => {
    await expectRefused(
      () => service.as(alice).removeContact(JIRA, alice.email, { role: 'technical', successor: bob.email }),
      'VALIDATION',
      'successor',
    );
    await expectRefused(
      () => service.as(alice).removeContact(JIRA, alice.email, { role: 'technical', successor: alice.email }),
      'VALIDATION',
      'successor',
    );
  });

  it('applies R13 to a named successor of another company', async () => {
    await service.as(alice).addContact(JIRA, { ...frank, roles: ['technical'] });
    const error = await expectRefused(
      () => service.as(alice).removeContact(JIRA, alice.email, { role: 'technical', successor: frank.email }),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('NEEDS_CONSENT');
  });

  it('removes every role when none is named', async () => {
    const license = await service.as(carol).removeContact(BITBUCKET, alice.email);
    expect(license.technical).toEqual([carol.email, erin.email]);
    expect(license.billing).toEqual([bob.email]);
    expect(license.contacts.map((c) => c.email)).not.toContain(alice.email);
  });

  it('lets staff remove a main contact', async () => {
    const license = await service.as(staff).removeContact(JIRA, alice.email);
    expect(license.technical).toEqual([carol.email]);
  });

  it('refuses a person or role that is not on the license with NOT_FOUND', async () => {
    await expectRefused(() => service.as(alice).removeContact(JIRA, dan.email), 'NOT_FOUND', 'email');
    await expectRefused(
      () => service.as(alice).removeContact(JIRA, carol.email, { role: 'billing' }),
      'NOT_FOUND',
      'email',
    );
  });

  it('lets any contact do anything R2 allows under openPolicy', async () => {
    const open = createLicenseContacts({ storage: service.storage, policy: openPolicy });
    expect((await open.as(carol).removeContact(JIRA, alice.email, { role: 'technical' })).technical).toEqual([
      carol.email,
    ]);
  });
});

describe('replaceContact (R8)', () => {
  it('replaces a person everywhere the actor is associated, keeping roles and main positions', async () => {
    const result = await service
      .as(alice)
      .replaceContact(bob.email, { email: dan.email, name: 'Dan Okafor' });
    expect(result.dryRun).toBe(false);
    expect(result.changed.map((c) => c.licenseId)).toEqual([BITBUCKET, JIRA]);
    expect(result.skipped).toEqual([]);
    const jira = await service.as(alice).getLicense(JIRA);
    expect(jira.billing).toEqual([dan.email]);
    expect(jira.contacts.find((c) => c.email === dan.email)?.roles).toEqual(['billing']);
    // SEN-2718281 has bob too, but alice is not on it
    expect((await service.findLicense('SEN-2718281'))?.billing).toEqual([bob.email]);
    expect((await service.as(dan).history(JIRA)).items[0]).toMatchObject({
      action: 'replaceContact',
      email: bob.email,
      successor: dan.email,
    });
  });

  it('previews the same change set without writing on a dry run', async () => {
    const dry = await service.as(alice).replaceContact(bob.email, dan, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect((await service.findLicense(JIRA))?.billing).toEqual([bob.email]);
    const real = await service.as(alice).replaceContact(bob.email, dan);
    expect(real.changed.map((c) => c.after.billing)).toEqual(dry.changed.map((c) => c.after.billing));
  });

  it('merges into a successor who is already a contact, who takes the leaver’s place', async () => {
    const result = await service.as(alice).replaceContact(carol.email, alice, { licenseIds: [BITBUCKET] });
    const after = result.changed[0]?.after;
    expect(after?.technical).toEqual([alice.email, erin.email]);
    expect(after?.contacts.filter((c) => c.email === alice.email)).toHaveLength(1);
  });

  it('skips licenses where taking over a main position needs a shared domain, and lists them', async () => {
    const result = await service.as(alice).replaceContact(bob.email, frank);
    expect(result.changed).toEqual([]);
    expect(result.skipped.map((s) => [s.licenseId, s.reason])).toEqual([
      [BITBUCKET, 'DIFFERENT_DOMAIN'],
      [JIRA, 'DIFFERENT_DOMAIN'],
    ]);
  });

  it('fails whole, changing nothing, when licenseIds names one the actor may not change', async () => {
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, dan, { licenseIds: [JIRA, 'SEN-2718281'] }),
      'NOT_FOUND',
      undefined,
      [JIRA, 'SEN-2718281'],
    );
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, frank, { licenseIds: [JIRA] }),
      'FORBIDDEN',
    );
  });

  it('lets staff replace on every license, atomically', async () => {
    const result = await service
      .as(staff)
      .replaceContact(bob.email, { email: 'new.billing@acme.test', name: 'New Billing' });
    expect(result.changed).toHaveLength(3);
    expect((await service.as(bob).listLicenses()).items).toEqual([]);
  });

  it('refuses the same person as successor and bad options', async () => {
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, bob),
      'VALIDATION',
      'successor.email',
    );
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, { email: 'x@acme.test', name: '' }),
      'VALIDATION',
      'successor.name',
    );
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, dan, { licenseIds: [] }),
      'VALIDATION',
      'licenseIds',
    );
    await expectRefused(
      () => service.as(alice).replaceContact(bob.email, dan, { dryRun: 'yes' as never }),
      'VALIDATION',
      'dryRun',
    );
  });

  it('leaves every license unchanged when the storage fails the commit', async () => {
    const failing: LicenseStorage = {
      ...service.storage,
      commit: async () => Promise.reject(new Error('disk full at /var/lib')),
    };
    const broken = createLicenseContacts({ storage: failing });
    const error = await expectRefused(() => broken.as(alice).replaceContact(bob.email, dan), 'STORAGE');
    expect(error.message).not.toContain('disk full');
    expect((error.cause as Error).message).toBe('disk full at /var/lib');
  });
});

describe('history (R9)', () => {
  it('records who, when, what, before and after, newest first, with paging', async () => {
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await service.as(dan).setMain(JIRA, 'technical', dan.email);
    await service.as(alice).removeContact(JIRA, carol.email, { role: 'technical' });
    const { items } = await service.as(alice).history(JIRA);
    expect(items.map((e) => [e.action, e.actor, e.version])).toEqual([
      ['removeContact', alice.email, 4],
      ['setMain', dan.email, 3],
      ['addContact', alice.email, 2],
      ['createLicense', null, 1],
    ]);
    expect(items[1]).toMatchObject({ role: 'technical', email: dan.email, staff: false });
    // Only what changed: Dan moved to the front, Alice lost the main position; Carol kept her place behind Alice.
    expect(items[1]?.changes).toEqual([
      {
        email: alice.email,
        name: alice.name,
        before: { roles: ['technical'], technical: 0 },
        after: { roles: ['technical'], technical: 1 },
      },
      {
        email: dan.email,
        name: dan.name,
        before: { roles: ['technical'], technical: 2 },
        after: { roles: ['technical'], technical: 0 },
      },
    ]);
    expect(Date.parse(items[0]?.at as string)).toBeGreaterThan(Date.parse(items[1]?.at as string));
    const page1 = await service.as(alice).history(JIRA, { limit: 3 });
    const page2 = await service.as(alice).history(JIRA, { limit: 3, cursor: page1.nextCursor as string });
    expect([...page1.items, ...page2.items].map((e) => e.version)).toEqual([4, 3, 2, 1]);
    expect(page2.nextCursor).toBeUndefined();
    expect(await rejection(service.as(alice).history(JIRA, { cursor: 'abc' }))).toMatchObject({
      field: 'cursor',
    });
  });
});

describe('permissions (R12)', () => {
  it('answers every action with a reason, agreeing with the commands', async () => {
    const p = await service.as(carol).permissions(JIRA);
    expect(p.addContact).toEqual({ allowed: true });
    expect(p.viewHistory.allowed).toBe(true);
    expect(Object.keys(p.setMain.technical)).toEqual([alice.email, carol.email]);
    expect(p.setMain.technical[alice.email]).toMatchObject({ allowed: false, reason: 'ALREADY_MAIN' });
    expect(p.setMain.technical[carol.email]).toEqual({ allowed: true });
    expect(p.removeContact.technical[alice.email]).toMatchObject({ allowed: false, reason: 'NOT_MAIN' });
    expect(p.removeContact.technical[carol.email]).toEqual({ allowed: true });
    expect(p.removeContact.billing[bob.email]).toMatchObject({ allowed: false, reason: 'LAST_CONTACT' });
    const decision = p.removeContact.technical[alice.email];
    if (decision?.allowed === false) expect(decision.message).toMatch(/main technical contact/);
  });

  it('consults the policy a portal passes, for commands and permissions alike', async () => {
    const noAdds = createLicenseContacts({
      storage: service.storage,
      policy: {
        ...openPolicy,
        addContact: () => ({ allowed: false, reason: 'FROZEN', message: 'Contacts are frozen' }),
      },
    });
    expect((await noAdds.as(alice).permissions(JIRA)).addContact).toMatchObject({
      allowed: false,
      reason: 'FROZEN',
    });
    const error = await rejection(noAdds.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', reason: 'FROZEN', message: 'Contacts are frozen' });
  });
});

describe('concurrency options and events', () => {
  it('refuses a stale expectedVersion with CONFLICT and changes nothing', async () => {
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await expectRefused(
      () => service.as(alice).setMain(JIRA, 'technical', carol.email, { expectedVersion: 1 }),
      'CONFLICT',
    );
    expect(
      (await service.as(alice).setMain(JIRA, 'technical', carol.email, { expectedVersion: 2 })).version,
    ).toBe(3);
  });

  it('tells subscribers about every commit, and stops when unsubscribed', async () => {
    const events: LicenseContactsEvent[] = [];
    const unsubscribe = service.subscribe((event) => events.push(event));
    service.subscribe(() => {
      throw new Error('a broken listener does not fail the command');
    });
    await service.createLicense({ id: 'SEN-NEW', product: 'Jira', technical: alice, billing: bob });
    await service.as(alice).addContact('SEN-NEW', { ...dan, roles: ['billing'] });
    unsubscribe();
    await service.as(alice).addContact('SEN-NEW', { ...carol, roles: ['billing'] });
    expect(events.map((e) => [e.type, e.license?.version, e.entry.action])).toEqual([
      ['licenseCreated', 1, 'createLicense'],
      ['licenseUpdated', 2, 'addContact'],
    ]);
  });

  it('turns a storage failure into STORAGE with the driver error as cause and no driver text', async () => {
    const broken = createLicenseContacts({
      storage: {
        ...service.storage,
        getLicense: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:5432')),
      },
    });
    const error = await rejection(broken.as(alice).getLicense(JIRA));
    expect(error.code).toBe('STORAGE');
    expect(error.message).not.toMatch(/ECONNREFUSED|5432/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects a call whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(service.as(alice).getLicense(JIRA, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

describe('review findings', () => {
  it('does not let a secondary on a public domain take over a main position by replacing the main contact (R8)', async () => {
    // erin (gmail) is a secondary technical contact of Bitbucket, where carol is main technical
    await expectRefused(
      () => service.as(erin).replaceContact(carol.email, erin, { licenseIds: [BITBUCKET] }),
      'FORBIDDEN',
    );
    const result = await service.as(erin).replaceContact(carol.email, erin);
    expect(result.changed).toEqual([]);
    expect(result.skipped.map((s) => [s.licenseId, s.reason])).toEqual([[BITBUCKET, 'PUBLIC_DOMAIN']]);
    // a colleague on the company domain may (someone left)
    const ok = await service.as(alice).replaceContact(carol.email, dan, { licenseIds: [BITBUCKET] });
    expect(ok.changed[0]?.after.technical[0]).toBe(dan.email);
  });

  it('refuses with DUPLICATE a request that repeats a held role alongside a new one (R3)', async () => {
    await expectRefused(
      () =>
        service
          .as(alice)
          .addContact(JIRA, { email: carol.email, name: 'Carol', roles: ['technical', 'billing'] }),
      'DUPLICATE',
      'email',
    );
  });

  it('lists only what the policy lets the actor see', async () => {
    const strict = createLicenseContacts({
      storage: service.storage,
      policy: {
        ...defaultPolicy,
        canView: ({ license, actor }) => defaultPolicy.canView({ license, actor }) && license.id !== JIRA,
      },
    });
    const ids = (await strict.as(alice).listLicenses({ limit: 1 })).items.map((l) => l.id);
    expect(ids).toEqual(['SEN-3141592']);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await strict.as(alice).listLicenses({ limit: 1, ...(cursor ? { cursor } : {}) });
      all.push(...page.items.map((l) => l.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual(['SEN-3141592', 'SEN-5550142']);
  });
});

describe('the takeover across companies of the review (R13)', () => {
  // Gina, a partner's secondary technical contact, tries to become main and then remove the customer.
  const gina = { email: 'gina@partner.test', name: 'Gina Partner' };
  const gino = { email: 'gino@partner.test', name: 'Gino Partner' };

  beforeEach(async () => {
    await service.as(alice).addContact(JIRA, { ...gina, roles: ['technical'] });
  });

  it('refuses self-promotion over the main of another company, and says so in permissions', async () => {
    const error = await expectRefused(
      () => service.as(gina).setMain(JIRA, 'technical', gina.email),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('NEEDS_CONSENT');
    const permissions = await service.as(gina).permissions(JIRA);
    expect(permissions.setMain.technical[gina.email]).toMatchObject({
      allowed: false,
      reason: 'NEEDS_CONSENT',
    });
    expect(permissions.requestTransfer.technical[gina.email]).toEqual({ allowed: true });
    // the customer's own secondary still promotes themselves over their colleague (R5)
    expect((await service.as(carol).setMain(JIRA, 'technical', carol.email)).technical[0]).toBe(carol.email);
  });

  it('refuses adding oneself in the other role and promoting oneself there', async () => {
    const added = await service.as(gina).addContact(JIRA, { ...gina, roles: ['billing'] });
    expect(added.billing).toEqual([bob.email, gina.email]);
    const error = await expectRefused(
      () => service.as(gina).setMain(JIRA, 'billing', gina.email),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('NEEDS_CONSENT');
  });

  it('refuses naming oneself or a colleague successor of the customer’s main', async () => {
    for (const successor of [gina.email, gino.email]) {
      if (successor === gino.email)
        await service.as(gina).addContact(JIRA, { ...gino, roles: ['technical'] });
      const byGina = await expectRefused(
        () => service.as(gina).removeContact(JIRA, alice.email, { role: 'technical', successor }),
        'FORBIDDEN',
      );
      expect(byGina.reason).toBe('NOT_MAIN');
      // nor can the customer's main be talked into it without the consent of both sides
      const byAlice = await expectRefused(
        () => service.as(alice).removeContact(JIRA, alice.email, { role: 'technical', successor }),
        'FORBIDDEN',
      );
      expect(byAlice.reason).toBe('NEEDS_CONSENT');
    }
  });

  it('refuses replacing the customer’s main by oneself or a colleague, skipped or whole', async () => {
    for (const successor of [gina, gino]) {
      const result = await service.as(gina).replaceContact(alice.email, successor);
      expect(result.changed).toEqual([]);
      expect(result.skipped).toEqual([
        { licenseId: JIRA, reason: 'NEEDS_CONSENT', message: expect.any(String) },
      ]);
      const error = await expectRefused(
        () => service.as(gina).replaceContact(alice.email, successor, { licenseIds: [JIRA] }),
        'FORBIDDEN',
      );
      expect(error.reason).toBe('NEEDS_CONSENT');
      const bobs = await expectRefused(
        () => service.as(gina).replaceContact(bob.email, successor, { licenseIds: [JIRA] }),
        'FORBIDDEN',
      );
      expect(bobs.reason).toBe('NEEDS_CONSENT');
    }
  });

  it('leaves the customer in charge whatever gina tries', async () => {
    const attempts = [
      () => service.as(gina).setMain(JIRA, 'technical', gina.email),
      () => service.as(gina).removeContact(JIRA, alice.email, { role: 'technical' }),
      () => service.as(gina).removeContact(JIRA, bob.email),
      () => service.as(gina).replaceContact(alice.email, gina, { licenseIds: [JIRA] }),
    ];
    for (const attempt of attempts) await attempt().catch(() => undefined);
    const license = (await service.findLicense(JIRA)) as NonNullable<
      Awaited<ReturnType<typeof service.findLicense>>
    >;
    expect([license.technical[0], license.billing[0]]).toEqual([alice.email, bob.email]);
  });

  it('applies the same to a public-mail address: each is a company of its own', async () => {
    await service
      .as(alice)
      .addContact(JIRA, { email: 'other.contractor@gmail.com', name: 'Other', roles: ['technical'] });
    await service.as(alice).addContact(JIRA, { ...erin, roles: ['technical'] });
    await service.as(staff).setMain(JIRA, 'technical', erin.email);
    const error = await expectRefused(
      () =>
        service
          .as({ email: 'other.contractor@gmail.com' })
          .setMain(JIRA, 'technical', 'other.contractor@gmail.com'),
      'FORBIDDEN',
    );
    expect(error.reason).toBe('NEEDS_CONSENT');
  });
});

describe('audit of a removal', () => {
  it('records a successor only where it took the main position', async () => {
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await service.as(alice).removeContact(JIRA, carol.email, { role: 'technical', successor: dan.email });
    const [entry] = (await service.as(alice).history(JIRA, { limit: 1 })).items;
    expect(entry).toMatchObject({ action: 'removeContact', email: carol.email });
    expect(entry).not.toHaveProperty('successor');
    await service.as(alice).removeContact(JIRA, alice.email, { role: 'technical', successor: dan.email });
    const [main] = (await service.as(dan).history(JIRA, { limit: 1 })).items;
    expect(main).toMatchObject({ email: alice.email, successor: dan.email });
  });
});

describe('Unicode identity (R14)', () => {
  it('folds every compatibility character (NFKC), not only those lower-casing happens to fold', async () => {
    const license = await service.createLicense({
      id: 'SEN-K',
      product: 'Jira',
      technical: { email: '\u212Aelly@acme.test', name: 'Kelly' },
      billing: { email: 'ｂｏｂ@ＡＣＭＥ.test', name: 'Bob' },
    });
    expect(license.technical).toEqual(['kelly@acme.test']);
    expect(license.billing).toEqual(['bob@acme.test']);
    for (const email of ['kelly@acme.test', 'ＫＥＬＬＹ@acme.test', '\u212Aelly@ａｃｍｅ.test']) {
      expect((await service.as({ email }).getLicense('SEN-K')).id).toBe('SEN-K');
    }
    expect((await service.as({ email: 'ｋｅｌｌｙ@acme.test' }).me()).email).toBe('kelly@acme.test');
    const kelly = service.as({ email: 'kelly@acme.test' });
    const duplicate = await rejection(
      kelly.addContact('SEN-K', { email: 'ＫＥＬＬＹ@acme.test', name: 'Kelly', roles: ['technical'] }),
    );
    expect(duplicate.code).toBe('DUPLICATE');
  });

  it('refuses invisible characters in an email instead of making a new person of them', async () => {
    for (const email of [
      'alice\u200B@acme.test',
      'ali\u00ADce@acme.test',
      'alice@ac\u200Dme.test',
      '\u2066alice@acme.test',
    ]) {
      await expectRefused(
        () => service.as(alice).addContact(JIRA, { email, name: 'Alice again', roles: ['billing'] }),
        'VALIDATION',
        'email',
      );
    }
    expect(() => service.as({ email: 'alice\u200B@acme.test' })).toThrow(LicenseContactsError);
  });

  it('stores the domain in ASCII, so a full-width public domain counts as public', async () => {
    await service.createLicense({
      id: 'SEN-G',
      product: 'Jira',
      technical: { email: 'a@ｇｍａｉｌ.com', name: 'A' },
      billing: { email: 'a@ｇｍａｉｌ.com', name: 'A' },
      contacts: [{ email: 'b@ｇｍａｉｌ.com', name: 'B', roles: ['technical'] }],
    });
    const license = await service.as({ email: 'a@gmail.com' }).getLicense('SEN-G');
    expect(license.technical).toEqual(['a@gmail.com', 'b@gmail.com']);
    const refused = await rejection(
      service.as({ email: 'a@ｇｍａｉｌ.com' }).setMain('SEN-G', 'technical', 'b@ｇｍａｉｌ.com'),
    );
    // Public: each address is a company of its own, so b needs a's consent (R13); on a company domain
    // a would promote a colleague.
    expect(refused).toMatchObject({ code: 'FORBIDDEN', reason: 'NEEDS_CONSENT' });
    const idn = await service
      .as(alice)
      .addContact(JIRA, { email: 'Jörg@Müller.example', name: 'Jörg', roles: ['technical'] });
    expect(idn.technical.at(-1)).toBe('jörg@xn--mller-kva.example');
    const strict = createLicenseContacts({
      storage: service.storage,
      policy: createDefaultPolicy({ publicDomains: ['ＭÜＬＬＥＲ.example'] }),
    });
    await strict.createLicense({
      id: 'SEN-M',
      product: 'Jira',
      technical: { email: 'max@müller.example', name: 'Max' },
      billing: { email: 'max@müller.example', name: 'Max' },
      contacts: [{ email: 'moritz@müller.example', name: 'Moritz', roles: ['technical'] }],
    });
    const max = { email: 'max@xn--mller-kva.example' };
    const publicIdn = await rejection(strict.as(max).setMain('SEN-M', 'technical', 'moritz@müller.example'));
    expect(publicIdn.reason).toBe('NEEDS_CONSENT');
    // the same promotion on a company domain is a colleague's
    expect((await service.as(max).setMain('SEN-M', 'technical', 'moritz@müller.example')).technical[0]).toBe(
      'moritz@xn--mller-kva.example',
    );
  });

  it('refuses names with direction-changing characters or nothing visible, and keeps joiners inside words', async () => {
    for (const name of [
      'Eve\u202Etxt.exe',
      'Eve\u2067x',
      '\u200B',
      '\u200B\u3164',
      '\u2800\u2800',
      '\u200Dab',
      'ab \u200Dcd',
      'ab\u200D',
      'X\ud800',
    ]) {
      await expectRefused(
        () => service.as(alice).addContact(JIRA, { email: 'eve@acme.test', name, roles: ['technical'] }),
        'VALIDATION',
        'name',
      );
    }
    for (const name of ['Zoë 👩\u200D💻', 'می\u200Cخواهم', '❤\uFE0F Love', '🏳\uFE0F\u200D🌈 Pat', 'Ωmega']) {
      const license = await service
        .as(alice)
        .addContact(JIRA, { email: 'eve@acme.test', name, roles: ['technical'] });
      expect(license.contacts.at(-1)?.name).toBe(name);
      await service.as(alice).removeContact(JIRA, 'eve@acme.test');
    }
  });
});

describe('deciding visibility from the email index (R4, R15)', () => {
  /** Memory storage that counts the licenses it hands out. */
  function counted() {
    const memory = memoryStorage();
    const reads = { licenses: 0 };
    const storage: LicenseStorage = {
      ...memory,
      async getLicense(id, options) {
        const license = await memory.getLicense(id, options);
        if (license) reads.licenses += 1;
        return license;
      },
    };
    return { storage, reads };
  }

  it('reads no license for an outsider asking about a hidden one, exactly as for a missing one', async () => {
    const { storage, reads } = counted();
    const local = createLicenseContacts({ storage, cacheSize: 0 });
    for (const input of demoLicenseInputs) await local.createLicense(input);
    const mallory = local.as(outsider);
    reads.licenses = 0;
    for (const id of [JIRA, 'SEN-0000404']) {
      for (const call of [
        () => mallory.getLicense(id),
        () => mallory.permissions(id),
        () => mallory.history(id),
        () => mallory.setMain(id, 'technical', outsider.email),
        () => mallory.removeContact(id, alice.email),
        () =>
          mallory.replaceContact(alice.email, { email: 'm2@initech.test', name: 'M' }, { licenseIds: [id] }),
      ]) {
        expect((await rejection(call())).code).toBe('NOT_FOUND');
      }
    }
    expect(reads.licenses).toBe(0);
    await local.as(alice).getLicense(JIRA);
    await local.as(staff).getLicense(JIRA);
    expect(reads.licenses).toBe(2);
  });

  it('keeps a custom canView that admits more than contacts working: it names no declaration', async () => {
    const { storage, reads } = counted();
    const auditors = {
      ...defaultPolicy,
      canView: (context: Parameters<typeof defaultPolicy.canView>[0]) =>
        context.actor.email.endsWith('@auditor.test') || defaultPolicy.canView(context),
    };
    const local = createLicenseContacts({ storage, policy: auditors, cacheSize: 0 });
    for (const input of demoLicenseInputs) await local.createLicense(input);
    expect((await local.as({ email: 'ann@auditor.test' }).getLicense(JIRA)).id).toBe(JIRA);
    expect((await rejection(local.as(outsider).getLicense(JIRA))).code).toBe('NOT_FOUND');
    expect(reads.licenses).toBeGreaterThan(0);
    // A policy that keeps the declared canView keeps the index shortcut.
    const kept = counted();
    const declared = createLicenseContacts({
      storage: kept.storage,
      policy: { ...defaultPolicy },
      cacheSize: 0,
    });
    for (const input of demoLicenseInputs) await declared.createLicense(input);
    kept.reads.licenses = 0;
    expect((await rejection(declared.as(outsider).getLicense(JIRA))).code).toBe('NOT_FOUND');
    expect(kept.reads.licenses).toBe(0);
    expect(openPolicy.viewedByContactsOnly).toBe(openPolicy.canView);
    expect(defaultPolicy.viewedByContactsOnly).toBe(defaultPolicy.canView);
  });
});

describe('the clock', () => {
  it('stamps each change with its clock reading, whether the clock gives a number, a Date or ISO text', async () => {
    let reading: number | Date | string = Date.parse('2026-05-01T08:00:00.000Z');
    const clocked = createLicenseContacts({ storage: memoryStorage(), clock: () => reading });
    await clocked.createLicense({ id: 'SEN-CLOCK', product: 'Jira', technical: alice, billing: bob });
    const api = clocked.as(alice);
    reading = new Date('2026-05-01T08:00:00.000Z'); // the same millisecond again, as a Date
    await api.addContact('SEN-CLOCK', { ...carol, roles: ['technical'] });
    reading = '2026-05-01T08:00:00.001Z';
    await api.setMain('SEN-CLOCK', 'technical', carol.email);
    await api.setMain('SEN-CLOCK', 'technical', alice.email);
    reading = new Date('2026-05-01T09:30:00.250Z');
    await api.removeContact('SEN-CLOCK', carol.email);
    expect((await api.getLicense('SEN-CLOCK')).updatedAt).toBe('2026-05-01T09:30:00.250Z');
    const at = (await api.history('SEN-CLOCK')).items.map((entry) => entry.at).reverse();
    expect(at).toEqual([
      '2026-05-01T08:00:00.000Z',
      '2026-05-01T08:00:00.000Z',
      '2026-05-01T08:00:00.001Z',
      '2026-05-01T08:00:00.001Z',
      '2026-05-01T09:30:00.250Z',
    ]);
  });
});
