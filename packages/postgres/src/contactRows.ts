import type { License, Role } from '@license-contacts/core';
import { ROLES } from '@license-contacts/core';

/** One contact row as stored: a person in one role's list. */
export interface ContactRow {
  role: Role;
  email: string;
  /** Place in the role's list; 0 is the main contact. */
  position: number;
  /** The person's place in the license's contact list. */
  joined: number;
  name: string;
}

/** The parts of a license its contact rows are made of. */
export type ContactLists = Pick<License, 'contacts' | Role>;

/** The contact rows of a license, one per person per role. */
export function rowsOf(license: ContactLists): ContactRow[] {
  const people = new Map<string, { joined: number; name: string }>();
  const contacts = license.contacts;
  for (let joined = 0; joined < contacts.length; joined++) {
    const contact = contacts[joined] as License['contacts'][number];
    people.set(contact.email, { joined, name: contact.name });
  }
  const rows: ContactRow[] = [];
  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r] as Role;
    const list = license[role];
    for (let position = 0; position < list.length; position++) {
      const email = list[position] as string;
      const person = people.get(email);
      rows.push({ role, email, position, joined: person?.joined ?? 0, name: person?.name ?? email });
    }
  }
  return rows;
}

/** The rows a write changes: rows to delete (by role and email), to insert, and to update. */
export interface RowChanges {
  deleted: ContactRow[];
  inserted: ContactRow[];
  changed: ContactRow[];
}

type Person = { joined: number; name: string };

/** The people of `contacts` from index `from` on, by email, with their place and name. */
function peopleFrom(contacts: License['contacts'], from: number): Map<string, Person> {
  const people = new Map<string, Person>();
  for (let i = from; i < contacts.length; i++) {
    const contact = contacts[i] as License['contacts'][number];
    people.set(contact.email, { joined: i, name: contact.name });
  }
  return people;
}

/**
 * The contact rows that differ between two versions of a license, as `rowsOf` of each would show.
 * Versions share most of their lists, so each list's common beginning is compared in place and only the
 * rest is looked up by email: adding a person to a long list compares references, not rows.
 */
export function rowChanges(before: ContactLists, after: ContactLists): RowChanges {
  const changes: RowChanges = { deleted: [], inserted: [], changed: [] };
  const a = before.contacts;
  const b = after.contacts;
  const shorter = Math.min(a.length, b.length);
  let same = 0;
  while (same < shorter) {
    const x = a[same] as License['contacts'][number];
    const y = b[same] as License['contacts'][number];
    if (x !== y && (x.email !== y.email || x.name !== y.name)) break;
    same++;
  }
  // People before `same` keep their place and name; after it they may have moved or been renamed.
  const beforeRest = peopleFrom(a, same);
  const afterRest = peopleFrom(b, same);
  /** People (in both versions) whose rows change in every role for their place or name alone. */
  const moved = new Set<string>();
  for (const [email, person] of afterRest) {
    const was = beforeRest.get(email);
    if (was && (was.joined !== person.joined || was.name !== person.name)) moved.add(email);
  }
  let everyone: Map<string, Person> | undefined;
  const personAfter = (email: string): Person => {
    const person = afterRest.get(email);
    if (person) return person;
    everyone ??= peopleFrom(b, 0);
    return everyone.get(email) ?? { joined: 0, name: email };
  };
  const row = (role: Role, email: string, position: number): ContactRow => {
    const person = personAfter(email);
    return { role, email, position, joined: person.joined, name: person.name };
  };

  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r] as Role;
    const x = before[role];
    const y = after[role];
    let k = 0;
    const common = Math.min(x.length, y.length);
    while (k < common && x[k] === y[k]) k++;
    if (moved.size > 0) {
      for (let i = 0; i < k; i++) {
        const email = y[i] as string;
        if (moved.has(email)) changes.changed.push(row(role, email, i));
      }
    }
    if (k === x.length && k === y.length) continue;
    const was = new Map<string, number>();
    for (let i = k; i < x.length; i++) was.set(x[i] as string, i);
    for (let i = k; i < y.length; i++) {
      const email = y[i] as string;
      const position = was.get(email);
      if (position === undefined) changes.inserted.push(row(role, email, i));
      else {
        was.delete(email);
        if (position !== i || moved.has(email)) changes.changed.push(row(role, email, i));
      }
    }
    // What is left was in the role before and is not now (a delete needs only role and email).
    for (const [email, position] of was) {
      const person = beforeRest.get(email);
      changes.deleted.push({
        role,
        email,
        position,
        joined: person?.joined ?? 0,
        name: person?.name ?? email,
      });
    }
  }
  return changes;
}
