import { diffContacts } from './changes';
import type { ErrorCode } from './errors';
import { LicenseContactsError } from './errors';
import { deepFreeze } from './freeze';
import { contactIndex, findContact, holdsRole, isAssociated, mainOf, nameOf } from './license';
import type { Policy } from './policy';
import { defaultPolicy, deny } from './policy';
import { checkInvite, requestActions } from './requests';
import type {
  Actor,
  AddContactInput,
  AuditEntry,
  Contact,
  ContactChange,
  CreateLicenseInput,
  Decision,
  InvitationMode,
  License,
  NewAuditEntry,
  PendingRequest,
  Permissions,
  Person,
  RequestActions,
  Role,
} from './types';
import { ROLES } from './types';

/** A change to one license's contacts, as the service applies it. Emails are normalized. */
export type Command =
  | { type: 'addContact'; input: AddContactInput }
  | { type: 'setMain'; role: Role; email: string }
  | { type: 'removeContact'; email: string; role?: Role; successor?: string }
  | { type: 'replaceContact'; email: string; successor: Person };

/** The result of applying a command: the new license and its audit entry (its `seq` comes at commit). */
export interface Applied {
  license: License;
  entry: NewAuditEntry;
}

const ALLOWED: Decision = /* @__PURE__ */ Object.freeze({ allowed: true });

/** How a refusal's reason surfaces as an error; any other reason is FORBIDDEN. */
const REFUSALS: Record<string, { code: ErrorCode; field?: string }> = {
  NOT_ASSOCIATED: { code: 'NOT_FOUND' },
  NOT_PENDING: { code: 'CONFLICT' },
  EXPIRED: { code: 'CONFLICT' },
  NOT_A_CONTACT: { code: 'NOT_FOUND', field: 'email' },
  LAST_CONTACT: { code: 'LAST_CONTACT' },
  DUPLICATE: { code: 'DUPLICATE', field: 'email' },
  INVALID_SUCCESSOR: { code: 'VALIDATION', field: 'successor' },
};

/** The error a refused decision raises. */
export function refusalError(
  decision: Decision & { allowed: false },
  licenseId: string,
): LicenseContactsError {
  const refusal = REFUSALS[decision.reason];
  if (refusal?.code === 'NOT_FOUND' && decision.reason === 'NOT_ASSOCIATED') {
    return new LicenseContactsError('NOT_FOUND', `License ${licenseId} not found`);
  }
  return new LicenseContactsError(refusal?.code ?? 'FORBIDDEN', decision.message, {
    reason: decision.reason,
    ...(refusal?.field === undefined ? {} : { field: refusal.field }),
  });
}

/** Settings of the service the rules read. */
export interface RuleOptions {
  /** Whether adding a new person needs an invitation (§7); default `'never'`. */
  invitations?: InvitationMode;
}

/** Whether the command is allowed on the license: structural rules (R2, R3) first, then the policy. */
export function checkCommand(
  license: License,
  command: Command,
  actor: Actor,
  policy: Policy,
  options: RuleOptions = {},
): Decision {
  // Policy questions are object literals, never `{ ...context, more }`: V8 (Node 20) adds a property
  // to a spread copy of an unfrozen object some twenty times slower than it builds the literal.
  switch (command.type) {
    case 'addContact': {
      const { input } = command;
      const existing = findContact(license, input.email);
      // R3: asking again for a role the person holds is a duplicate, even alongside a new one.
      const held = input.roles.filter((role) => existing?.roles.includes(role)).join(' and ');
      if (existing && held !== '') {
        return deny('DUPLICATE', `${existing.name} is already a ${held} contact`);
      }
      return policy.addContact({ license, actor, input, invitations: options.invitations ?? 'never' });
    }
    case 'setMain': {
      const { role, email } = command;
      if (!holdsRole(license, role, email)) {
        return deny('NOT_A_CONTACT', `${email} is not a ${role} contact of ${license.id}`);
      }
      if (mainOf(license, role) === email) {
        return deny('ALREADY_MAIN', `${nameOf(license, email)} is already the main ${role} contact`);
      }
      return policy.setMain({ license, actor, role, email });
    }
    case 'removeContact': {
      const { email, successor } = command;
      const contact = findContact(license, email);
      if (!contact || (command.role !== undefined && !contact.roles.includes(command.role))) {
        const what = command.role === undefined ? 'a contact' : `a ${command.role} contact`;
        return deny('NOT_A_CONTACT', `${email} is not ${what} of ${license.id}`);
      }
      const roles = command.role === undefined ? contact.roles : [command.role];
      if (successor === email) {
        return deny('INVALID_SUCCESSOR', 'The successor must be someone other than the contact removed');
      }
      for (const role of roles) {
        if (license[role].length === 1) {
          return deny(
            'LAST_CONTACT',
            `${contact.name} is the only ${role} contact; add another ${role} contact first`,
          );
        }
      }
      for (const role of roles) {
        const isMain = mainOf(license, role) === email;
        if (isMain && successor !== undefined && !holdsRole(license, role, successor)) {
          return deny('INVALID_SUCCESSOR', `The successor ${successor} is not a ${role} contact`);
        }
        const decision = policy.removeContact({
          license,
          actor,
          role,
          email,
          ...(isMain && successor !== undefined ? { successor } : {}),
        });
        if (!decision.allowed) return decision;
      }
      return ALLOWED;
    }
    case 'replaceContact': {
      const { email, successor } = command;
      if (!isAssociated(license, email))
        return deny('NOT_A_CONTACT', `${email} is not a contact of ${license.id}`);
      if (successor.email === email) {
        return deny('INVALID_SUCCESSOR', 'The successor must be someone other than the contact replaced');
      }
      return policy.replaceContact({ license, actor, email, successor: successor.email });
    }
  }
}

/**
 * Whether the actor may ask for `email` to become the main `role` contact through a transfer request
 * (R13): they must hold the role and not be main already; then the policy decides.
 */
export function checkTransfer(
  license: License,
  role: Role,
  email: string,
  actor: Actor,
  policy: Policy,
): Decision {
  if (!holdsRole(license, role, email)) {
    return deny('NOT_A_CONTACT', `${email} is not a ${role} contact of ${license.id}`);
  }
  if (mainOf(license, role) === email) {
    return deny('ALREADY_MAIN', `${nameOf(license, email)} is already the main ${role} contact`);
  }
  const decide = policy.requestTransfer ?? defaultPolicy.requestTransfer;
  return decide ? decide({ license, actor, role, email }) : ALLOWED;
}

function inRoleOrder(roles: Iterable<Role>): Role[] {
  const set = new Set(roles);
  return ROLES.filter((role) => set.has(role));
}

// The lists below are frozen (every license is): they are copied with a spread, which V8 runs
// several times faster on them than `slice`, `filter`, `map`, `for…of` or an index loop.

/** The list without its item at `index`. */
function without<T>(list: readonly T[], index: number): T[] {
  const rest = [...list]; // a spread copy, as in withFirst
  if (index >= 0 && index < rest.length) rest.splice(index, 1);
  return rest;
}

/** The list with its item at `index` replaced by `item`. */
function replaced<T>(list: readonly T[], index: number, item: T): T[] {
  const copy = [...list];
  copy[index] = item;
  return copy;
}

function withFirst(list: readonly string[], email: string): string[] {
  // A spread copy, moved in place: V8 reads a frozen list (a license's) element by element slowly.
  const result = [...list];
  const index = result.indexOf(email);
  if (index === -1) result.unshift(email);
  else {
    result.copyWithin(1, 0, index);
    result[0] = email;
  }
  return result;
}

/**
 * Applies the command's change to a draft (no checks). Lookups read the base license, and the draft
 * gets whole new arrays and objects assigned, never changed in place: a plain shallow copy of the
 * license serves as the draft (`applyCommand`, `previewCommand`), sharing every row it keeps.
 */
function mutate(draft: License, base: License, command: Command): void {
  switch (command.type) {
    case 'addContact': {
      const { email, name, roles } = command.input;
      const index = contactIndex(base, email);
      const existing = index < 0 ? undefined : base.contacts[index];
      const added = roles.filter((role) => !existing?.roles.includes(role));
      draft.contacts = existing
        ? replaced(base.contacts, index, { ...existing, roles: inRoleOrder([...existing.roles, ...added]) })
        : [...base.contacts, { email, name, roles: [...roles] }];
      for (const role of added) draft[role] = [...base[role], email];
      return;
    }
    case 'setMain':
      draft[command.role] = withFirst(base[command.role], command.email);
      return;
    case 'removeContact': {
      const { email, successor } = command;
      const index = contactIndex(base, email);
      const contact = base.contacts[index] as Contact;
      const roles = command.role === undefined ? contact.roles : [command.role];
      for (const role of roles) {
        const rest = without(base[role], base[role].indexOf(email));
        draft[role] = base[role][0] === email && successor !== undefined ? withFirst(rest, successor) : rest;
      }
      const left = contact.roles.filter((role) => !roles.includes(role));
      draft.contacts =
        left.length === 0
          ? without(base.contacts, index)
          : replaced(base.contacts, index, { ...contact, roles: left });
      return;
    }
    case 'replaceContact': {
      const { email, successor } = command;
      const index = contactIndex(base, email);
      const old = base.contacts[index] as Contact;
      const existing = findContact(base, successor.email);
      for (const role of old.roles) {
        // The successor takes the old position; an earlier entry of theirs keeps its (higher) place.
        draft[role] = [...new Set([...base[role]].map((e) => (e === email ? successor.email : e)))];
      }
      // A successor new to the license joins it now: at the end of the contacts, like anyone who joins.
      const rest = without(base.contacts, index);
      draft.contacts = existing
        ? rest.map((c) => (c === existing ? { ...c, roles: inRoleOrder([...c.roles, ...old.roles]) } : c))
        : [...rest, { email: successor.email, name: successor.name, roles: [...old.roles] }];
      return;
    }
  }
}

/** What an audit entry records about its command besides who, when and what changed. */
export type EntryDetails = Pick<AuditEntry, 'email' | 'role' | 'successor' | 'requests'>;

/**
 * Freezes a license as `deepFreeze(license)` would, at the cost of what is new in it: the role lists
 * hold strings (frozen shallowly), and rows shared with the frozen license it came from are skipped.
 */
function frozenLicense(draft: License): License {
  Object.freeze(draft.technical);
  Object.freeze(draft.billing);
  if (!Object.isFrozen(draft.contacts)) {
    for (const contact of draft.contacts) if (!Object.isFrozen(contact)) deepFreeze(contact);
    Object.freeze(draft.contacts);
  }
  return Object.freeze(draft);
}

/** Details an audit entry records about the command. */
function describe(command: Command, license: License): EntryDetails {
  switch (command.type) {
    case 'addContact':
      return { email: command.input.email };
    case 'setMain':
      return { email: command.email, role: command.role };
    case 'removeContact': {
      // A successor counts only where the removed contact was main; elsewhere it was not used.
      const roles =
        command.role === undefined ? (findContact(license, command.email)?.roles ?? []) : [command.role];
      const used =
        command.successor !== undefined && roles.some((role) => mainOf(license, role) === command.email);
      return {
        email: command.email,
        ...(command.role === undefined ? {} : { role: command.role }),
        ...(used ? { successor: command.successor } : {}),
      };
    }
    case 'replaceContact':
      return { email: command.email, successor: command.successor.email };
  }
}

/** Builds the audit entry of a change: who, when, what, and the contacts it touched (R9, R15). */
export function auditEntry(
  before: License | null,
  after: License,
  actor: Actor | null,
  action: AuditEntry['action'],
  details: EntryDetails = {},
): NewAuditEntry {
  // Frozen, so storages can keep it without copying; the changes, of a known shape, part by part.
  const changes = diffContacts(before, after);
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as ContactChange;
    if (change.before) Object.freeze(Object.freeze(change.before).roles);
    if (change.after) Object.freeze(Object.freeze(change.after).roles);
    Object.freeze(change);
  }
  Object.freeze(changes);
  if (details.requests) deepFreeze(details.requests);
  return Object.freeze({
    id: `${after.id}:${after.version}`,
    licenseId: after.id,
    version: after.version,
    at: after.updatedAt,
    actor: actor?.email ?? null,
    staff: actor?.staff === true,
    action,
    ...details,
    changes,
  });
}

/**
 * Applies a command to a license: checks it (structural rules, then the policy) and returns the new
 * license, one version up, with its audit entry; `null` when the command changes nothing (promoting
 * the main contact). Throws a `LicenseContactsError` when refused. Pure: no I/O, no clock.
 */
export function applyCommand(
  license: License,
  command: Command,
  actor: Actor,
  policy: Policy,
  now: string,
  options: RuleOptions = {},
): Applied | null {
  const decision = checkCommand(license, command, actor, policy, options);
  if (!decision.allowed) {
    if (decision.reason === 'ALREADY_MAIN') return null;
    throw refusalError(decision, license.id);
  }
  // `mutate` assigns whole new arrays and rows and never writes into the base, so a shallow copy is
  // draft enough: what it did not touch is shared, and the result is frozen like every license.
  const draft: License = { ...license };
  mutate(draft, license, command);
  draft.version = license.version + 1;
  draft.updatedAt = now;
  const next = frozenLicense(draft);
  return { license: next, entry: auditEntry(license, next, actor, command.type, describe(command, license)) };
}

/**
 * A new version of the license recording `action` (a request opened or decided, §7): the command's
 * change when one is given, already agreed to (an accepted request), else the contacts as they are.
 * Structural rules still hold: the caller checked them on this very license.
 */
export function applyAgreed(
  license: License,
  command: Command | null,
  actor: Actor,
  now: string,
  action: AuditEntry['action'],
  details: EntryDetails,
): Applied {
  // A shallow copy as draft, as in applyCommand.
  const draft: License = { ...license };
  if (command) mutate(draft, license, command);
  draft.version = license.version + 1;
  draft.updatedAt = now;
  const next = frozenLicense(draft);
  return { license: next, entry: auditEntry(license, next, actor, action, details) };
}

/** Builds a new license (R2: with its main technical and billing contacts) and its audit entry. */
export function createLicenseState(input: CreateLicenseInput, now: string): Applied {
  const base: License = {
    id: input.id,
    product: input.product,
    contacts: [],
    technical: [],
    billing: [],
    version: 1,
    updatedAt: now,
  };
  if (input.edition !== undefined) base.edition = input.edition;
  if (input.seats !== undefined) base.seats = input.seats;
  if (input.expiresAt !== undefined) base.expiresAt = input.expiresAt;
  const contacts: AddContactInput[] = [
    { ...input.technical, roles: ['technical'] },
    { ...input.billing, roles: ['billing'] },
    ...(input.contacts ?? []),
  ];
  // A new object nobody else holds: built in place, then frozen like every other license.
  for (const contact of contacts) mutate(base, base, { type: 'addContact', input: contact });
  const license = deepFreeze(base);
  return { license, entry: auditEntry(null, license, null, 'createLicense') };
}

/** The decision of `addContact` of this address, from the permissions (§7: an invitation may be needed). */
export function addContactDecision(
  permissions: Pick<Permissions, 'addContact' | 'directAdd'>,
  license: Pick<License, 'contacts'>,
  email: string,
): Decision {
  if (!permissions.addContact.allowed) return permissions.addContact;
  const { directAdd } = permissions;
  if (directAdd === 'any' || isAssociated(license, email)) return ALLOWED;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (directAdd !== 'none' && directAdd.domains.includes(domain)) return ALLOWED;
  return deny('INVITATION_REQUIRED', `${email} must be invited, and becomes a contact on accepting`);
}

/** Which new people the actor adds directly, asked of the policy with an address on their own domain. */
function directAddOf(license: License, actor: Actor, policy: Policy, invitations: InvitationMode) {
  if (invitations === 'never') return 'any' as const;
  const ask = (email: string) =>
    policy.addContact({
      license,
      actor,
      invitations,
      input: { email, name: 'Someone', roles: ['technical'] },
    }).allowed;
  const domain = actor.email.slice(actor.email.lastIndexOf('@') + 1);
  // An address no contact has, on the actor's domain and on a domain of nobody's.
  if (ask('\u0000probe@invalid.invalid')) return 'any' as const;
  return ask(`\u0000probe@${domain}`) ? { domains: [domain] } : ('none' as const);
}

/** Answers every question of a policy with yes: `checkCommand` with it checks the structural rules alone. */
const STRUCTURE_ONLY: Policy = {
  canView: () => true,
  addContact: () => ALLOWED,
  setMain: () => ALLOWED,
  removeContact: () => ALLOWED,
  replaceContact: () => ALLOWED,
  viewHistory: () => ALLOWED,
};
const ANYONE: Actor = /* @__PURE__ */ Object.freeze({ email: '', staff: true });

/**
 * The change a command makes to a license's contacts, without asking the policy: the `mutate` step of
 * `applyCommand` on the same structural rules (R2, R3), with no new version and no audit entry. Answers
 * the license itself when the structural rules refuse the command or it changes nothing. What did not
 * change keeps its identity. Pure: a client draws its optimistic state with it.
 * @example previewCommand(license, { type: 'setMain', role: 'technical', email: 'carol@acme.test' })
 */
export function previewCommand(license: License, command: Command): License {
  if (!checkCommand(license, command, ANYONE, STRUCTURE_ONLY).allowed) return license;
  const next: License = { ...license };
  mutate(next, license, command);
  return next;
}

/** Everything the actor may do on the license, each decided exactly as the command would be. */
export function permissionsFor(
  license: License,
  actor: Actor,
  policy: Policy,
  options: RuleOptions & { pending?: readonly PendingRequest[]; unreachable?: readonly string[] } = {},
): Permissions {
  const context = { license, actor };
  const invitations = options.invitations ?? 'never';
  const perRole = <T>(decide: (role: Role, email: string) => T) =>
    Object.fromEntries(
      ROLES.map((role) => [
        role,
        Object.fromEntries(license[role].map((email) => [email, decide(role, email)])),
      ]),
    ) as Record<Role, Record<string, T>>;
  const check = (command: Command) => checkCommand(license, command, actor, policy);
  const successors = Object.fromEntries(
    ROLES.map((role) => {
      const [main, next, ...rest] = license[role];
      const decisions: Record<string, Decision> = {};
      // R2: the next in line becomes main when no one is named; anyone else only when named.
      if (main !== undefined && next !== undefined) {
        decisions[next] = check({ type: 'removeContact', email: main, role });
        for (const email of rest) {
          decisions[email] = check({ type: 'removeContact', email: main, role, successor: email });
        }
      }
      return [role, decisions];
    }),
  ) as Record<Role, Record<string, Decision>>;
  const requests: Record<string, RequestActions> = {};
  for (const request of options.pending ?? [])
    requests[request.id] = requestActions(request, license, actor, policy);
  return {
    addContact: policy.addContact({ license, actor, invitations }),
    replaceContact: policy.replaceContact(context),
    viewHistory: policy.viewHistory(context),
    setMain: perRole((role, email) => check({ type: 'setMain', role, email })),
    removeContact: perRole((role, email) => check({ type: 'removeContact', email, role })),
    successors,
    losesAccess: perRole((role, email) => {
      const after = previewCommand(license, { type: 'removeContact', email, role });
      return after !== license && !policy.canView({ license: after, actor });
    }),
    requestTransfer: perRole((role, email) => checkTransfer(license, role, email, actor, policy)),
    invite: checkInvite(license, null, actor, policy),
    directAdd: directAddOf(license, actor, policy, invitations),
    requests,
    unreachable: license.contacts.map((c) => c.email).filter((e) => options.unreachable?.includes(e)),
  };
}
