import type { LicenseContacts, PendingRequest } from '@license-contacts/core';
import {
  addContactDecision,
  createLicenseContacts,
  LicenseContactsError,
  memoryStorage,
} from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { rejection } from './rejection';

const { alice, bob, carol, dan, erin, frank } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const BITBUCKET = 'SEN-3141592'; // technical: carol, alice, erin; billing: bob, alice
const staff = { email: 'ops@vendor.test', staff: true };
const gina = { email: 'gina@partner.test', name: 'Gina Partner' };
const DAY = 24 * 60 * 60 * 1000;

let service: LicenseContacts;
let clock: number;

function create(options: Parameters<typeof createLicenseContacts>[0] = {}): LicenseContacts {
  return createLicenseContacts({ storage: memoryStorage(), clock: () => clock, ...options });
}

beforeEach(async () => {
  clock = Date.parse('2026-03-01T12:00:00Z');
  service = create();
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

const version = async (id = JIRA) => (await service.findLicense(id))?.version;

describe('invitations (§7)', () => {
  it('invites a person who has no access, receives no mail and is no contact until they accept', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical', 'billing'] });
    expect(request).toMatchObject({
      kind: 'invitation',
      licenseId: JIRA,
      product: 'Jira Software',
      email: gina.email,
      name: gina.name,
      roles: ['technical', 'billing'],
      requestedBy: alice.email,
      decidedBy: [gina.email],
      state: 'pending',
      createdAt: '2026-03-01T12:00:00.000Z',
      expiresAt: '2026-03-15T12:00:00.000Z',
      version: 1,
      actions: {
        accept: { allowed: false, reason: 'NOT_DECIDER' },
        cancel: { allowed: true },
      },
    });
    expect((await rejection(service.as(gina).getLicense(JIRA))).code).toBe('NOT_FOUND');
    expect((await service.as(gina).listLicenses()).items).toEqual([]);
    for (const topic of ['license', 'invoice', 'support', 'releases'] as const) {
      const { to, cc, unreachable } = await service.recipients(JIRA, topic);
      expect([...to, ...cc, ...unreachable]).not.toContain(gina.email);
    }
    const license = await service.findLicense(JIRA);
    expect(license?.contacts.map((c) => c.email)).not.toContain(gina.email);
    expect(license?.version).toBe(2);
    // the invitee sees the invitation, and only that
    const mine = await service.as(gina).requests();
    expect(mine.items.map((r) => r.id)).toEqual([request.id]);
    expect(mine.items[0]?.actions).toEqual({
      accept: { allowed: true },
      decline: { allowed: true },
      cancel: expect.objectContaining({ allowed: false }),
    });
  });

  it('adds the invitee with the offered roles on accepting, as one entry of the history', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    clock += 1000;
    const accepted = await service.as({ email: 'GINA@partner.test' }).acceptRequest(request.id);
    expect(accepted).toMatchObject({ state: 'accepted', closedBy: gina.email, version: 2 });
    const license = await service.as(gina).getLicense(JIRA);
    expect(license.technical).toEqual([alice.email, carol.email, gina.email]);
    const [entry, invited] = (await service.as(alice).history(JIRA)).items;
    expect(entry).toMatchObject({
      action: 'acceptRequest',
      actor: gina.email,
      email: gina.email,
      changes: [{ email: gina.email, before: null, after: { roles: ['technical'], technical: 2 } }],
      requests: [{ id: request.id, state: 'accepted', kind: 'invitation' }],
    });
    expect(invited).toMatchObject({
      action: 'invite',
      actor: alice.email,
      changes: [],
      requests: [{ id: request.id, state: 'pending' }],
    });
  });

  it('merges the offered roles with those the invitee holds meanwhile (R3)', async () => {
    const request = await service.as(alice).invite(JIRA, { ...dan, roles: ['technical', 'billing'] });
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['billing'] });
    await service.as(dan).acceptRequest(request.id);
    const license = (await service.findLicense(JIRA)) ?? undefined;
    expect(license?.contacts.find((c) => c.email === dan.email)?.roles).toEqual(['technical', 'billing']);
    expect(license?.billing).toEqual([bob.email, dan.email]);
  });

  it('answers a second invitation of a pending invitee with the pending one', async () => {
    const first = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    const again = await service.as(carol).invite(JIRA, { ...gina, name: 'G.', roles: ['billing'] });
    expect(again.id).toBe(first.id);
    expect(again.roles).toEqual(['technical']);
    expect(await version()).toBe(2);
  });

  it('lets a new invitation follow one that expired, was declined or was cancelled', async () => {
    const first = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    await service.as(gina).declineRequest(first.id);
    const second = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    expect(second.id).not.toBe(first.id);
    await service.as(alice).cancelRequest(second.id);
    const third = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    clock += 14 * DAY;
    expect((await service.findRequest(third.id))?.state).toBe('expired');
    const fourth = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    expect(new Set([first.id, second.id, third.id, fourth.id]).size).toBe(4);
    expect(fourth.state).toBe('pending');
  });

  it('expires after 14 days by the service’s clock, with a clear error on accepting', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    clock += 14 * DAY - 1;
    expect((await service.findRequest(request.id))?.state).toBe('pending');
    clock += 1;
    const before = await version();
    const error = await rejection(service.as(gina).acceptRequest(request.id));
    expect(error).toMatchObject({ code: 'CONFLICT', reason: 'EXPIRED' });
    expect(error.message).toMatch(/expired/);
    expect(await version()).toBe(before);
    expect((await service.as(gina).requests({ state: 'expired' })).items.map((r) => r.id)).toEqual([
      request.id,
    ]);
    expect((await service.as(gina).requests({ state: 'pending' })).items).toEqual([]);
  });

  it('honours requestTtl', async () => {
    const short = create({ requestTtl: DAY });
    await short.createLicense(demoLicenseInputs[0] as never);
    const request = await short.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    expect(request.expiresAt).toBe('2026-03-02T12:00:00.000Z');
  });

  it('lets only the signed-in invitee accept or decline, and hides the request from outsiders', async () => {
    const request = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    const before = await version();
    // a contact of the license sees it but may not answer it for gina
    expect(await rejection(service.as(carol).acceptRequest(request.id))).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'NOT_DECIDER',
    });
    expect((await rejection(service.as(staff).acceptRequest(request.id))).code).toBe('FORBIDDEN');
    // someone with nothing to do with it learns nothing, not even that the license exists
    for (const call of ['acceptRequest', 'declineRequest', 'cancelRequest'] as const) {
      const error = await rejection(service.as({ email: 'mallory@initech.test' })[call](request.id));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).not.toContain(JIRA);
    }
    expect((await service.as({ email: 'mallory@initech.test' }).requests()).items).toEqual([]);
    expect((await rejection(service.as(gina).acceptRequest('req_unknown'))).code).toBe('NOT_FOUND');
    expect(await version()).toBe(before);
  });

  it('lets the inviter, staff and contacts who may add people cancel, not the invitee', async () => {
    const one = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    expect((await rejection(service.as(gina).cancelRequest(one.id))).reason).toBe('NOT_REQUESTER');
    expect((await service.as(carol).cancelRequest(one.id)).state).toBe('cancelled');
    const two = await service.as(alice).invite(JIRA, { ...gina, roles: ['technical'] });
    expect(await service.as(staff).cancelRequest(two.id)).toMatchObject({
      state: 'cancelled',
      closedBy: staff.email,
    });
    expect(await rejection(service.as(gina).acceptRequest(two.id))).toMatchObject({
      code: 'CONFLICT',
      reason: 'NOT_PENDING',
    });
  });

  it('refuses inviting a person for a role they hold with DUPLICATE, an outsider with NOT_FOUND', async () => {
    expect(await rejection(service.as(alice).invite(JIRA, { ...carol, roles: ['technical'] }))).toMatchObject(
      {
        code: 'DUPLICATE',
      },
    );
    expect(
      (
        await rejection(
          service.as({ email: 'mallory@initech.test' }).invite(JIRA, { ...gina, roles: ['technical'] }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });

  it.each([
    [{ email: 'nope', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a\u0000@x.test', name: 'X', roles: ['technical'] }, 'email'],
    [{ email: 'a@x.test', name: ' ', roles: ['technical'] }, 'name'],
    [{ email: 'a@x.test', name: 'X', roles: [] }, 'roles'],
    [{ email: 'a@x.test', name: 'X', roles: ['owner'] }, 'roles'],
    ['a@x.test', 'input'],
  ])('refuses bad invitation input #%# with VALIDATION naming $1', async (input, field) => {
    expect(await rejection(service.as(alice).invite(JIRA, input as never))).toMatchObject({
      code: 'VALIDATION',
      field,
    });
    expect(await version()).toBe(1);
  });

  it('refuses bad request ids and options with VALIDATION naming them', async () => {
    const alices = service.as(alice);
    for (const id of ['', 'a b', 'x'.repeat(65), 42]) {
      expect(await rejection(alices.acceptRequest(id as never))).toMatchObject({
        code: 'VALIDATION',
        field: 'requestId',
      });
    }
    expect(await rejection(alices.requests({ state: 'open' as never }))).toMatchObject({ field: 'state' });
    expect(await rejection(alices.requests({ licenseId: 'no way' }))).toMatchObject({ field: 'licenseId' });
    expect(await rejection(alices.requests({ cursor: '../x' }))).toMatchObject({ field: 'cursor' });
    expect(await rejection(alices.requests({ limit: 0 }))).toMatchObject({ field: 'limit' });
  });
});

describe('invitations setting (§7)', () => {
  it("with 'otherDomains' refuses adding someone outside the actor's company: INVITATION_REQUIRED", async () => {
    const strict = create({ storage: service.storage, invitations: 'otherDomains' });
    const error = await rejection(strict.as(alice).addContact(JIRA, { ...erin, roles: ['technical'] }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', reason: 'INVITATION_REQUIRED' });
    expect((await rejection(strict.as(alice).addContact(JIRA, { ...gina, roles: ['billing'] }))).reason).toBe(
      'INVITATION_REQUIRED',
    );
    // a colleague, an existing contact's other role, and staff are added directly
    await strict.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await strict.as(alice).addContact(JIRA, { ...carol, roles: ['billing'] });
    await strict.as(staff).addContact(JIRA, { ...frank, roles: ['technical'] });
    // invite works under every setting
    expect((await strict.as(alice).invite(JIRA, { ...erin, roles: ['technical'] })).state).toBe('pending');
    const permissions = await strict.as(alice).permissions(JIRA);
    expect(permissions.directAdd).toEqual({ domains: ['acme.test'] });
    expect(permissions.invite).toEqual({ allowed: true });
    const license = (await strict.findLicense(JIRA)) as NonNullable<
      Awaited<ReturnType<typeof strict.findLicense>>
    >;
    expect(addContactDecision(permissions, license, erin.email)).toMatchObject({
      reason: 'INVITATION_REQUIRED',
    });
    expect(addContactDecision(permissions, license, 'new@acme.test')).toEqual({ allowed: true });
    expect(addContactDecision(permissions, license, frank.email)).toEqual({ allowed: true });
    // on a public mail domain, a person is a company of their own: everyone new is invited
    const erinsView = await strict.as(erin).permissions(BITBUCKET);
    expect(erinsView.directAdd).toBe('none');
  });

  it("with 'always' invites everyone new; with 'never' (the default) adds directly", async () => {
    const always = create({ storage: service.storage, invitations: 'always' });
    expect(
      (await rejection(always.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] }))).reason,
    ).toBe('INVITATION_REQUIRED');
    const permissions = await always.as(alice).permissions(JIRA);
    expect(permissions.addContact).toMatchObject({ allowed: false, reason: 'INVITATION_REQUIRED' });
    expect(permissions.directAdd).toBe('none');
    expect((await service.as(alice).permissions(JIRA)).directAdd).toBe('any');
    expect(() => create({ invitations: 'sometimes' as never })).toThrow(LicenseContactsError);
  });
});

describe('transfer requests (R13)', () => {
  beforeEach(async () => {
    await service.as(alice).addContact(JIRA, { ...gina, roles: ['technical'] });
  });

  it('lets the other company ask; the main decides; accepting promotes on the current state', async () => {
    const request = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    expect(request).toMatchObject({
      kind: 'transfer',
      email: gina.email,
      roles: ['technical'],
      requestedBy: gina.email,
      decidedBy: [alice.email],
      currentMain: alice.email,
      state: 'pending',
    });
    // while pending the license is unchanged
    expect((await service.findLicense(JIRA))?.technical[0]).toBe(alice.email);
    expect(await rejection(service.as(gina).acceptRequest(request.id))).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'NOT_DECIDER',
    });
    const permissions = await service.as(alice).permissions(JIRA);
    expect(permissions.requests[request.id]).toEqual({
      accept: { allowed: true },
      decline: { allowed: true },
      cancel: expect.objectContaining({ allowed: false, reason: 'NOT_REQUESTER' }),
    });
    const accepted = await service.as(alice).acceptRequest(request.id);
    expect(accepted.state).toBe('accepted');
    const license = await service.as(alice).getLicense(JIRA);
    expect(license.technical).toEqual([gina.email, alice.email, carol.email]);
    const [entry] = (await service.as(alice).history(JIRA)).items;
    expect(entry).toMatchObject({
      action: 'acceptRequest',
      actor: alice.email,
      role: 'technical',
      email: gina.email,
    });
    expect(entry?.changes.map((c) => c.email)).toEqual([alice.email, gina.email]);
  });

  it('lets the main’s company offer the position; the new main decides', async () => {
    const offer = await service.as(carol).requestTransfer(JIRA, 'technical', gina.email);
    expect(offer.decidedBy).toEqual([gina.email]);
    expect((await rejection(service.as(alice).acceptRequest(offer.id))).reason).toBe('NOT_DECIDER');
    await service.as(gina).declineRequest(offer.id);
    expect((await service.findLicense(JIRA))?.technical[0]).toBe(alice.email);
  });

  it('answers a pending request for the same with that one, and refuses within one company', async () => {
    const first = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    expect((await service.as(gina).requestTransfer(JIRA, 'technical', gina.email)).id).toBe(first.id);
    expect(await rejection(service.as(alice).requestTransfer(JIRA, 'technical', carol.email))).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'SAME_COMPANY',
    });
    expect((await rejection(service.as(gina).requestTransfer(JIRA, 'billing', gina.email))).code).toBe(
      'NOT_FOUND',
    );
    expect(await rejection(service.as(alice).requestTransfer(JIRA, 'technical', alice.email))).toMatchObject({
      reason: 'ALREADY_MAIN',
    });
  });

  it('fails with CONFLICT and cancels the request when the position changed meanwhile', async () => {
    const request = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    await service.as(carol).setMain(JIRA, 'technical', carol.email);
    const error = await rejection(service.as(alice).acceptRequest(request.id));
    expect(error).toMatchObject({ code: 'CONFLICT', reason: 'POSITION_CHANGED' });
    const after = await service.findRequest(request.id);
    expect(after?.state).toBe('cancelled');
    expect((await service.findLicense(JIRA))?.technical[0]).toBe(carol.email);
    expect((await rejection(service.as(carol).acceptRequest(request.id))).reason).toBe('NOT_PENDING');
  });

  it('lets staff decide any transfer', async () => {
    const request = await service.as(gina).requestTransfer(JIRA, 'technical', gina.email);
    await service.as(staff).acceptRequest(request.id);
    expect((await service.findLicense(JIRA))?.technical[0]).toBe(gina.email);
  });

  it('refuses a third company with NOT_A_SIDE', async () => {
    await service.as(alice).addContact(JIRA, { ...frank, roles: ['technical'] });
    expect(await rejection(service.as(frank).requestTransfer(JIRA, 'technical', gina.email))).toMatchObject({
      reason: 'NOT_A_SIDE',
    });
  });
});

describe('offboarding and requests (R8, §7)', () => {
  it('cancels the leaver’s pending requests, listing them in the dry run too', async () => {
    const invited = await service.as(carol).invite(JIRA, { ...gina, roles: ['billing'] });
    const other = await service.as(alice).invite(JIRA, { ...erin, roles: ['billing'] });
    const preview = await service.as(alice).replaceContact(carol.email, dan, { dryRun: true });
    expect(preview.cancelledRequests.map((r: PendingRequest) => [r.id, r.state])).toEqual([
      [invited.id, 'pending'],
    ]);
    expect((await service.findRequest(invited.id))?.state).toBe('pending');
    const result = await service.as(alice).replaceContact(carol.email, dan);
    expect(result.cancelledRequests.map((r) => [r.id, r.state])).toEqual([[invited.id, 'cancelled']]);
    expect((await service.findRequest(invited.id))?.state).toBe('cancelled');
    expect((await service.findRequest(other.id))?.state).toBe('pending');
    const [entry] = (await service.as(alice).history(JIRA)).items;
    expect(entry).toMatchObject({
      action: 'replaceContact',
      requests: [{ id: invited.id, state: 'cancelled' }],
    });
  });
});
