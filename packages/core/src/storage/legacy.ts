import { diffContacts } from '../domain/changes';
import type { ContactsState, NewAuditEntry } from '../domain/types';

/** An audit entry as the first version of the library stored it: two whole copies of the contacts. */
export interface LegacyAuditEntry extends Omit<NewAuditEntry, 'changes'> {
  before: ContactsState | null;
  after: ContactsState;
}

/**
 * An entry in today's shape: one written by the first version (with `before` and `after`) becomes its
 * `changes`; any other is returned as it is. For adapters reading data written before the change feed.
 */
export function upgradeEntry(entry: NewAuditEntry | LegacyAuditEntry): NewAuditEntry {
  if (Array.isArray((entry as NewAuditEntry).changes)) return entry as NewAuditEntry;
  const { before, after, ...rest } = entry as LegacyAuditEntry;
  return { ...rest, changes: diffContacts(before, after) };
}
