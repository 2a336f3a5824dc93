import type { Actor, Command, License } from '@license-contacts/core';
import {
  applyCommand,
  checkCommand,
  checkTransfer,
  createLicenseState,
  defaultPolicy,
  permissionsFor,
} from '@license-contacts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorOver, commandOver } from './arbitraries';

const NOW = '2026-04-01T08:00:00.000Z';
const people = ['ann@acme.test', 'ben@acme.test', 'cy@globex.test', 'di@gmail.com'];

const base = createLicenseState(
  {
    id: 'SEN-1',
    product: 'Jira',
    technical: { email: 'ann@acme.test', name: 'Ann' },
    billing: { email: 'ben@acme.test', name: 'Ben' },
    contacts: [
      { email: 'cy@globex.test', name: 'Cy', roles: ['technical', 'billing'] },
      { email: 'di@gmail.com', name: 'Di', roles: ['technical'] },
    ],
  },
  NOW,
).license;

describe('applyCommand', () => {
  it('is pure: the input license is untouched and frozen, the output shares what did not change', () => {
    const applied = applyCommand(
      base,
      { type: 'setMain', role: 'billing', email: 'cy@globex.test' },
      { email: 'ops@vendor.test', staff: true },
      defaultPolicy,
      NOW,
    );
    expect(base.billing).toEqual(['ben@acme.test', 'cy@globex.test']);
    expect(Object.isFrozen(base)).toBe(true);
    expect(applied?.license.billing).toEqual(['cy@globex.test', 'ben@acme.test']);
    expect(applied?.license.technical).toBe(base.technical);
    expect(applied?.license.contacts).toBe(base.contacts);
    expect(applied?.license.version).toBe(2);
    expect(applied?.entry).toMatchObject({
      id: 'SEN-1:2',
      action: 'setMain',
      actor: 'ops@vendor.test',
      staff: true,
      at: NOW,
    });
  });

  it('freezes every part of what it answers: the license, its lists and rows, the entry and its changes', () => {
    const actor = { email: 'ops@vendor.test', staff: true };
    const commands: Command[] = [
      { type: 'addContact', input: { email: 'ed@acme.test', name: 'Ed', roles: ['technical', 'billing'] } },
      { type: 'setMain', role: 'technical', email: 'di@gmail.com' },
      { type: 'removeContact', email: 'ben@acme.test', role: 'billing' },
      { type: 'replaceContact', email: 'ann@acme.test', successor: { email: 'fay@acme.test', name: 'Fay' } },
    ];
    /** Every object and array inside `value` that is not frozen, by path. */
    const unfrozen = (value: unknown, path: string): string[] => {
      if (typeof value !== 'object' || value === null) return [];
      const own = Object.isFrozen(value) ? [] : [path];
      return own.concat(...Object.entries(value).map(([key, inner]) => unfrozen(inner, `${path}.${key}`)));
    };
    for (const command of commands) {
      const applied = applyCommand(base, command, actor, defaultPolicy, NOW);
      expect(applied?.entry.changes.length, command.type).toBeGreaterThan(0);
      expect(unfrozen(applied?.license, 'license'), command.type).toEqual([]);
      expect(unfrozen(applied?.entry, 'entry'), command.type).toEqual([]);
    }
  });

  it('answers null for a command that changes nothing', () => {
    expect(
      applyCommand(
        base,
        { type: 'setMain', role: 'technical', email: 'ann@acme.test' },
        { email: 'ann@acme.test' },
        defaultPolicy,
        NOW,
      ),
    ).toBeNull();
  });

  it('keeps one main per role and each person once (R2, R3), whatever the allowed command', () => {
    const command = commandOver(people);
    const actor = actorOver(people);
    fc.assert(
      fc.property(fc.array(fc.tuple(command, actor), { maxLength: 25 }), (steps) => {
        let license: License = base;
        for (const [c, a] of steps) {
          const decision = checkCommand(license, c, a, defaultPolicy);
          let next: License | undefined;
          try {
            next = applyCommand(license, c, a, defaultPolicy, NOW)?.license ?? license;
          } catch {
            next = undefined;
          }
          // the decision and the command agree
          expect(next !== undefined).toBe(
            decision.allowed || (decision.allowed === false && decision.reason === 'ALREADY_MAIN'),
          );
          license = next ?? license;
          expect(license.technical.length).toBeGreaterThan(0);
          expect(license.billing.length).toBeGreaterThan(0);
          const emails = license.contacts.map((x) => x.email);
          expect(new Set(emails).size).toBe(emails.length);
          expect(new Set(license.technical).size).toBe(license.technical.length);
          for (const contact of license.contacts) {
            expect(contact.roles.length).toBeGreaterThan(0);
            for (const r of ['technical', 'billing'] as const)
              expect(license[r].includes(contact.email)).toBe(contact.roles.includes(r));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('permissionsFor', () => {
  it('decides every row exactly as the command would be decided', () => {
    for (const email of [...people, 'ops@vendor.test']) {
      const actor: Actor = email.startsWith('ops') ? { email, staff: true } : { email };
      const permissions = permissionsFor(base, actor, defaultPolicy);
      for (const role of ['technical', 'billing'] as const) {
        expect(Object.keys(permissions.removeContact[role])).toEqual(base[role]);
        for (const target of base[role]) {
          expect(permissions.removeContact[role][target]).toEqual(
            checkCommand(base, { type: 'removeContact', email: target, role }, actor, defaultPolicy),
          );
          expect(permissions.setMain[role][target]).toEqual(
            checkCommand(base, { type: 'setMain', role, email: target }, actor, defaultPolicy),
          );
          expect(permissions.requestTransfer[role][target]).toEqual(
            checkTransfer(base, role, target, actor, defaultPolicy),
          );
        }
      }
    }
  });

  it('gives a reason for every refusal', () => {
    const p = permissionsFor(base, { email: 'di@gmail.com' }, defaultPolicy);
    // R13: both are with other companies than the main technical contact ann@acme.test
    expect(p.setMain.technical['cy@globex.test']).toMatchObject({ allowed: false, reason: 'NEEDS_CONSENT' });
    expect(p.setMain.technical['di@gmail.com']).toMatchObject({ allowed: false, reason: 'NEEDS_CONSENT' });
    expect(p.requestTransfer.technical['di@gmail.com']).toEqual({ allowed: true });
    expect(p.requestTransfer.technical['cy@globex.test']).toMatchObject({
      allowed: false,
      reason: 'NOT_A_SIDE',
    });
    expect(p.requestTransfer.technical['ann@acme.test']).toMatchObject({
      allowed: false,
      reason: 'ALREADY_MAIN',
    });
    expect(p.removeContact.technical['ann@acme.test']).toMatchObject({ allowed: false, reason: 'NOT_MAIN' });
    const ann = permissionsFor(base, { email: 'ann@acme.test' }, defaultPolicy);
    expect(ann.setMain.technical['di@gmail.com']).toMatchObject({ allowed: false, reason: 'NEEDS_CONSENT' });
    expect(ann.requestTransfer.technical['di@gmail.com']).toEqual({ allowed: true });
    expect(ann.removeContact.technical['ann@acme.test']).toEqual({ allowed: true });
    // R5 still decides a promotion within the main's company: cy may not promote ann's colleague ben
    const withBen = applyCommand(
      base,
      { type: 'addContact', input: { email: 'ben@acme.test', name: 'Ben', roles: ['technical'] } },
      { email: 'ann@acme.test' },
      defaultPolicy,
      NOW,
    )?.license as License;
    const cy = permissionsFor(withBen, { email: 'cy@globex.test' }, defaultPolicy);
    expect(cy.setMain.technical['ben@acme.test']).toMatchObject({
      allowed: false,
      reason: 'DIFFERENT_DOMAIN',
    });
    expect(cy.requestTransfer.technical['ben@acme.test']).toMatchObject({
      allowed: false,
      reason: 'SAME_COMPANY',
    });
    expect(
      permissionsFor(withBen, { email: 'ann@acme.test' }, defaultPolicy).setMain.technical['ben@acme.test'],
    ).toEqual({ allowed: true });
  });
});
