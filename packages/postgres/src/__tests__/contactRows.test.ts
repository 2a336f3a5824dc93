import type { Contact, Role } from '@license-contacts/core';
import { applyCommand, defaultPolicy, ROLES } from '@license-contacts/core';
import { licenseWithContacts } from '@license-contacts/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContactLists, ContactRow } from '../contactRows';
import { rowChanges, rowsOf } from '../contactRows';

/** The rows to delete, insert and update, found by comparing every row of both versions by key. */
function byEveryRow(before: ContactLists, after: ContactLists) {
  const key = (row: ContactRow) => `${row.role} ${row.email}`;
  const old = new Map(rowsOf(before).map((row) => [key(row), row]));
  const rows = rowsOf(after);
  const now = new Set(rows.map(key));
  return {
    deleted: [...old.values()]
      .filter((row) => !now.has(key(row)))
      .map(({ role, email }) => ({ role, email })),
    inserted: rows.filter((row) => !old.has(key(row))),
    changed: rows.filter((row) => {
      const was = old.get(key(row));
      return (
        was !== undefined &&
        (was.position !== row.position || was.joined !== row.joined || was.name !== row.name)
      );
    }),
  };
}

function expectSameChanges(before: ContactLists, after: ContactLists): void {
  const found = rowChanges(before, after);
  expect({ ...found, deleted: found.deleted.map(({ role, email }) => ({ role, email })) }).toEqual(
    byEveryRow(before, after),
  );
}

const EMAILS = ['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test', 'e@x.test', 'f@x.test', 'g@x.test'];

/** Any contact lists over a few people: role lists are any subsets, in any order, of the contacts. */
const lists: fc.Arbitrary<ContactLists> = fc
  .uniqueArray(fc.constantFrom(...EMAILS), { maxLength: EMAILS.length })
  .chain((emails) =>
    fc.record({
      contacts: fc.tuple(
        ...emails.map((email) => fc.constantFrom('Ann', 'Bo').map((name) => ({ email, name }))),
      ),
      technical: fc.shuffledSubarray(emails),
      billing: fc.shuffledSubarray(emails),
    }),
  )
  .map(({ contacts, technical, billing }) => ({
    contacts: contacts.map(
      (c): Contact => ({
        ...c,
        roles: ROLES.filter((role: Role) => (role === 'technical' ? technical : billing).includes(c.email)),
      }),
    ),
    technical,
    billing,
  }));

/** A version made from `before` by a few edits, sharing what it does not change, as commands do. */
function edited(before: ContactLists, edits: number[]): ContactLists {
  const next = {
    contacts: [...before.contacts],
    technical: [...before.technical],
    billing: [...before.billing],
  };
  for (const edit of edits) {
    const i = edit % Math.max(1, next.contacts.length);
    const person = next.contacts[i];
    switch (edit % 5) {
      case 0: {
        const email = EMAILS.find((e) => !next.contacts.some((c) => c.email === e));
        if (email) {
          next.contacts.push({ email, name: 'New', roles: ['technical'] });
          next.technical.push(email);
        }
        break;
      }
      case 1:
        if (person) {
          next.contacts.splice(i, 1);
          next.technical = next.technical.filter((e) => e !== person.email);
          next.billing = next.billing.filter((e) => e !== person.email);
        }
        break;
      case 2:
        if (person && next.technical.includes(person.email)) {
          next.technical = [person.email, ...next.technical.filter((e) => e !== person.email)];
        }
        break;
      case 3:
        if (person) next.contacts[i] = { ...person, name: `${person.name}!` };
        break;
      default:
        if (person && !next.billing.includes(person.email)) next.billing.push(person.email);
    }
  }
  return next;
}

describe('rowChanges', () => {
  it('finds the rows any two versions differ in, as comparing every row would', () => {
    fc.assert(
      fc.property(lists, lists, (before, after) => expectSameChanges(before, after)),
      { numRuns: 2000 },
    );
  });

  it('finds them for a version edited from another, sharing its unchanged parts', () => {
    fc.assert(
      fc.property(lists, fc.array(fc.nat(60), { maxLength: 4 }), (before, edits) =>
        expectSameChanges(before, edited(before, edits)),
      ),
      { numRuns: 2000 },
    );
  });

  it('finds them for what the core commands make of a long license', () => {
    const start = licenseWithContacts('SEN-ROWS', 40, 10);
    const actor = { email: start.technical[0] as string };
    const commands = [
      { type: 'addContact', input: { email: 'new@acme.test', name: 'New', roles: ['technical', 'billing'] } },
      { type: 'setMain', role: 'technical', email: start.technical[5] },
      { type: 'removeContact', email: start.technical[7] },
      { type: 'removeContact', email: start.technical[0], role: 'technical', successor: start.technical[9] },
      {
        type: 'replaceContact',
        email: start.technical[3],
        successor: { email: 'next@acme.test', name: 'Next' },
      },
    ] as const;
    for (const command of commands) {
      const applied = applyCommand(start, command as never, actor, defaultPolicy, '2026-12-02T00:00:00.000Z');
      expect(applied).not.toBeNull();
      expectSameChanges(start, applied?.license as ContactLists);
    }
  });

  it('compares an appended person without looking anybody else up', () => {
    const start = licenseWithContacts('SEN-ROWS', 200, 0);
    const email = 'new@acme.test';
    const after = {
      contacts: [...start.contacts, { email, name: 'New', roles: ['technical'] as Role[] }],
      technical: [...start.technical, email],
      billing: start.billing,
    };
    expect(rowChanges(start, after)).toEqual({
      deleted: [],
      inserted: [{ role: 'technical', email, position: 200, joined: start.contacts.length, name: 'New' }],
      changed: [],
    });
  });
});
