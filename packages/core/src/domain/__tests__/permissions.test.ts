import type { Command, License, Policy, Role } from '@license-contacts/core';
import {
  applyCommand,
  checkCommand,
  createLicenseState,
  defaultPolicy,
  deny,
  openPolicy,
  permissionsFor,
  previewCommand,
} from '@license-contacts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorOver, commandOver } from './arbitraries';

const NOW = '2026-04-01T08:00:00.000Z';
const people = ['ann@acme.test', 'ben@acme.test', 'cy@globex.test', 'di@gmail.com', 'ed@acme.test'];
const ROLES: Role[] = ['technical', 'billing'];

const base = createLicenseState(
  {
    id: 'SEN-1',
    product: 'Jira',
    technical: { email: 'ann@acme.test', name: 'Ann' },
    billing: { email: 'ben@acme.test', name: 'Ben' },
    contacts: [
      { email: 'di@gmail.com', name: 'Di', roles: ['technical'] },
      { email: 'cy@globex.test', name: 'Cy', roles: ['technical', 'billing'] },
    ],
  },
  NOW,
).license;

/** Company admins of acme.test see every license, contact or not; nobody may name a successor. */
const adminPolicy: Policy = {
  ...defaultPolicy,
  canView: ({ license, actor }) =>
    actor.email.endsWith('@acme.test') || license.contacts.some((c) => c.email === actor.email),
  removeContact: (context) =>
    context.successor === undefined
      ? defaultPolicy.removeContact(context)
      : deny('NO_NAMING', 'Successors are not named here'),
};
const policies: [string, Policy][] = [
  ['default', defaultPolicy],
  ['open', openPolicy],
  ['admins', adminPolicy],
];

const command = commandOver(people);
const actor = actorOver(people);

/** A license reached from `base` by some allowed commands. */
const license: fc.Arbitrary<License> = fc.array(fc.tuple(command, actor), { maxLength: 12 }).map((steps) => {
  let current = base;
  for (const [c, a] of steps) {
    try {
      current = applyCommand(current, c, a, openPolicy, NOW)?.license ?? current;
    } catch {
      // refused: the license stays as it was
    }
  }
  return current;
});

/** A license without its version and time: what a command changed in its contacts. */
const contactsOf = ({ version: _v, updatedAt: _u, ...rest }: License) => rest;

describe('previewCommand', () => {
  it('draws exactly the contacts the command would commit, and nothing when the structure refuses it', () => {
    fc.assert(
      fc.property(license, command, (before, c) => {
        const drawn = previewCommand(before, c);
        // Staff under the open policy: only the structural rules can refuse.
        let committed: License | null | undefined;
        try {
          committed = applyCommand(
            before,
            c,
            { email: 'ops@vendor.test', staff: true },
            openPolicy,
            NOW,
          )?.license;
        } catch {
          committed = undefined;
        }
        if (committed) expect(contactsOf(drawn)).toEqual(contactsOf(committed));
        else expect(drawn).toBe(before);
        expect(drawn.version).toBe(before.version);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the identity of what did not change, and leaves the input untouched', () => {
    const drawn = previewCommand(base, { type: 'setMain', role: 'billing', email: 'cy@globex.test' });
    expect(drawn.billing).toEqual(['cy@globex.test', 'ben@acme.test']);
    expect(drawn.technical).toBe(base.technical);
    expect(drawn.contacts).toBe(base.contacts);
    expect(base.billing).toEqual(['ben@acme.test', 'cy@globex.test']);
    const added = previewCommand(base, {
      type: 'addContact',
      input: { email: 'ann@acme.test', name: 'Ann', roles: ['billing'] },
    });
    expect(added.contacts[0]?.roles).toEqual(['technical', 'billing']);
    expect(added.contacts[1]).toBe(base.contacts[1]);
  });

  it('answers the same license for a command the structural rules refuse', () => {
    const single = previewCommand(base, { type: 'removeContact', email: 'cy@globex.test', role: 'billing' });
    expect(single.billing).toEqual(['ben@acme.test']);
    // R2: the last billing contact stays.
    expect(previewCommand(single, { type: 'removeContact', email: 'ben@acme.test' })).toBe(single);
    expect(previewCommand(base, { type: 'removeContact', email: 'ann@acme.test', role: 'billing' })).toBe(
      base,
    );
    expect(previewCommand(base, { type: 'setMain', role: 'billing', email: 'di@gmail.com' })).toBe(base);
    expect(
      previewCommand(base, {
        type: 'addContact',
        input: { email: 'di@gmail.com', name: 'Di', roles: ['technical'] },
      }),
    ).toBe(base);
  });
});

describe('permissionsFor: successors and losesAccess', () => {
  it.each(policies)('answers as the commands do under the %s policy', (_name, policy) => {
    fc.assert(
      fc.property(license, actor, (l, a) => {
        if (!policy.canView({ license: l, actor: a })) return;
        const permissions = permissionsFor(l, a, policy);
        for (const r of ROLES) {
          const [main, next, ...rest] = l[r];
          expect(Object.keys(permissions.successors[r])).toEqual(next === undefined ? [] : [next, ...rest]);
          for (const candidate of Object.keys(permissions.successors[r])) {
            // The command that makes them main: naming no one for the next in line, naming them otherwise.
            const options = candidate === next ? {} : { successor: candidate };
            const c: Command = { type: 'removeContact', email: main as string, role: r, ...options };
            let after: License | undefined;
            try {
              after = applyCommand(l, c, a, policy, NOW)?.license;
            } catch {
              after = undefined;
            }
            expect(permissions.successors[r][candidate]?.allowed).toBe(after !== undefined);
            if (after) expect(after[r][0]).toBe(candidate);
          }
          expect(Object.keys(permissions.losesAccess[r])).toEqual(l[r]);
          for (const target of l[r]) {
            const c: Command = { type: 'removeContact', email: target, role: r };
            const decision = checkCommand(l, c, a, policy);
            const loses = permissions.losesAccess[r][target];
            if (decision.allowed) {
              const after = applyCommand(l, c, a, policy, NOW)?.license as License;
              expect(loses).toBe(!policy.canView({ license: after, actor: a }));
            } else if (decision.reason === 'LAST_CONTACT') {
              expect(loses).toBe(false);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('warns only where the policy takes the access away', () => {
    const cy = { email: 'cy@globex.test' };
    // Cy holds both roles: removing one keeps the license visible; Di holds one only.
    expect(permissionsFor(base, cy, defaultPolicy).losesAccess.billing['cy@globex.test']).toBe(false);
    const di = { email: 'di@gmail.com' };
    expect(permissionsFor(base, di, defaultPolicy).losesAccess.technical['di@gmail.com']).toBe(true);
    // An acme.test admin keeps seeing it as a non-contact.
    const ann = { email: 'ann@acme.test' };
    expect(permissionsFor(base, ann, defaultPolicy).losesAccess.technical['ann@acme.test']).toBe(true);
    expect(permissionsFor(base, ann, adminPolicy).losesAccess.technical['ann@acme.test']).toBe(false);
  });

  it('offers as successors those the policy lets take over', () => {
    const ann = { email: 'ann@acme.test' };
    const own = permissionsFor(base, ann, defaultPolicy).successors.technical;
    // Di is next in line (no one named, R2); Cy is with another company: that needs consent (R13).
    expect(own['di@gmail.com']).toEqual({ allowed: true });
    expect(own['cy@globex.test']).toMatchObject({ allowed: false, reason: 'NEEDS_CONSENT' });
    expect(permissionsFor(base, ann, openPolicy).successors.technical['cy@globex.test']).toEqual({
      allowed: true,
    });
    expect(permissionsFor(base, ann, adminPolicy).successors.technical['cy@globex.test']).toMatchObject({
      allowed: false,
      reason: 'NO_NAMING',
    });
    // Only the main contact (or staff) removes the main contact: nobody is offered to Di.
    const di = permissionsFor(base, { email: 'di@gmail.com' }, defaultPolicy).successors.technical;
    expect(Object.values(di).every((d) => !d.allowed)).toBe(true);
  });
});
