import type { LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

const { alice, bob, carol, erin } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const BITBUCKET = 'SEN-3141592'; // technical: carol, alice, erin; billing: bob, alice

let service: LicenseContacts;
let clock: number;

beforeEach(async () => {
  clock = Date.parse('2026-03-01T12:00:00Z');
  service = createLicenseContacts({ storage: memoryStorage(), clock: () => clock });
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

describe('reachable addresses (§7)', () => {
  it('moves a permanently bouncing address to unreachable and falls back to the next of its role', async () => {
    const status = await service.reportBounce('Alice@ACME.test', {
      permanent: true,
      reason: '550 5.1.1 no\r\nsuch user',
    });
    expect(status).toEqual({
      email: alice.email,
      reachable: false,
      bounces: 0,
      permanent: true,
      reason: '550 5.1.1 no such user',
      bouncedAt: '2026-03-01T12:00:00.000Z',
    });
    expect(await service.recipients(JIRA, 'license')).toEqual({
      to: [carol.email, bob.email],
      cc: [],
      unreachable: [alice.email],
    });
    expect(await service.recipients(BITBUCKET, 'invoice')).toEqual({
      to: [bob.email],
      cc: [],
      unreachable: [alice.email],
    });
    expect(await service.recipients(BITBUCKET, 'support')).toEqual({
      to: [carol.email, erin.email],
      cc: [],
      unreachable: [alice.email],
    });
  });

  it('makes a main billing contact that bounces give way to the next reachable billing contact', async () => {
    await service.reportBounce(bob.email, { permanent: true });
    expect(await service.recipients(BITBUCKET, 'invoice')).toEqual({
      to: [alice.email],
      cc: [],
      unreachable: [bob.email],
    });
    // with nobody left to reach, `to` is empty and says so
    await service.reportBounce(alice.email, { permanent: true });
    expect(await service.recipients(BITBUCKET, 'invoice')).toEqual({
      to: [],
      cc: [],
      unreachable: [bob.email, alice.email],
    });
  });

  it('counts temporary bounces: unreachable after three in a row, until the address is confirmed', async () => {
    for (const bounces of [1, 2]) {
      expect(await service.reportBounce(bob.email, { permanent: false })).toMatchObject({
        reachable: true,
        bounces,
      });
      expect((await service.recipients(JIRA, 'invoice')).to).toEqual([bob.email]);
    }
    clock += 1000;
    expect(await service.reportBounce(bob.email, { permanent: false })).toMatchObject({
      reachable: false,
      bounces: 3,
    });
    expect((await service.recipients(JIRA, 'invoice')).unreachable).toEqual([bob.email]);
    clock += 1000;
    expect(await service.confirmAddress(bob.email)).toEqual({
      email: bob.email,
      reachable: true,
      bounces: 0,
      permanent: false,
      confirmedAt: '2026-03-01T12:00:02.000Z',
    });
    expect(await service.recipients(JIRA, 'invoice')).toEqual({ to: [bob.email], cc: [], unreachable: [] });
    expect(await service.addressStatus(bob.email)).toMatchObject({ reachable: true });
  });

  it('keeps a permanent bounce over later temporary ones, and honours softBounceLimit', async () => {
    await service.reportBounce(bob.email, { permanent: true });
    expect(await service.reportBounce(bob.email, { permanent: false })).toMatchObject({
      reachable: false,
      permanent: true,
    });
    const lenient = createLicenseContacts({ storage: memoryStorage(), softBounceLimit: 5 });
    for (let i = 0; i < 4; i++) await lenient.reportBounce(bob.email, { permanent: false });
    expect(await lenient.addressStatus(bob.email)).toMatchObject({ reachable: true, bounces: 4 });
  });

  it('shows the bouncing contacts of a license in permissions, in contact order', async () => {
    await service.reportBounce(erin.email, { permanent: true });
    await service.reportBounce(carol.email, { permanent: true });
    expect((await service.as(alice).permissions(BITBUCKET)).unreachable).toEqual([carol.email, erin.email]);
    expect((await service.as(alice).permissions(JIRA)).unreachable).toEqual([carol.email]);
  });

  it('counts every report when many arrive at once (compare-and-set, retried)', async () => {
    await Promise.all(
      Array.from({ length: 10 }, () => service.reportBounce(bob.email, { permanent: false })),
    );
    expect((await service.addressStatus(bob.email)).bounces).toBe(10);
  });

  it('refuses bad input with VALIDATION naming the field', async () => {
    const refused = async (call: Promise<unknown>, field: string) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LicenseContactsError);
      expect(error).toMatchObject({ code: 'VALIDATION', field });
    };
    await refused(service.reportBounce('nope', { permanent: true }), 'email');
    await refused(service.reportBounce(bob.email, { permanent: 'yes' } as never), 'permanent');
    await refused(service.reportBounce(bob.email, undefined as never), 'permanent');
    await refused(service.reportBounce(bob.email, { permanent: true, reason: 42 } as never), 'reason');
    await refused(service.confirmAddress(''), 'email');
    expect(await service.addressStatus(bob.email)).toMatchObject({ reachable: true, bounces: 0 });
  });
});
