import type { AuditEntry, Contact, ContactChange, ContactPosition, ContactsState, Role } from './types';
import { ROLES } from './types';

const EMPTY: ContactsState = Object.freeze({
  contacts: Object.freeze([]) as unknown as Contact[],
  technical: Object.freeze([]) as unknown as string[],
  billing: Object.freeze([]) as unknown as string[],
});

/** Where each person stands in the role lists of a state. */
export function positionsOf(state: ContactsState): Map<string, ContactPosition> {
  const positions = new Map<string, ContactPosition>();
  for (const contact of state.contacts) positions.set(contact.email, { roles: [...contact.roles] });
  for (const role of ROLES) {
    state[role].forEach((email, index) => {
      const position = positions.get(email);
      if (position) position[role] = index;
    });
  }
  return positions;
}

/**
 * The items of `after` (those also in `before`) that must be listed as moved so that every other one
 * keeps its order relative to the rest: the complement of a longest increasing run of their old places
 * (patience sorting, O(n log n)).
 */
function movedWithin(before: readonly string[], after: readonly string[]): Set<string> {
  const oldIndex = new Map(before.map((email, index) => [email, index]));
  const common = after.filter((email) => oldIndex.has(email));
  const tails: number[] = []; // tails[k]: index in `common` ending the best run of length k + 1
  const previous: number[] = new Array(common.length).fill(-1);
  for (let i = 0; i < common.length; i++) {
    const value = oldIndex.get(common[i] as string) as number;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((oldIndex.get(common[tails[mid] as number] as string) as number) < value) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[i] = tails[low - 1] as number;
    tails[low] = i;
  }
  const kept = new Set<string>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i] as number) kept.add(common[i] as string);
  return new Set(common.filter((email) => !kept.has(email)));
}

function sameRoles(a: ContactPosition | undefined, b: ContactPosition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.roles.length === b.roles.length && a.roles.every((role, i) => b.roles[i] === role);
}

/**
 * What a change did to the contacts (R15): one item per person whose roles changed, who moved in a
 * role's list relative to the others, who gained or lost a main position, or whose name changed.
 * Items follow the contact order: people of `before` first, then newcomers in the order they joined.
 * Everyone not listed kept their roles and their order relative to each other, so `applyChanges`
 * rebuilds `after` from `before` and the items exactly.
 */
export function diffContacts(before: ContactsState | null, after: ContactsState): ContactChange[] {
  const from = before ?? EMPTY;
  const old = positionsOf(from);
  const next = positionsOf(after);
  const touched = new Set<string>();
  for (const role of ROLES) {
    for (const email of movedWithin(from[role], after[role])) touched.add(email);
    const [oldMain] = from[role];
    const [newMain] = after[role];
    if (oldMain !== newMain) {
      if (oldMain !== undefined) touched.add(oldMain);
      if (newMain !== undefined) touched.add(newMain);
    }
  }
  const changes: ContactChange[] = [];
  const names = new Map(after.contacts.map((contact) => [contact.email, contact.name]));
  for (const contact of from.contacts) {
    const was = old.get(contact.email);
    const is = next.get(contact.email);
    const renamed = is !== undefined && names.get(contact.email) !== contact.name;
    if (!touched.has(contact.email) && !renamed && sameRoles(was, is)) continue;
    changes.push({
      email: contact.email,
      name: names.get(contact.email) ?? contact.name,
      before: was ?? null,
      after: is ?? null,
    });
  }
  for (const contact of after.contacts) {
    if (old.has(contact.email)) continue;
    changes.push({
      email: contact.email,
      name: contact.name,
      before: null,
      after: next.get(contact.email) ?? null,
    });
  }
  return changes;
}

/**
 * The contacts after a change, rebuilt from the contacts before it and the change's items (the inverse
 * of `diffContacts`). People who left drop out, newcomers join at the end, and each role's list puts
 * the listed people back at their new places among the others, who keep their order.
 */
export function applyChanges(before: ContactsState | null, changes: readonly ContactChange[]): ContactsState {
  const from = before ?? EMPTY;
  const listed = new Map(changes.map((change) => [change.email, change]));
  const contacts: Contact[] = [];
  for (const contact of from.contacts) {
    const change = listed.get(contact.email);
    if (change === undefined) contacts.push(contact);
    else if (change.after !== null) {
      contacts.push({ email: contact.email, name: change.name, roles: [...change.after.roles] });
    }
  }
  for (const change of changes) {
    if (change.before === null && change.after !== null) {
      contacts.push({ email: change.email, name: change.name, roles: [...change.after.roles] });
    }
  }
  const lists = {} as Record<Role, string[]>;
  for (const role of ROLES) {
    const list = from[role].filter((email) => !listed.has(email));
    const placed = changes
      .filter((change) => change.after?.[role] !== undefined)
      .sort((a, b) => (a.after?.[role] as number) - (b.after?.[role] as number));
    for (const change of placed) list.splice(change.after?.[role] as number, 0, change.email);
    lists[role] = list;
  }
  return { contacts, technical: lists.technical, billing: lists.billing };
}

/** The contacts as they were after the last of `entries` (one license's, oldest first, from its creation). */
export function replayEntries(entries: Iterable<Pick<AuditEntry, 'changes'>>): ContactsState {
  let state: ContactsState | null = null;
  for (const entry of entries) state = applyChanges(state, entry.changes);
  return state ?? { contacts: [], technical: [], billing: [] };
}
