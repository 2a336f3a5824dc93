import type { AuditEntry, Contact, ContactChange, ContactPosition, ContactsState, Role } from './types';
import { ROLE_LIST as ROLES } from './types';

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
 * (patience sorting, O(n log n)). The stretches compared are short (what lies between the unchanged
 * head and tail), so a few places are found by `indexOf`, more through a map.
 */
function movedWithin(before: readonly string[], after: readonly string[]): string[] {
  if (before.length === 0 || after.length === 0) return [];
  const map = before.length > 16 ? new Map(before.map((email, index) => [email, index])) : undefined;
  const common: string[] = [];
  const places: number[] = []; // places[i]: the old index of common[i]
  for (let i = 0; i < after.length; i++) {
    const email = after[i] as string;
    const place = map ? (map.get(email) ?? -1) : before.indexOf(email);
    if (place < 0) continue;
    common.push(email);
    places.push(place);
  }
  const tails: number[] = []; // tails[k]: index in `common` ending the best run of length k + 1
  const previous: number[] = [];
  for (let i = 0; i < common.length; i++) {
    const value = places[i] as number;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((places[tails[mid] as number] as number) < value) low = mid + 1;
      else high = mid;
    }
    previous.push(low > 0 ? (tails[low - 1] as number) : -1);
    tails[low] = i;
  }
  const kept: boolean[] = new Array(common.length).fill(false);
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i] as number) kept[i] = true;
  const moved: string[] = [];
  for (let i = 0; i < common.length; i++) if (!kept[i]) moved.push(common[i] as string);
  return moved;
}

function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same person with the same name and roles (an untouched row is usually the very same object). */
function sameRecord(a: Contact, b: Contact): boolean {
  return a === b || (a.email === b.email && a.name === b.name && sameRoles(a.roles, b.roles));
}

/**
 * Lengths of the longest common head and tail of two lists (not overlapping), by `same`: what lies
 * there is unchanged, so only the stretch between needs a closer look.
 */
function commonEnds<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): [number, number] {
  const shorter = Math.min(a.length, b.length);
  let head = 0;
  while (head < shorter && same(a[head] as T, b[head] as T)) head++;
  let tail = 0;
  while (tail < shorter - head && same(a[a.length - 1 - tail] as T, b[b.length - 1 - tail] as T)) tail++;
  return [head, tail];
}

const sameEmail = (a: string, b: string) => a === b;

/** A person's index in a list, by `indexOf` for a few look-ups and by a map built once for many. */
function indexer(list: readonly string[]): (email: string) => number {
  let map: Map<string, number> | undefined;
  let uses = 0;
  return (email) => {
    if (!map && ++uses > 8) map = new Map(list.map((e, i) => [e, i]));
    return map ? (map.get(email) ?? -1) : list.indexOf(email);
  };
}

/**
 * Where one person stands in a state: `positionsOf(state).get(contact.email)`, for one person. Only
 * the lists of the roles they hold are searched: a person is in a role's list exactly when they hold it.
 */
function positionIn(contact: Contact, find: Record<Role, (email: string) => number>): ContactPosition {
  // A frozen list (a committed license's) is shared as it is: nothing can change it, in either.
  const roles = Object.isFrozen(contact.roles) ? contact.roles : [...contact.roles];
  const technical = roles.includes('technical') ? find.technical(contact.email) : -1;
  const billing = roles.includes('billing') ? find.billing(contact.email) : -1;
  // Literals of their final shape: adding a key to an object afterwards costs V8 a new shape.
  if (technical >= 0) return billing >= 0 ? { roles, technical, billing } : { roles, technical };
  return billing >= 0 ? { roles, billing } : { roles };
}

/**
 * What a change did to the contacts (R15): one item per person whose roles changed, who moved in a
 * role's list relative to the others, who gained or lost a main position, or whose name changed.
 * Items follow the contact order: people of `before` first, then newcomers in the order they joined.
 * Everyone not listed kept their roles and their order relative to each other, so `applyChanges`
 * rebuilds `after` from `before` and the items exactly. The unchanged head and tail of every list
 * are skipped, so a change to one person of a large license costs little more than that person.
 */
export function diffContacts(before: ContactsState | null, after: ContactsState): ContactChange[] {
  const from = before ?? EMPTY;
  const touched = new Set<string>();
  for (const role of ROLES) {
    // The very same list (a change elsewhere shares it) is unchanged through and through.
    if (from[role] === after[role]) continue;
    // Plain copies: V8 reads a frozen list (every license's) element by element several times slower.
    const listBefore = [...from[role]];
    const listAfter = [...after[role]];
    const [head, tail] = commonEnds(listBefore, listAfter, sameEmail);
    // An unchanged head and tail are kept in any longest run, so the moves lie between them.
    const moved = movedWithin(
      listBefore.slice(head, listBefore.length - tail),
      listAfter.slice(head, listAfter.length - tail),
    );
    for (const email of moved) touched.add(email);
    const oldMain = listBefore[0];
    const newMain = listAfter[0];
    if (oldMain !== newMain) {
      if (oldMain !== undefined) touched.add(oldMain);
      if (newMain !== undefined) touched.add(newMain);
    }
  }
  // Rows of the unchanged head and tail of the contacts are there before and after with the same
  // name and roles: listed only when touched. The rows between are matched by email. The same list
  // (a change that only moved people) is all head: its items are the touched, found in contact order.
  const same = from.contacts === after.contacts;
  const contactsBefore = [...from.contacts]; // plain copies, as above
  const contactsAfter = same ? contactsBefore : [...after.contacts];
  const [head, tail] = same
    ? [contactsBefore.length, 0]
    : commonEnds(contactsBefore, contactsAfter, sameRecord);
  const middle = new Map<string, Contact>();
  for (let i = head; i < contactsAfter.length - tail; i++) {
    const contact = contactsAfter[i] as Contact;
    middle.set(contact.email, contact);
  }
  const was = { technical: indexer(from.technical), billing: indexer(from.billing) };
  const is = { technical: indexer(after.technical), billing: indexer(after.billing) };
  const changes: ContactChange[] = [];
  const end = contactsBefore.length - tail;
  for (let i = 0; i < contactsBefore.length; i++) {
    // Only moves, all of them listed: nothing further to find.
    if (same && changes.length === touched.size) break;
    const contact = contactsBefore[i] as Contact;
    const inMiddle = i >= head && i < end;
    const now = inMiddle ? middle.get(contact.email) : contact;
    const changed = inMiddle && (now === undefined || !sameRecord(contact, now));
    if (!changed && !touched.has(contact.email)) continue;
    changes.push({
      email: contact.email,
      name: now?.name ?? contact.name,
      before: positionIn(contact, was),
      after: now === undefined ? null : positionIn(now, is),
    });
  }
  // What is left of the middle rows of `after` joined with this change.
  for (let i = head; i < end; i++) middle.delete((contactsBefore[i] as Contact).email);
  for (const contact of middle.values()) {
    changes.push({ email: contact.email, name: contact.name, before: null, after: positionIn(contact, is) });
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
  // Index loops over plain copies: V8 reads frozen arrays (a license's lists) slowly otherwise.
  const items = [...changes];
  const listed = new Map<string, ContactChange>();
  // Only newcomers (the common change): everybody else stays as and where they were.
  let joinsOnly = true;
  for (let i = 0; i < items.length; i++) {
    const change = items[i] as ContactChange;
    listed.set(change.email, change);
    if (change.before !== null) joinsOnly = false;
  }
  let contacts: Contact[];
  if (joinsOnly) contacts = [...from.contacts];
  else {
    const source = [...from.contacts];
    contacts = [];
    for (let i = 0; i < source.length; i++) {
      const contact = source[i] as Contact;
      const change = listed.get(contact.email);
      if (change === undefined) contacts.push(contact);
      else if (change.after !== null) {
        contacts.push({ email: contact.email, name: change.name, roles: [...change.after.roles] });
      }
    }
  }
  for (let i = 0; i < items.length; i++) {
    const change = items[i] as ContactChange;
    if (change.before === null && change.after !== null) {
      contacts.push({ email: change.email, name: change.name, roles: [...change.after.roles] });
    }
  }
  const lists = {} as Record<Role, string[]>;
  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r] as Role;
    let list: string[];
    if (joinsOnly) list = [...from[role]];
    else {
      const emails = [...from[role]];
      list = [];
      for (let i = 0; i < emails.length; i++) {
        const email = emails[i] as string;
        if (!listed.has(email)) list.push(email);
      }
    }
    const placed: ContactChange[] = [];
    for (let i = 0; i < items.length; i++) {
      const change = items[i] as ContactChange;
      if (change.after?.[role] !== undefined) placed.push(change);
    }
    placed.sort((a, b) => (a.after?.[role] as number) - (b.after?.[role] as number));
    for (let i = 0; i < placed.length; i++) {
      const change = placed[i] as ContactChange;
      list.splice(change.after?.[role] as number, 0, change.email);
    }
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
