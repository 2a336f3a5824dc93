/** A contact role on a license. */
export type Role = 'technical' | 'billing';

/**
 * Both roles, in display order, as a plain array for the core's hot loops (V8 iterates a frozen array
 * about twice as slowly); not exported from the package, where `ROLES` is the frozen one.
 */
export const ROLE_LIST: readonly Role[] = ['technical', 'billing'];

/** Both roles, in display order. */
export const ROLES: readonly Role[] = /* @__PURE__ */ Object.freeze([...ROLE_LIST]);

/** A person as the caller names them: an email address and a display name. */
export interface Person {
  email: string;
  name: string;
}

/** A person on a license with the roles they hold there. */
export interface Contact {
  email: string;
  name: string;
  roles: Role[];
}

/** A license (identified by its support entitlement number) and its contacts. */
export interface License {
  id: string;
  product: string;
  edition?: string;
  seats?: number;
  expiresAt?: string;
  /** Every person once, in the order they joined. */
  contacts: Contact[];
  /** Emails of the technical contacts, in order; `[0]` is the main technical contact. */
  technical: string[];
  /** Emails of the billing contacts, in order; `[0]` is the main billing contact. */
  billing: string[];
  /** Incremented by every committed change; starts at 1. */
  version: number;
  updatedAt: string;
}

/** The part of a license that contact commands change, as recorded in the audit history. */
export interface ContactsState {
  contacts: Contact[];
  technical: string[];
  billing: string[];
}

/** Who acts: a signed-in person, or staff who may act on every license. */
export interface Actor {
  email: string;
  staff?: boolean;
}

/** Who the interface is acting for, as the server sees them. */
export interface Me {
  email: string;
  staff: boolean;
}

/** Whether an action is allowed, and why not when it is not. */
export type Decision =
  | { allowed: true }
  | {
      allowed: false;
      /** Machine-readable reason, e.g. `NOT_MAIN`, `LAST_CONTACT`, `DIFFERENT_DOMAIN`. */
      reason: string;
      /** An English sentence a UI may show. */
      message: string;
    };

/** Everything a signed-in person may or may not do on one license. */
export interface Permissions {
  addContact: Decision;
  replaceContact: Decision;
  viewHistory: Decision;
  /** By role, then by the target contact's email. */
  setMain: Record<Role, Record<string, Decision>>;
  /** Removing that role from that contact, by role, then by the target contact's email. */
  removeContact: Record<Role, Record<string, Decision>>;
  /**
   * Who may become main when the main contact of a role is removed, by role, then by the email of each
   * other contact of that role: the decision of the removal that makes them main. For the next in line
   * that is the removal naming no successor (R2 promotes them); for the others, the removal naming them.
   */
  successors: Record<Role, Record<string, Decision>>;
  /**
   * Whether removing that role from that contact would leave the actor unable to see the license (the
   * policy's `canView` of the license after the removal), by role, then by the target contact's email.
   */
  losesAccess: Record<Role, Record<string, boolean>>;
  /**
   * Asking for that contact to become main through a transfer request (R13), by role, then by the
   * target contact's email: allowed where `setMain` says `NEEDS_CONSENT`.
   */
  requestTransfer: Record<Role, Record<string, Decision>>;
  /** Inviting a person, who becomes a contact once they accept (§7). */
  invite: Decision;
  /**
   * Which new people `addContact` takes directly under the service's `invitations` setting: `'any'`,
   * `'none'` (everyone new needs an invitation), or people on these mail domains; the others need an
   * invitation (FORBIDDEN `INVITATION_REQUIRED`). `addContactDecision` answers it for one address.
   */
  directAdd: 'any' | 'none' | { domains: string[] };
  /** What the actor may do with each pending request of this license, by request id. */
  requests: Record<string, RequestActions>;
  /** Contacts of this license whose mail bounces (§7), for a UI to say so; in contact order. */
  unreachable: string[];
}

/** Whether `addContact` of a new person needs an invitation instead: the service's setting (§7). */
export type InvitationMode = 'never' | 'otherDomains' | 'always';

/** What a request asks: to become a contact, or a main position across companies (R13). */
export type RequestKind = 'invitation' | 'transfer';

/** Where a request stands; `expired` once `expiresAt` passed while it was pending. */
export type RequestState = 'pending' | 'accepted' | 'declined' | 'cancelled' | 'expired';

/** Every request state, for validation. */
export const REQUEST_STATES: readonly RequestState[] = /* @__PURE__ */ Object.freeze([
  'pending',
  'accepted',
  'declined',
  'cancelled',
  'expired',
] as const);

/** What an actor may do with one request. */
export interface RequestActions {
  accept: Decision;
  decline: Decision;
  cancel: Decision;
}

/**
 * An invitation to become a contact, or a transfer of a main position across companies (R13), and
 * its outcome. It shows enough of the license to decide, nothing more.
 */
export interface PendingRequest {
  id: string;
  kind: RequestKind;
  licenseId: string;
  product: string;
  /** Who is invited, or who would become main. */
  email: string;
  name: string;
  /** Invitation: the roles offered; transfer: the role whose main position it is about. */
  roles: Role[];
  requestedBy: string;
  /** Who may accept or decline: the invitee; for a transfer, the other side. Staff may decide a transfer. */
  decidedBy: string[];
  createdAt: string;
  /** Default 14 days after `createdAt`. */
  expiresAt: string;
  state: RequestState;
  /** Transfer: the main contact of the role when it was asked; accepting fails once that changed. */
  currentMain?: string;
  /** Who accepted, declined or cancelled it. */
  closedBy?: string;
  /** When it was accepted, declined or cancelled. */
  closedAt?: string;
  /** Incremented by every change of the request; starts at 1. */
  version: number;
  /** What the signed-in person may do with it (answers of `LicenseContactsApi` only). */
  actions?: RequestActions;
}

/** A request as an audit entry records it: who and what, and where it stands after the change. */
export type RequestSummary = Pick<
  PendingRequest,
  'id' | 'kind' | 'state' | 'email' | 'name' | 'roles' | 'requestedBy' | 'decidedBy' | 'expiresAt'
>;

/** Options of `requests`. */
export interface RequestsOptions {
  /** Only requests of this license. */
  licenseId?: string;
  /** Only requests in this state. */
  state?: RequestState;
  cursor?: string;
  /** Default 50; larger than 200 is clamped to 200. */
  limit?: number;
  signal?: AbortSignal;
}

/** Whether mail to an address arrives, as bounce reports told (§7). */
export interface AddressStatus {
  email: string;
  /** False after a permanent bounce, or after `softBounceLimit` temporary ones in a row. */
  reachable: boolean;
  /** Temporary bounces since the last confirmation. */
  bounces: number;
  /** Whether the last bounce was permanent. */
  permanent: boolean;
  reason?: string;
  bouncedAt?: string;
  confirmedAt?: string;
}

/** Options of `reportBounce`. */
export interface BounceReport {
  /** A permanent refusal (SMTP 5xx): the address is unreachable at once. */
  permanent: boolean;
  /** What the mail server said. */
  reason?: string;
}

/** What a mail is about, for `recipients`. */
export type Topic = 'license' | 'invoice' | 'support' | 'releases';

/** Every topic, for validation and iteration. */
export const TOPICS: readonly Topic[] = /* @__PURE__ */ Object.freeze([
  'license',
  'invoice',
  'support',
  'releases',
] as const);

/**
 * Addresses for a mail; an address appears at most once across `to`, `cc` and `unreachable`. Addresses
 * whose mail bounces are in `unreachable`, and a bouncing main's place in `to` falls to the next
 * reachable contact of that role.
 */
export interface Recipients {
  to: string[];
  cc: string[];
  unreachable: string[];
}

/** Every kind of change an audit entry records (the names of the commands), in the order they came. */
export const AUDIT_ACTIONS = /* @__PURE__ */ Object.freeze([
  'createLicense',
  'addContact',
  'setMain',
  'removeContact',
  'replaceContact',
  'invite',
  'requestTransfer',
  'acceptRequest',
  'declineRequest',
  'cancelRequest',
] as const);

/** The kind of change an audit entry records; the names of the commands. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Where a person stood on a license: their roles and their place in each role's list (0 = main). */
export interface ContactPosition {
  roles: Role[];
  /** Place in the technical list, when they hold the role. */
  technical?: number;
  /** Place in the billing list, when they hold the role. */
  billing?: number;
}

/**
 * One contact whose roles or position a change touched, before and after it (`null`: not a contact).
 * Contacts an entry does not list kept their roles and their order relative to each other.
 */
export interface ContactChange {
  email: string;
  name: string;
  before: ContactPosition | null;
  after: ContactPosition | null;
}

/** One recorded change to one license; also one item of the change feed. */
export interface AuditEntry {
  /** `${licenseId}:${version}`: unique, one entry per committed version. */
  id: string;
  /** Opaque, assigned at commit; sorts (as a string) in commit order across the whole storage. */
  seq: string;
  licenseId: string;
  /** The license version this change produced. */
  version: number;
  /** ISO-8601 time of the change. */
  at: string;
  /** Email of who acted; `null` for system-level calls such as `createLicense`. */
  actor: string | null;
  staff: boolean;
  action: AuditAction;
  /** The contact the command was about, when it names one. */
  email?: string;
  /** The role the command was about, when it names one. */
  role?: Role;
  /** The contact who replaced or succeeded `email`, when there was one. */
  successor?: string;
  /** What changed (R15): one item per contact whose roles or position changed, in contact order. */
  changes: ContactChange[];
  /**
   * The request an entry opened or decided, as it stands after it; on a `replaceContact`, the leaver's
   * pending requests it cancelled.
   */
  requests?: RequestSummary[];
}

/** An audit entry as the rules build it, before the storage assigns its `seq` at commit. */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/** One page of results; pass `nextCursor` back as `cursor` for the next page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Input of `createLicense`. */
export interface CreateLicenseInput {
  id: string;
  product: string;
  edition?: string;
  seats?: number;
  expiresAt?: string;
  /** The main technical contact. */
  technical: Person;
  /** The main billing contact (may be the same person as `technical`). */
  billing: Person;
  /** Further contacts, appended after the main ones in the order given. */
  contacts?: AddContactInput[];
}

/** Input of `addContact`. */
export interface AddContactInput {
  email: string;
  name: string;
  roles: Role[];
}

/** Options of `listLicenses`. */
export interface ListLicensesOptions {
  /** Case-insensitive substring of the id, product, or a contact's email or name. */
  query?: string;
  cursor?: string;
  /** Default 50; larger than 200 is clamped to 200. */
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `history`. */
export interface HistoryOptions {
  cursor?: string;
  /** Default 50; larger than 200 is clamped to 200. */
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `changes`: the change feed, oldest first. */
export interface ChangesOptions {
  /** Only entries after this `seq` (an entry's `seq`, or a page's `nextCursor`). */
  after?: string;
  /** Default 50; larger than 200 is clamped to 200. */
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `getLicense`. */
export interface GetLicenseOptions {
  /** The license as it was at this time (rebuilt from its audit entries); default now. */
  at?: string | Date;
  signal?: AbortSignal;
}

/** Options of `watch`. */
export interface WatchOptions {
  /** Tell entries after this seq first (catching up), then the new ones; default: from now on. */
  after?: string;
  /** Called when following the feed fails for a while; it goes on trying and catches up. */
  onError?: (error: unknown) => void;
  /**
   * Called each time following starts to work: at first, and again once a lost connection is back;
   * `position` is the seq the watch is at (the entries after it follow; `0000000000000000` on an
   * empty feed), where a watch from now can resume without missing any.
   */
  onOpen?: (position: string) => void;
}

/** Options every call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options every mutation of one license accepts. */
export interface MutationOptions extends CallOptions {
  /** Fail with CONFLICT (HTTP 412) unless the license is still at this version. */
  expectedVersion?: number;
}

/** Options of `removeContact`. */
export interface RemoveContactOptions extends MutationOptions {
  /** Remove only this role; without it, every role the person holds. */
  role?: Role;
  /** Who becomes main when a main contact is removed; default: the next contact of that role. */
  successor?: string;
}

/** Options of `replaceContact`. */
export interface ReplaceContactOptions extends CallOptions {
  /** Compute the change set without writing. */
  dryRun?: boolean;
  /** Only these licenses; each must be one the actor may change, or the whole call fails. */
  licenseIds?: string[];
}

/** One license a `replaceContact` changes (or would change, on a dry run). */
export interface ReplacedLicense {
  licenseId: string;
  before: License;
  after: License;
}

/** A license `replaceContact` left alone, and why. */
export interface SkippedLicense {
  licenseId: string;
  reason: string;
  message: string;
}

/** Result of `replaceContact`. */
export interface ReplaceResult {
  dryRun: boolean;
  changed: ReplacedLicense[];
  skipped: SkippedLicense[];
  /** The leaver's pending requests on the changed licenses, cancelled with the replacement (§7). */
  cancelledRequests: PendingRequest[];
}

/** Everything a signed-in person can do; `service.as(actor)` and `createHttpClient()` both implement it. */
export interface LicenseContactsApi {
  /** Who this interface acts for. */
  me(options?: CallOptions): Promise<Me>;
  /** Licenses the actor is associated with (staff: all), ordered by id. */
  listLicenses(options?: ListLicensesOptions): Promise<Page<License>>;
  /**
   * One license; NOT_FOUND when it does not exist or the actor may not see it. With `at`, the license
   * as it was then (NOT_FOUND before it existed).
   */
  getLicense(licenseId: string, options?: GetLicenseOptions): Promise<License>;
  /** Adds a person with the given roles, or extends an existing contact's roles. */
  addContact(licenseId: string, input: AddContactInput, options?: MutationOptions): Promise<License>;
  /** Makes a contact the main contact of a role they hold. */
  setMain(licenseId: string, role: Role, email: string, options?: MutationOptions): Promise<License>;
  /** Removes one role (or every role) of a contact. */
  removeContact(licenseId: string, email: string, options?: RemoveContactOptions): Promise<License>;
  /** Replaces a person by a successor on every license the actor may change, atomically. */
  replaceContact(
    oldEmail: string,
    successor: Person,
    options?: ReplaceContactOptions,
  ): Promise<ReplaceResult>;
  /** The audit history of a license, newest first. */
  history(licenseId: string, options?: HistoryOptions): Promise<Page<AuditEntry>>;
  /**
   * The change feed of the licenses the actor was a contact of before or after each change (staff:
   * every license), oldest first; page with `after`.
   */
  changes(options?: ChangesOptions): Promise<Page<AuditEntry>>;
  /**
   * Tells `listener` of each entry of the actor's feed (what `changes` answers) as it commits, in seq
   * order, once each, from `after` or from now; returns the function that stops it.
   */
  watch(listener: (entry: AuditEntry) => void, options?: WatchOptions): () => void;
  /** What the actor may do on a license, with reasons. */
  permissions(licenseId: string, options?: CallOptions): Promise<Permissions>;
  /**
   * Invites a person to become a contact with these roles once they accept (§7); a pending invitation
   * of the same person answers that one.
   */
  invite(licenseId: string, input: AddContactInput, options?: CallOptions): Promise<PendingRequest>;
  /**
   * Asks for `email`, a contact of `role` with another company than its main contact, to become main
   * (R13); the other side accepts or declines. A pending request for the same answers that one.
   */
  requestTransfer(
    licenseId: string,
    role: Role,
    email: string,
    options?: CallOptions,
  ): Promise<PendingRequest>;
  /** Requests the actor made, is asked to decide or is the subject of, and those of their licenses; oldest first. */
  requests(options?: RequestsOptions): Promise<Page<PendingRequest>>;
  /** Accepts a request: the invitee joins, or the promotion applies on the license as it is now. */
  acceptRequest(requestId: string, options?: CallOptions): Promise<PendingRequest>;
  /** Declines a request the actor may decide. */
  declineRequest(requestId: string, options?: CallOptions): Promise<PendingRequest>;
  /** Withdraws a pending request. */
  cancelRequest(requestId: string, options?: CallOptions): Promise<PendingRequest>;
}
