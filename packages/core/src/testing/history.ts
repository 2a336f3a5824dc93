import { expect } from 'vitest';
import { applyChanges, positionsOf } from '../domain/changes';
import type { AuditEntry, ContactsState, License } from '../domain/types';

/**
 * Asserts that one license's entries (oldest first, from its creation) form an unbroken chain: each
 * change's `before` is where the previous entries left that person, its `after` is where they are
 * once it is applied, versions follow one another, and the last state is `license` (R9, R10).
 */
export function expectUnbrokenHistory(entries: readonly AuditEntry[], license: License | null): void {
  let state: ContactsState | null = null;
  entries.forEach((entry, i) => {
    expect(entry.version, `entry ${entry.id}`).toBe(i + 1);
    const was = state === null ? new Map() : positionsOf(state);
    for (const change of entry.changes) {
      expect(change.before, `${entry.id}: ${change.email} before`).toEqual(was.get(change.email) ?? null);
    }
    state = applyChanges(state, entry.changes);
    const is = positionsOf(state);
    for (const change of entry.changes) {
      expect(change.after, `${entry.id}: ${change.email} after`).toEqual(is.get(change.email) ?? null);
    }
  });
  expect(license?.version).toBe(entries.at(-1)?.version);
  const last = state as ContactsState | null;
  expect({ contacts: last?.contacts, technical: last?.technical, billing: last?.billing }).toEqual({
    contacts: license?.contacts,
    technical: license?.technical,
    billing: license?.billing,
  });
}
