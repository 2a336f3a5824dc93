import type { Command, ContactsState, License, Role } from '@license-contacts/core';
import {
  applyChanges,
  applyCommand,
  createLicenseState,
  diffContacts,
  LicenseContactsError,
  openPolicy,
} from '@license-contacts/core';
import { licenseWithContacts } from '@license-contacts/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const staff = { email: 'ops@vendor.test', staff: true };
const AT = '2026-03-01T12:00:00.000Z';
const lists = (state: ContactsState) => ({
  contacts: state.contacts,
  technical: state.technical,
  billing: state.billing,
});

function base(): License {
  return createLicenseState(
    {
      id: 'SEN-1',
      product: 'Jira',
      technical: { email: 'ann@acme.test', name: 'Ann' },
      billing: { email: 'ben@acme.test', name: 'Ben' },
      contacts: [
        { email: 'cat@acme.test', name: 'Cat', roles: ['technical', 'billing'] },
        { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] },
      ],
    },
    AT,
  ).license;
}

const run = (license: License, command: Command) => applyCommand(license, command, staff, openPolicy, AT);

describe('diffContacts', () => {
  it('lists every contact of a new license, in contact order, with their places', () => {
    const license = base();
    expect(diffContacts(null, license)).toEqual([
      { email: 'ann@acme.test', name: 'Ann', before: null, after: { roles: ['technical'], technical: 0 } },
      { email: 'ben@acme.test', name: 'Ben', before: null, after: { roles: ['billing'], billing: 0 } },
      {
        email: 'cat@acme.test',
        name: 'Cat',
        before: null,
        after: { roles: ['technical', 'billing'], technical: 1, billing: 1 },
      },
      { email: 'dan@acme.test', name: 'Dan', before: null, after: { roles: ['technical'], technical: 2 } },
    ]);
  });

  it('lists only the person added, not the others of a large license', () => {
    const license = licenseWithContacts('SEN-BIG', 1000);
    const added = run(license, {
      type: 'addContact',
      input: { email: 'new@acme.test', name: 'New', roles: ['billing'] },
    });
    expect(added?.entry.changes).toEqual([
      { email: 'new@acme.test', name: 'New', before: null, after: { roles: ['billing'], billing: 1 } },
    ]);
  });

  it('lists the person promoted and the former main, not those who only shifted', () => {
    const license = base(); // technical: ann, cat, dan
    const promoted = run(license, { type: 'setMain', role: 'technical', email: 'dan@acme.test' });
    expect(promoted?.license.technical).toEqual(['dan@acme.test', 'ann@acme.test', 'cat@acme.test']);
    expect(promoted?.entry.changes.map((c) => [c.email, c.before?.technical, c.after?.technical])).toEqual([
      ['ann@acme.test', 0, 1],
      ['dan@acme.test', 2, 0],
    ]);
  });

  it('lists the person removed and the one who became main in their place', () => {
    const removed = run(base(), { type: 'removeContact', email: 'ann@acme.test' });
    expect(removed?.entry.changes).toEqual([
      { email: 'ann@acme.test', name: 'Ann', before: { roles: ['technical'], technical: 0 }, after: null },
      {
        email: 'cat@acme.test',
        name: 'Cat',
        before: { roles: ['technical', 'billing'], technical: 1, billing: 1 },
        after: { roles: ['technical', 'billing'], technical: 0, billing: 1 },
      },
    ]);
  });

  it('lists a replaced person and their successor, who joins at the end of the contacts', () => {
    const replaced = run(base(), {
      type: 'replaceContact',
      email: 'cat@acme.test',
      successor: { email: 'eve@acme.test', name: 'Eve' },
    });
    expect(replaced?.license.contacts.map((c) => c.email)).toEqual([
      'ann@acme.test',
      'ben@acme.test',
      'dan@acme.test',
      'eve@acme.test',
    ]);
    expect(replaced?.entry.changes.map((c) => [c.email, c.before, c.after])).toEqual([
      ['cat@acme.test', { roles: ['technical', 'billing'], technical: 1, billing: 1 }, null],
      ['eve@acme.test', null, { roles: ['technical', 'billing'], technical: 1, billing: 1 }],
    ]);
  });

  it('is empty when nothing changed', () => {
    const license = base();
    expect(diffContacts(license, license)).toEqual([]);
  });
});

describe('applyChanges', () => {
  it('rebuilds a license from nothing and its creation items', () => {
    const license = base();
    expect(applyChanges(null, diffContacts(null, license))).toEqual(lists(license));
  });

  const EMAILS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal'].map((n) => `${n}@acme.test`);
  const email = fc.constantFrom(...EMAILS);
  const role = fc.constantFrom<Role>('technical', 'billing');
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.tuple(email, fc.subarray<Role>(['technical', 'billing'], { minLength: 1 })).map(([e, roles]) => ({
      type: 'addContact' as const,
      input: { email: e, name: e.slice(0, 3), roles },
    })),
    fc.tuple(role, email).map(([r, e]) => ({ type: 'setMain' as const, role: r, email: e })),
    fc
      .tuple(email, fc.option(role, { nil: undefined }), fc.option(email, { nil: undefined }))
      .map(([e, r, s]) => ({
        type: 'removeContact' as const,
        email: e,
        ...(r === undefined ? {} : { role: r }),
        ...(s === undefined ? {} : { successor: s }),
      })),
    fc.tuple(email, email).map(([e, s]) => ({
      type: 'replaceContact' as const,
      email: e,
      successor: { email: s, name: s.slice(0, 3) },
    })),
  );

  it('rebuilds every state of any sequence of commands from the items alone', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let license = base();
        let rebuilt: ContactsState = applyChanges(null, diffContacts(null, license));
        for (const next of commands) {
          let applied: ReturnType<typeof run>;
          try {
            applied = run(license, next);
          } catch (error) {
            if (error instanceof LicenseContactsError) continue;
            throw error;
          }
          if (!applied) continue;
          rebuilt = applyChanges(rebuilt, applied.entry.changes);
          // Rows shared by both states (structural sharing) are a shortcut, not a difference.
          expect(
            diffContacts(structuredClone(lists(license)), structuredClone(lists(applied.license))),
          ).toEqual(applied.entry.changes);
          license = applied.license;
          expect(rebuilt).toEqual(lists(license));
          // Listed people are exactly those whose roles, place or main position changed.
          for (const change of applied.entry.changes) {
            expect(change.before !== null || change.after !== null).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('diffContacts on any two states', () => {
  const EMAILS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal'].map((n) => `${n}@acme.test`);
  const state: fc.Arbitrary<ContactsState> = fc
    .uniqueArray(
      fc.record({
        email: fc.constantFrom(...EMAILS),
        name: fc.constantFrom('Ann', 'Bea'),
        roles: fc.subarray<Role>(['technical', 'billing'], { minLength: 1 }),
      }),
      { selector: (contact) => contact.email, maxLength: EMAILS.length },
    )
    .chain((contacts) => {
      const holders = (role: Role) => contacts.filter((c) => c.roles.includes(role)).map((c) => c.email);
      const order = (list: string[]) => fc.shuffledSubarray(list, { minLength: list.length });
      return fc
        .tuple(order(holders('technical')), order(holders('billing')))
        .map(([technical, billing]) => ({ contacts, technical, billing }));
    });
  /**
   * Two states, the second's contacts in the order a change leaves them (those who stay in their
   * order, then newcomers); with `share`, its rows equal to the first's are the same objects, as
   * structural sharing leaves them.
   */
  const pair = (share: boolean): fc.Arbitrary<[ContactsState, ContactsState]> =>
    fc.tuple(state, state).map(([a, b]) => {
      const rank = (email: string) => {
        const i = a.contacts.findIndex((c) => c.email === email);
        return i < 0 ? a.contacts.length : i;
      };
      const contacts = [...b.contacts]
        .sort((x, y) => rank(x.email) - rank(y.email))
        .map((contact) => {
          const old = a.contacts.find((c) => c.email === contact.email);
          const same = old && old.name === contact.name && old.roles.join() === contact.roles.join();
          return share && same ? old : contact;
        });
      return [a, { ...b, contacts }];
    });
  /** Length of a longest run of `after`'s items (those also in `before`) kept in their old order. */
  const keptInOrder = (before: string[], after: string[]) => {
    const old = after.filter((e) => before.includes(e)).map((e) => before.indexOf(e));
    const best = old.map(() => 1);
    for (let i = 0; i < old.length; i++) {
      for (let j = 0; j < i; j++) {
        if ((old[j] as number) < (old[i] as number))
          best[i] = Math.max(best[i] as number, (best[j] as number) + 1);
      }
    }
    return { common: old.length, kept: Math.max(0, ...best) };
  };

  it('lists what applyChanges needs to rebuild the second, and no more people than must be', () => {
    fc.assert(
      fc.property(fc.oneof(pair(true), pair(false)), ([a, b]) => {
        const changes = diffContacts(a, b);
        expect(applyChanges(a, changes)).toEqual(lists(b));
        expect(diffContacts(structuredClone(a), structuredClone(b))).toEqual(changes);
        // Who must be listed: who joined, left, or changed name or roles; per role, who moved
        // against a longest run kept in order, and the former and new main.
        let bound = 0;
        for (const email of new Set([...a.contacts, ...b.contacts].map((c) => c.email))) {
          const [was, is] = [a, b].map((s) => s.contacts.find((c) => c.email === email));
          if (!was || !is || was.name !== is.name || was.roles.join() !== is.roles.join()) bound += 1;
        }
        for (const role of ['technical', 'billing'] as const) {
          const { common, kept } = keptInOrder(a[role], b[role]);
          bound += common - kept + (a[role][0] === b[role][0] ? 0 : 2);
        }
        expect(changes.length).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 500 },
    );
  });
});
