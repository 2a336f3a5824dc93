import type { AuditEntry, Role } from '@license-contacts/core';
import { ROLES } from '@license-contacts/core';

/** A person a history sentence names. */
export interface HistoryPerson {
  email: string;
  name: string;
}

/** A person and some roles: joined with them, left them, gained or lost them. */
export interface RoleFact {
  person: HistoryPerson;
  roles: Role[];
}

/** A person and a role whose main position they took or gave up. */
export interface MainFact {
  person: HistoryPerson;
  role: Role;
}

/**
 * What an audit entry says, as a sentence needs it: who acted, on whom, and from its `changes` who
 * joined, left, gained or lost which role or main position. Sentences of actions the kit does not know
 * yet are built from these alone.
 */
export interface HistoryFacts {
  action: string;
  /** Who acted; `null` for system-level changes such as creating the license. */
  actor: HistoryPerson | null;
  staff: boolean;
  /** The actor acted on themselves (`subject` is the actor). */
  self: boolean;
  /** The contact the command was about, when it names one. */
  subject?: HistoryPerson;
  /** The contact who replaced or succeeded `subject`, when there was one. */
  successor?: HistoryPerson;
  /** The role the command was about, when it names one. */
  role?: Role;
  /** People who joined the license, with their roles. */
  added: RoleFact[];
  /** People who left the license, with the roles they held. */
  removed: RoleFact[];
  /** People already on the license who took on more roles. */
  gained: RoleFact[];
  /** People still on the license who gave up roles. */
  lost: RoleFact[];
  /** Who became main contact of a role. */
  becameMain: MainFact[];
  /** Who stopped being main contact of a role. */
  lostMain: MainFact[];
  /** The request (§7) a request entry opened or decided: its kind, who it is about, the roles. */
  request?: { kind: 'invitation' | 'transfer'; person: HistoryPerson; roles: Role[] };
}

/** The facts of an entry; `nameOf` names people the entry's changes do not (usually the actor). */
export function historyFacts(entry: AuditEntry, nameOf: (email: string) => string): HistoryFacts {
  const { changes } = entry;
  const names = new Map(changes.map((c) => [c.email, c.name]));
  const person = (email: string): HistoryPerson => ({ email, name: names.get(email) ?? nameOf(email) });
  const facts: HistoryFacts = {
    action: entry.action,
    actor: entry.actor === null ? null : person(entry.actor),
    staff: entry.staff,
    self: entry.actor !== null && entry.email === entry.actor,
    added: [],
    removed: [],
    gained: [],
    lost: [],
    becameMain: [],
    lostMain: [],
  };
  if (entry.email !== undefined) facts.subject = person(entry.email);
  if (entry.successor !== undefined) facts.successor = person(entry.successor);
  if (entry.role !== undefined) facts.role = entry.role;
  const request = entry.requests?.[0];
  if (request && entry.action !== 'replaceContact')
    facts.request = {
      kind: request.kind,
      person: { email: request.email, name: request.name },
      roles: [...request.roles],
    };
  for (const change of changes) {
    const who = person(change.email);
    const before = change.before?.roles ?? [];
    const after = change.after?.roles ?? [];
    if (change.before === null && change.after !== null) facts.added.push({ person: who, roles: after });
    else if (change.after === null && change.before !== null)
      facts.removed.push({ person: who, roles: before });
    else {
      const gained = after.filter((role) => !before.includes(role));
      const lost = before.filter((role) => !after.includes(role));
      if (gained.length > 0) facts.gained.push({ person: who, roles: gained });
      if (lost.length > 0) facts.lost.push({ person: who, roles: lost });
    }
    for (const role of ROLES) {
      const wasMain = change.before?.[role] === 0;
      const isMain = change.after?.[role] === 0;
      if (isMain && !wasMain) facts.becameMain.push({ person: who, role });
      if (wasMain && !isMain) facts.lostMain.push({ person: who, role });
    }
  }
  return facts;
}
