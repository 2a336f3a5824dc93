import { replayEntries } from '../domain/changes';
import { LicenseContactsError } from '../domain/errors';
import { deepFreeze } from '../domain/freeze';
import { findContact, holdsRole, mainOf } from '../domain/license';
import type { Policy } from '../domain/policy';
import { defaultPolicy } from '../domain/policy';
import type { StoredRequest } from '../domain/requests';
import {
  canSeeRequest,
  checkInvite,
  DEFAULT_REQUEST_TTL,
  newRequestId,
  presentRequest,
  requestActions,
  summarize,
} from '../domain/requests';
import type { Applied, Command, RuleOptions } from '../domain/rules';
import {
  applyAgreed,
  applyCommand,
  checkCommand,
  checkTransfer,
  createLicenseState,
  permissionsFor,
  refusalError,
} from '../domain/rules';
import type {
  Actor,
  AddressStatus,
  AuditEntry,
  BounceReport,
  ChangesOptions,
  CreateLicenseInput,
  InvitationMode,
  License,
  LicenseContactsApi,
  Page,
  PendingRequest,
  Recipients,
  ReplaceResult,
  RequestState,
  Role,
  Topic,
} from '../domain/types';
import {
  MAX_VERSION,
  parseAddContactInput,
  parseCreateLicenseInput,
  parseEmail,
  parseInstant,
  parseLicenseId,
  parseLimit,
  parsePerson,
  parseQuery,
  parseRequestId,
  parseRequestState,
  parseRole,
  parseTopic,
} from '../domain/validate';
import { memoryStorage } from '../storage/memory';
import { parseSeq } from '../storage/seq';
import type {
  AddressWrite,
  LicenseStorage,
  LicenseWrite,
  RequestWrite,
  StorageCommit,
  StorageRequestQuery,
  StoredAddress,
} from '../storage/types';
import { KeyedQueue } from './keyedQueue';
import type { LicenseContactsEvent } from './liveFeed';
import { LiveFeed, watchActor } from './liveFeed';
import { capPage } from './pages';

/** Options of `createLicenseContacts`. */
export interface LicenseContactsOptions {
  /** Where licenses live; default `memoryStorage()`. */
  storage?: LicenseStorage;
  /** Who may do what (R4–R6); default `defaultPolicy`. */
  policy?: Policy;
  /** The time of changes: a function or an object with `now()`, answering a Date, epoch ms or ISO string; default `Date`. */
  clock?: Clock;
  /** Re-reads after a stale version before giving up with CONFLICT; default 5. */
  maxRetries?: number;
  /** Milliseconds to wait before retry `attempt` (1-based); default a jittered 2^attempt ms. */
  retryDelay?: (attempt: number) => number;
  /**
   * Licenses whose last seen version a command may start from instead of reading it first (the
   * compare-and-set catches a stale one); default 1,000, 0 reads before every command.
   */
  cacheSize?: number;
  /**
   * Whether adding a new person needs their consent first (§7): `'never'` (default; the seed's direct
   * add), `'otherDomains'` (people outside the actor's company are invited), `'always'`.
   */
  invitations?: InvitationMode;
  /** Milliseconds a request stays open, by the service's clock; default 14 days. */
  requestTtl?: number;
  /** Temporary bounces in a row after which an address counts as unreachable; default 3. */
  softBounceLimit?: number;
}

/** A source of the current time. */
export type Clock = (() => Date | number | string) | { now(): Date | number | string };

/** The service: system-level calls, and `as(actor)` for everything a signed-in person does. */
export interface LicenseContacts {
  readonly storage: LicenseStorage;
  readonly policy: Policy;
  /** Creates a license with its main technical and billing contacts (system level: no actor check). */
  createLicense(input: CreateLicenseInput): Promise<License>;
  /** A license by id, or `null` (system level). */
  findLicense(licenseId: string): Promise<License | null>;
  /** Who receives mail about a topic (R7). */
  recipients(licenseId: string, topic: Topic): Promise<Recipients>;
  /** Whether the person is a technical contact, who may request support (R7); false for an unknown license. */
  canRequestSupport(licenseId: string, email: string): Promise<boolean>;
  /** A request by id as it stands now, or `null` (system level). */
  findRequest(requestId: string): Promise<PendingRequest | null>;
  /**
   * Records that mail to the address bounced (§7): a permanent refusal makes it unreachable at once,
   * temporary ones after `softBounceLimit` in a row. `recipients` then passes it over.
   */
  reportBounce(email: string, report: BounceReport): Promise<AddressStatus>;
  /** Records that the address works again (its owner confirmed it): reachable, bounces forgotten. */
  confirmAddress(email: string): Promise<AddressStatus>;
  /** What bounce reports said of the address. */
  addressStatus(email: string): Promise<AddressStatus>;
  /** The change feed of every license, oldest first (system level); page with `after`. */
  changes(options?: ChangesOptions): Promise<Page<AuditEntry>>;
  /**
   * Calls `listener` after every commit, in seq order, once each: this instance's, and other
   * instances' too when the storage can `watch`. Returns the function that unsubscribes it.
   */
  subscribe(listener: (event: LicenseContactsEvent) => void): () => void;
  /** The interface of one signed-in person (or staff member). */
  as(actor: Actor): LicenseContactsApi;
}

/** A commit refused for a stale version: the command is re-read and re-applied. */
/**
 * Thrown by a replacement's decision that changes a license before the leaver's requests were read;
 * never leaves the service. A library error, so the storage guard and the row-lock path pass it on as is.
 */
const NEEDS_REQUESTS = /* @__PURE__ */ new LicenseContactsError(
  'CONFLICT',
  'The leaver’s pending requests are needed first',
);

/** The most commands one turn of a license runs together on the row-lock path. */
const MAX_GROUP = 64;

class StaleRead {
  constructor(readonly error: LicenseContactsError) {}
}

function notFound(licenseId: string): LicenseContactsError {
  return new LicenseContactsError('NOT_FOUND', `License ${licenseId} not found`);
}

function readOptions(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new LicenseContactsError('VALIDATION', 'options must be an object', { field: 'options' });
  }
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(options)) own[key] = (options as Record<string, unknown>)[key];
  return own;
}

function readSignal(options: Record<string, unknown>): void {
  const signal = options.signal;
  if (signal instanceof AbortSignal) signal.throwIfAborted();
}

function readExpectedVersion(options: Record<string, unknown>): number | undefined {
  const value = options.expectedVersion;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new LicenseContactsError('VALIDATION', 'expectedVersion must be a positive integer', {
      field: 'expectedVersion',
    });
  }
  return value;
}

const defaultRetryDelay = (attempt: number) => Math.random() * 2 ** attempt;

/** Identities whose Api methods `as()` keeps for reuse. */
const MAX_APIS = 1000;

/**
 * Creates the license contacts service: the only place the rules live.
 * @example
 * const service = createLicenseContacts({ storage: memoryStorage() });
 * await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
 * await service.as({ email: 'alice@acme.test' }).addContact('SEN-1', { email, name, roles: ['technical'] });
 */
export function createLicenseContacts(options: LicenseContactsOptions = {}): LicenseContacts {
  const storage = options.storage ?? memoryStorage();
  const policy = options.policy ?? defaultPolicy;
  const clock = options.clock ?? Date.now;
  const maxRetries = options.maxRetries ?? 5;
  const retryDelay = options.retryDelay ?? defaultRetryDelay;
  const cacheSize = options.cacheSize ?? 1000;
  const invitations = options.invitations ?? 'never';
  if (!['never', 'otherDomains', 'always'].includes(invitations)) {
    throw new LicenseContactsError('VALIDATION', 'invitations must be never, otherDomains or always', {
      field: 'invitations',
    });
  }
  const rules: RuleOptions = { invitations };
  const requestTtl = options.requestTtl ?? DEFAULT_REQUEST_TTL;
  const softBounceLimit = options.softBounceLimit ?? 3;
  const queue = new KeyedQueue();
  /** The last version of each license this instance read or committed, least recently used first. */
  const known = new Map<string, License>();
  /**
   * Licenses another writer changed behind this instance's back (its compare-and-set failed): with
   * the row-lock path, their commands skip the attempt from the known version, which would only
   * queue for the row to fail. One found unchanged under the lock is no longer contended.
   */
  const contended = new Set<string>();
  const live = new LiveFeed(storage);

  function markContended(id: string): void {
    contended.add(id);
    if (contended.size > Math.max(cacheSize, 1)) contended.delete(contended.values().next().value as string);
  }

  /** Runs a storage call; anything but a library error becomes STORAGE, with the driver error as cause. */
  async function guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof LicenseContactsError) throw error;
      throw new LicenseContactsError('STORAGE', 'The storage is unavailable; nothing was changed', {
        cause: error,
      });
    }
  }

  /** The license `known` holds last: remembering it again keeps it there without moving it. */
  let newest: string | undefined;

  function remember(license: License): void {
    if (cacheSize <= 0) return;
    // A delete and set per command leaves the map a deleted slot each time, and it rebuilds itself often.
    if (newest !== license.id) {
      known.delete(license.id);
      newest = license.id;
    }
    known.set(license.id, license);
    if (known.size > cacheSize) known.delete(known.keys().next().value as string);
  }

  function forget(id: string): void {
    known.delete(id);
    if (id === newest) newest = undefined;
  }

  /** Request and address writes (§7) committed with the licenses and entries. */
  type ConsentWrites = { requests?: RequestWrite[]; addresses?: AddressWrite[] };

  /** The commit of what was applied: one write per license, at its last version (commands in turn). */
  function batchOf(applied: Applied[], created: boolean, extra: ConsentWrites = {}): StorageCommit {
    // A command's licenses differ; the commands of one turn follow each other on one license.
    const writes: LicenseWrite[] = [];
    for (const { license } of applied) {
      const last = writes[writes.length - 1];
      if (last?.license.id === license.id) last.license = license;
      else writes.push({ license, expectedVersion: created ? null : license.version - 1 });
    }
    return {
      writes,
      audit: applied.map(({ entry }) => entry),
      ...(extra.requests?.length ? { requests: extra.requests } : {}),
      ...(extra.addresses?.length ? { addresses: extra.addresses } : {}),
    };
  }

  async function commit(applied: Applied[], created: boolean, extra: ConsentWrites = {}): Promise<void> {
    const batch = batchOf(applied, created, extra);
    let entries: AuditEntry[];
    live.committing(applied);
    try {
      entries = await guard(() => storage.commit(batch));
    } catch (error) {
      live.committed(applied);
      // Whatever happened, the next command on these licenses reads them first.
      for (const { license } of applied) forget(license.id);
      if (error instanceof LicenseContactsError && error.code === 'CONFLICT') throw new StaleRead(error);
      throw error;
    }
    for (const { license } of applied) remember(license);
    live.committed(applied, entries);
  }

  /**
   * The row-lock path (storages that declare `locked`): `decide` runs on the licenses as read while
   * their rows are held, and what it applies is committed before they are let go, so writers of one
   * license wait for each other instead of conflicting. What `decide` throws is the answer; a commit
   * refused even so (a writer outside the locks) is a stale read, retried.
   */
  async function underLock<T>(
    ids: string[],
    decide: (read: ReadonlyMap<string, License | null>) => {
      value: T;
      applied: Applied[];
      extra?: ConsentWrites;
    },
    options?: { ifContact?: string },
  ): Promise<T> {
    const locked = storage.locked?.bind(storage) as NonNullable<LicenseStorage['locked']>;
    let applied: Applied[] = [];
    let refusal: unknown;
    try {
      const { value, entries } = await guard(() =>
        locked(
          ids,
          (read) => {
            for (const license of read.values()) if (license) remember(license);
            let decided: { value: T; applied: Applied[]; extra?: ConsentWrites };
            try {
              decided = decide(read);
            } catch (error) {
              refusal = error;
              throw error;
            }
            applied = decided.applied;
            if (applied.length === 0) return { value: decided.value };
            live.committing(applied);
            return { value: decided.value, commit: batchOf(applied, false, decided.extra) };
          },
          options,
        ),
      );
      for (const { license } of applied) remember(license);
      if (applied.length > 0) live.committed(applied, entries);
      return value;
    } catch (error) {
      if (applied.length > 0) live.committed(applied);
      for (const id of ids) forget(id);
      if (error === refusal) throw error;
      if (error instanceof LicenseContactsError && error.code === 'CONFLICT') throw new StaleRead(error);
      throw error;
    }
  }

  /** Runs `attempt` until it commits without a stale version, at most `maxRetries` more times. */
  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StaleRead)) throw error;
        if (retry >= maxRetries) throw error.error;
        const delay = retryDelay(retry + 1);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * A command's answer: the license after it, or its refusal. `final`: decided on the license as
   * read, before any other command of its turn changed it, so it stands even if their commit fails.
   */
  type Outcome = ({ value: License } | { error: unknown }) & { final?: boolean };

  /** A command on one license waiting for the license's turn, as its actor runs it. */
  interface Waiting {
    /** Whether its actor sees the license in this state. */
    sees(license: License): boolean;
    /** The command on the license as read or as the one before it left it; throws its refusal. */
    apply(license: License): Applied | null;
    ifContact: string | undefined;
    outcome?: Outcome;
  }

  /** Whether commands may share a turn: the row-lock path, and commits of several versions of a license. */
  const grouping = storage.locked !== undefined && storage.multiVersionWrites === true;

  /** Commands waiting for each license's turn, in arrival order, since the last other task queued on it. */
  const waiting = new Map<string, Waiting[]>();

  /**
   * Runs a command in its license's turn. On the row-lock path (with `multiVersionWrites`) the
   * commands queued right behind it by then run in the same turn, up to MAX_GROUP: one after the other, each on what the one before
   * left, in one transaction, so a hot license's writers share one lock and one round trip instead
   * of waiting for the row one by one. Each keeps its own answer, version and entry; a refusal
   * refuses it alone, while a storage failure (or a conflict outlasting the retries) fails those
   * not decided on the license as read. Another task queued on the license in between (a
   * multi-license command, a request) keeps its place: the commands behind it wait for their own turn.
   */
  function inTurn(id: string, job: Waiting): Promise<License> {
    // Nobody to share the turn with (or no grouping): it runs alone, at once if the license is free.
    if (!grouping || (!waiting.has(id) && queue.isFree(id))) {
      return queue.run([id], async () => answer(((await runJobs(id, [job])) as [Outcome])[0]));
    }
    const group = waiting.get(id) ?? [];
    waiting.set(id, group);
    group.push(job);
    return queue.run([id], async () => {
      // An earlier turn may have run it already.
      if (job.outcome === undefined) {
        const jobs = group.splice(0, MAX_GROUP);
        if (group.length === 0 && waiting.get(id) === group) waiting.delete(id);
        const outcomes = await runJobs(id, jobs);
        jobs.forEach((queued, i) => {
          queued.outcome = outcomes[i] as Outcome;
        });
      }
      return answer(job.outcome as Outcome);
    });
  }

  function answer(outcome: Outcome): License {
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** Queues a task other than a single-license command: the commands queued before it run before it. */
  function exclusive<T>(ids: readonly string[], task: () => Promise<T>): Promise<T> {
    for (const id of ids) waiting.delete(id);
    return queue.run(ids, task);
  }

  /** Runs the commands of one turn: from the known copy if it commits, else as stored; answers each. */
  async function runJobs(id: string, jobs: readonly Waiting[]): Promise<Outcome[]> {
    /** The last attempt's answers: those decided on the read stand whatever the commit did. */
    const tried: { outcomes?: Outcome[] } = {};
    try {
      const cached = known.get(id);
      const hot = storage.locked !== undefined && contended.has(id);
      return (
        (cached && !hot && (await fromKnown(cached, jobs))) ||
        (await withRetries(() => fromStorage(id, jobs, tried, cached)))
      );
    } catch (error) {
      return jobs.map((_, i) => {
        const decided = tried.outcomes?.[i];
        return decided?.final ? decided : { error };
      });
    }
  }

  /**
   * Tries the commands on the version this instance last saw, without reading: within the queue it
   * is current unless another process wrote since, which the compare-and-set finds out. Only a
   * successful commit is answered from it; a refusal or no-op is confirmed on a fresh read, so a
   * stale copy can cost a wasted attempt, never a wrong answer.
   */
  async function fromKnown(cached: License, jobs: readonly Waiting[]): Promise<Outcome[] | null> {
    const { value, applied } = inOrder(cached.id, cached, jobs);
    if (applied.length < jobs.length) return null;
    try {
      await commit(applied, false);
    } catch (error) {
      if (!(error instanceof StaleRead)) throw error;
      markContended(cached.id);
      return null;
    }
    return value;
  }

  /** Runs the commands on the license as stored: read and written under its row lock where the storage has one. */
  async function fromStorage(
    id: string,
    jobs: readonly Waiting[],
    tried: { outcomes?: Outcome[] },
    cached?: License,
  ): Promise<Outcome[]> {
    const first = (jobs[0] as Waiting).ifContact;
    const options =
      first !== undefined && jobs.every((job) => job.ifContact === first) ? { ifContact: first } : undefined;
    const decide = (license: License | null) => {
      const decided = inOrder(id, license, jobs);
      tried.outcomes = decided.value;
      return decided;
    };
    if (storage.locked) {
      const seen = known.get(id)?.version ?? cached?.version;
      return underLock(
        [id],
        (read) => {
          const license = read.get(id) ?? null;
          if (license && license.version === seen) contended.delete(id);
          return decide(license);
        },
        options,
      );
    }
    const license = await guard(() => storage.getLicense(id, options));
    if (license) remember(license);
    const { value, applied } = decide(license);
    if (applied.length > 0) await commit(applied, false);
    return value;
  }

  /**
   * The commands one after the other, each on what the one before left. Who cannot see the license
   * as read is answered first, exactly as if it did not exist (R4): the others' commands, and whether
   * they commit, change nothing for them.
   */
  function inOrder(
    id: string,
    read: License | null,
    jobs: readonly Waiting[],
  ): { value: Outcome[]; applied: Applied[] } {
    const applied: Applied[] = [];
    const value = jobs.map((job): Outcome | undefined =>
      read && job.sees(read) ? undefined : { error: notFound(id), final: true },
    );
    let license = read as License;
    jobs.forEach((job, i) => {
      if (value[i]) return;
      const final = applied.length === 0;
      try {
        // As read it was seen above; after another command's step it is asked again.
        if (license !== read && !job.sees(license)) throw notFound(id);
        const step = job.apply(license);
        if (!step) {
          value[i] = { value: license, final };
          return;
        }
        applied.push(step);
        license = step.license;
        value[i] = { value: step.license };
      } catch (error) {
        value[i] = { error, final };
      }
    });
    return { value: value as Outcome[], applied };
  }

  // Commands within one millisecond share its ISO text: formatting it is a good part of a fast command.
  let lastMs = Number.NaN;
  let lastIso = '';
  const now = () => {
    const read = typeof clock === 'function' ? clock() : clock.now();
    const ms = typeof read === 'number' ? read : new Date(read).getTime();
    if (ms !== lastMs) {
      lastIso = new Date(ms).toISOString();
      lastMs = ms;
    }
    return lastIso;
  };

  async function createLicense(input: CreateLicenseInput): Promise<License> {
    const parsed = parseCreateLicenseInput(input);
    return exclusive([parsed.id], () =>
      withRetries(async () => {
        if (await guard(() => storage.getLicense(parsed.id))) {
          throw new LicenseContactsError('DUPLICATE', `License ${parsed.id} already exists`, { field: 'id' });
        }
        const applied = createLicenseState(parsed, now());
        await commit([applied], true);
        return applied.license;
      }),
    );
  }

  async function findLicense(licenseId: string): Promise<License | null> {
    const id = parseLicenseId(licenseId);
    return guard(() => storage.getLicense(id));
  }

  /** Whether mail to the address arrives, as bounce reports told. */
  function statusOf(email: string, stored: StoredAddress | undefined): AddressStatus {
    const status: AddressStatus = {
      email,
      reachable: !(stored?.permanent === true || (stored?.bounces ?? 0) >= softBounceLimit),
      bounces: stored?.bounces ?? 0,
      permanent: stored?.permanent === true,
    };
    if (stored?.reason !== undefined) status.reason = stored.reason;
    if (stored?.bouncedAt !== undefined) status.bouncedAt = stored.bouncedAt;
    if (stored?.confirmedAt !== undefined) status.confirmedAt = stored.confirmedAt;
    return status;
  }

  /** The addresses among these whose mail bounces. */
  async function unreachableOf(emails: readonly string[]): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const stored = await guard(() => storage.getAddresses(emails));
    return new Set(stored.filter((a) => !statusOf(a.email, a).reachable).map((a) => a.email));
  }

  async function recipients(licenseId: string, topic: Topic): Promise<Recipients> {
    const which = parseTopic(topic);
    const license = await findLicense(licenseId);
    if (!license) throw notFound(licenseId);
    const bouncing = await unreachableOf(license.contacts.map((c) => c.email));
    const reachable = (email: string) => !bouncing.has(email);
    const unreachable: string[] = [];
    /** The first reachable contact of the role, and the bouncing ones passed over on the way. */
    const mainReached = (role: Role): string[] => {
      for (const email of license[role]) {
        if (reachable(email)) return [email];
        unreachable.push(email);
      }
      return [];
    };
    const unique = (emails: string[]) => [...new Set(emails)];
    const answer = (to: string[], cc: string[]): Recipients => {
      const sent = new Set([...to, ...cc]);
      return { to: unique(to), cc: unique(cc), unreachable: unique(unreachable).filter((e) => !sent.has(e)) };
    };
    switch (which) {
      case 'license':
        return answer([...mainReached('technical'), ...mainReached('billing')], []);
      case 'invoice': {
        const to = mainReached('billing');
        const cc = license.billing.filter((email) => !to.includes(email));
        for (const email of cc) if (!reachable(email)) unreachable.push(email);
        return answer(to, cc.filter(reachable));
      }
      case 'support':
      case 'releases':
        for (const email of license.technical) if (!reachable(email)) unreachable.push(email);
        return answer(license.technical.filter(reachable), []);
    }
  }

  async function addressStatus(email: string): Promise<AddressStatus> {
    const who = parseEmail(email);
    const [stored] = await guard(() => storage.getAddresses([who]));
    return statusOf(who, stored);
  }

  /** Writes the address record `next` makes of the stored one, with a compare-and-set, retried. */
  async function updateAddress(
    email: string,
    next: (stored: StoredAddress | undefined, at: string) => Omit<StoredAddress, 'version'>,
  ): Promise<AddressStatus> {
    // Queued per address (a key no license id can be), so this instance's reports never conflict.
    return exclusive([`@${email}`], () =>
      withRetries(async () => {
        const [stored] = await guard(() => storage.getAddresses([email]));
        const address: StoredAddress = { ...next(stored, now()), version: (stored?.version ?? 0) + 1 };
        await commit([], false, { addresses: [{ address, expectedVersion: stored?.version ?? null }] });
        return statusOf(email, address);
      }),
    );
  }

  async function reportBounce(email: string, report: BounceReport): Promise<AddressStatus> {
    const who = parseEmail(email);
    const r = readOptions(report);
    if (typeof r.permanent !== 'boolean') {
      throw new LicenseContactsError('VALIDATION', 'permanent must be a boolean', { field: 'permanent' });
    }
    const permanent = r.permanent;
    if (r.reason !== undefined && typeof r.reason !== 'string') {
      throw new LicenseContactsError('VALIDATION', 'reason must be a string', { field: 'reason' });
    }
    // A mail server's words, kept readable: one line, at most 500 characters.
    const reason = r.reason
      ?.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
      .trim()
      .slice(0, 500);
    return updateAddress(who, (stored, at) => {
      const address: Omit<StoredAddress, 'version'> = {
        email: who,
        bounces: (stored?.bounces ?? 0) + (permanent ? 0 : 1),
        permanent: permanent || stored?.permanent === true,
        bouncedAt: at,
      };
      if (reason) address.reason = reason;
      if (stored?.confirmedAt !== undefined) address.confirmedAt = stored.confirmedAt;
      return address;
    });
  }

  async function confirmAddress(email: string): Promise<AddressStatus> {
    const who = parseEmail(email);
    return updateAddress(who, (_stored, at) => ({
      email: who,
      bounces: 0,
      permanent: false,
      confirmedAt: at,
    }));
  }

  async function findRequest(requestId: string): Promise<PendingRequest | null> {
    const id = parseRequestId(requestId);
    const stored = await guard(() => storage.getRequest(id));
    return stored && presentRequest(stored, now());
  }

  /** Every request of a storage query, page after page. */
  async function allRequests(query: Omit<StorageRequestQuery, 'limit' | 'after'>): Promise<StoredRequest[]> {
    const found: StoredRequest[] = [];
    let after: string | undefined;
    do {
      const page = await guard(() =>
        storage.listRequests({ ...query, limit: 200, ...(after === undefined ? {} : { after }) }),
      );
      found.push(...page.items);
      after = page.nextCursor;
    } while (after !== undefined);
    return found;
  }

  async function canRequestSupport(licenseId: string, email: string): Promise<boolean> {
    const who = parseEmail(email);
    const license = await findLicense(licenseId);
    return license?.technical.includes(who) ?? false;
  }

  /** A page of the change feed, of every license or of one person's (`email`), at most 1 MiB. */
  async function feed(opts: unknown, email: string | undefined): Promise<Page<AuditEntry>> {
    const o = readOptions(opts);
    readSignal(o);
    const limit = parseLimit(o.limit);
    if (o.after !== undefined) parseSeq(o.after, 'after');
    const after = o.after as string | undefined;
    const page = await guard(() =>
      storage.listChanges({
        limit,
        ...(after === undefined ? {} : { after }),
        ...(email === undefined ? {} : { email }),
      }),
    );
    return capPage(page, (entry) => entry.seq);
  }

  /** The seq of the last entry of the whole feed: asked of the storage, or read to the feed's end. */
  async function lastSeq(): Promise<string | undefined> {
    const head = storage.headSeq?.bind(storage);
    if (head) return guard(head);
    let last: string | undefined;
    for (;;) {
      const page = await guard(() =>
        storage.listChanges({ limit: 200, ...(last === undefined ? {} : { after: last }) }),
      );
      last = page.items.at(-1)?.seq ?? last;
      if (page.nextCursor === undefined) return last;
    }
  }

  /** The Api of each recent identity (email as given, staff or not), least recently made first. */
  const apis = new Map<string, LicenseContactsApi>();

  /**
   * `as(actor)`: an identity seen lately reuses its methods (parsing the email and building them costs
   * more than a small read). Every call still gets an object of its own: changing one changes no other.
   */
  function as(who: Actor): LicenseContactsApi {
    const email = typeof who === 'object' && who !== null ? who.email : undefined;
    if (typeof email !== 'string') return actorApi(who);
    const key = `${who.staff === true ? 'staff' : 'person'} ${email}`;
    let api = apis.get(key);
    if (!api) {
      api = actorApi({ email, staff: who.staff === true });
      if (apis.size >= MAX_APIS) apis.delete(apis.keys().next().value as string);
      apis.set(key, api);
    }
    return { ...api };
  }

  function actorApi(who: Actor): LicenseContactsApi {
    if (typeof who !== 'object' || who === null) {
      throw new LicenseContactsError('VALIDATION', 'actor must be an object', { field: 'actor' });
    }
    const actor: Actor = Object.freeze({
      email: parseEmail(who.email, 'actor.email'),
      staff: who.staff === true,
    });

    // The policy declares that only contacts (and staff) see a license: ask the email index first.
    const onlyContacts =
      !actor.staff &&
      policy.viewedByContactsOnly !== undefined &&
      policy.viewedByContactsOnly === policy.canView;
    const getOptions = onlyContacts ? { ifContact: actor.email } : undefined;

    /** The license if the actor may see it, else `null`: a hidden license costs no more than a missing one. */
    async function readVisible(licenseId: string): Promise<License | null> {
      const license = await guard(() => storage.getLicense(licenseId, getOptions));
      if (license) remember(license);
      return license && policy.canView({ license, actor }) ? license : null;
    }

    /** The license if the actor may see it; NOT_FOUND otherwise, exactly as if it did not exist (R4). */
    async function visible(licenseId: string): Promise<License> {
      const license = await readVisible(licenseId);
      if (!license) throw notFound(licenseId);
      return license;
    }

    /** `expectedVersion` (HTTP `If-Match`): CONFLICT unless the license is still at that version. */
    function checkVersion(license: License, expectedVersion: number | undefined): void {
      if (expectedVersion !== undefined && license.version !== expectedVersion) {
        throw new LicenseContactsError(
          'CONFLICT',
          `License ${license.id} is at version ${license.version}, not ${expectedVersion}`,
        );
      }
    }

    /** A command on one license, in the license's turn (with the commands queued behind it). */
    function run(licenseId: unknown, command: Command, expectedVersion?: number): Promise<License> {
      const id = parseLicenseId(licenseId);
      return inTurn(id, {
        ifContact: getOptions?.ifContact,
        sees: (license) => policy.canView({ license, actor }),
        apply(license) {
          checkVersion(license, expectedVersion);
          return applyCommand(license, command, actor, policy, now(), rules);
        },
      });
    }

    return {
      async me() {
        return { email: actor.email, staff: actor.staff === true };
      },

      async listLicenses(opts) {
        const o = readOptions(opts);
        readSignal(o);
        const limit = parseLimit(o.limit);
        const cursor = o.cursor === undefined ? undefined : parseLicenseId(o.cursor, 'cursor');
        const query = parseQuery(o.query);
        // The storage narrows by contact email; the policy has the last word on what the actor sees.
        const items: License[] = [];
        let after = cursor;
        for (;;) {
          const page = await guard(() =>
            storage.listLicenses({
              limit: limit - items.length,
              ...(actor.staff ? {} : { email: actor.email }),
              ...(query === undefined ? {} : { query }),
              ...(after === undefined ? {} : { after }),
            }),
          );
          for (const license of page.items) if (policy.canView({ license, actor })) items.push(license);
          after = page.nextCursor;
          if (after === undefined) return { items };
          if (items.length === limit) return { items, nextCursor: (items.at(-1) as License).id };
        }
      },

      async getLicense(licenseId, opts) {
        const o = readOptions(opts);
        readSignal(o);
        const id = parseLicenseId(licenseId);
        const at = o.at === undefined ? undefined : parseInstant(o.at, 'at');
        const license = await visible(id);
        if (at === undefined || Date.parse(license.updatedAt) <= at) return license;
        // A past state is history: the same decision as reading the history.
        const decision = policy.viewHistory({ license, actor });
        if (!decision.allowed) throw refusalError(decision, id);
        return licenseAt(license, at);
      },

      async addContact(licenseId, input, opts) {
        const o = readOptions(opts);
        readSignal(o);
        const command: Command = { type: 'addContact', input: parseAddContactInput(input) };
        return run(licenseId, command, readExpectedVersion(o));
      },

      async setMain(licenseId, role, email, opts) {
        const o = readOptions(opts);
        readSignal(o);
        const command: Command = { type: 'setMain', role: parseRole(role), email: parseEmail(email) };
        return run(licenseId, command, readExpectedVersion(o));
      },

      async removeContact(licenseId, email, opts) {
        const o = readOptions(opts);
        readSignal(o);
        const command: Command = {
          type: 'removeContact',
          email: parseEmail(email),
          ...(o.role === undefined ? {} : { role: parseRole(o.role) }),
          ...(o.successor === undefined ? {} : { successor: parseEmail(o.successor, 'successor') }),
        };
        return run(licenseId, command, readExpectedVersion(o));
      },

      async replaceContact(oldEmail, successor, opts): Promise<ReplaceResult> {
        const o = readOptions(opts);
        readSignal(o);
        const email = parseEmail(oldEmail);
        const person = parsePerson(successor, 'successor');
        if (person.email === email) {
          throw new LicenseContactsError(
            'VALIDATION',
            'The successor must be someone other than the contact replaced',
            {
              field: 'successor.email',
            },
          );
        }
        const dryRun = o.dryRun === undefined ? false : o.dryRun;
        if (typeof dryRun !== 'boolean') {
          throw new LicenseContactsError('VALIDATION', 'dryRun must be a boolean', { field: 'dryRun' });
        }
        let named: string[] | undefined;
        if (o.licenseIds !== undefined) {
          if (!Array.isArray(o.licenseIds) || o.licenseIds.length === 0 || o.licenseIds.length > 1000) {
            throw new LicenseContactsError('VALIDATION', 'licenseIds must be a list of 1–1000 license ids', {
              field: 'licenseIds',
            });
          }
          named = [...new Set(o.licenseIds.map((id) => parseLicenseId(id, 'licenseIds')))];
        }
        const ids = named ?? (await licensesOf(email));
        const command: Command = { type: 'replaceContact', email, successor: person };

        /**
         * The change set on the licenses as read (`null`: gone, or not visible to the actor), with the
         * leaver's pending requests on them cancelled (§7, written with a compare-and-set). Those are read
         * only once something changes (`NEEDS_REQUESTS` asks for them), so a call that changes nothing,
         * such as an outsider's, reads no request.
         */
        const decide = (
          read: (id: string) => License | null,
          pending: StoredRequest[] | undefined,
          at: string,
        ) => {
          const result: ReplaceResult = { dryRun, changed: [], skipped: [], cancelledRequests: [] };
          const applied: Applied[] = [];
          const cancelled: RequestWrite[] = [];
          for (const id of ids) {
            const found = read(id);
            const license = found && policy.canView({ license: found, actor }) ? found : null;
            if (!license) {
              if (named) throw notFound(id);
              continue; // gone, or no longer visible since the listing: not in scope
            }
            const decision = checkCommand(license, command, actor, policy, rules);
            if (!decision.allowed) {
              if (named) throw refusalError(decision, id);
              // A license the person left since the listing is out of scope, not skipped.
              if (decision.reason !== 'NOT_A_CONTACT') {
                result.skipped.push({ licenseId: id, reason: decision.reason, message: decision.message });
              }
              continue;
            }
            let next = applyCommand(license, command, actor, policy, at, rules) as Applied;
            if (pending === undefined) throw NEEDS_REQUESTS;
            // §7: the leaver's pending requests on this license end with their leaving.
            const leaving = pending.filter((request) => request.licenseId === id);
            if (leaving.length > 0) {
              const closed = leaving.map((request) => closeRequest(request, 'cancelled', at));
              next = { license: next.license, entry: { ...next.entry, requests: closed.map(summarize) } };
              closed.forEach((request, k) => {
                cancelled.push({ request, expectedVersion: (leaving[k] as StoredRequest).version });
              });
              for (const request of dryRun ? leaving : closed) {
                result.cancelledRequests.push(withActions(request, next.license, at));
              }
            }
            applied.push(next);
            result.changed.push({ licenseId: id, before: license, after: next.license });
          }
          return { value: result, applied: dryRun ? [] : applied, extra: { requests: cancelled } };
        };

        return exclusive(ids, () =>
          withRetries(async () => {
            const at = now();
            let pending: StoredRequest[] | undefined;
            const leaverRequests = () => allRequests({ party: email, state: 'pending', now: at });
            if (storage.locked && !dryRun && ids.length > 0) {
              for (;;) {
                try {
                  return await underLock(
                    ids,
                    (read) => decide((id) => read.get(id) ?? null, pending, at),
                    getOptions,
                  );
                } catch (error) {
                  // Nothing was written: read the leaver's requests and decide again under the locks.
                  if (error !== NEEDS_REQUESTS || pending !== undefined) throw error;
                  pending = await leaverRequests();
                }
              }
            }
            const read = new Map<string, License | null>();
            for (const id of ids) read.set(id, await readVisible(id));
            const get = (id: string) => read.get(id) ?? null;
            let decided: ReturnType<typeof decide>;
            try {
              decided = decide(get, pending, at);
            } catch (error) {
              if (error !== NEEDS_REQUESTS) throw error;
              pending = await leaverRequests();
              decided = decide(get, pending, at);
            }
            const { value, applied, extra } = decided;
            if (applied.length > 0) await commit(applied, false, extra);
            return value;
          }),
        );
      },

      async history(licenseId, opts) {
        const o = readOptions(opts);
        readSignal(o);
        const id = parseLicenseId(licenseId);
        const limit = parseLimit(o.limit);
        let beforeVersion: number | undefined;
        if (o.cursor !== undefined) {
          beforeVersion =
            typeof o.cursor === 'string' && /^[1-9]\d{0,15}$/.test(o.cursor) ? Number(o.cursor) : NaN;
          if (Number.isNaN(beforeVersion)) {
            throw new LicenseContactsError('VALIDATION', 'cursor is not one this call returned', {
              field: 'cursor',
            });
          }
        }
        // Every version is below a cursor past the highest one: no bound (a driver never sees it).
        if (beforeVersion !== undefined && beforeVersion > MAX_VERSION) beforeVersion = undefined;
        const license = await visible(id);
        const decision = policy.viewHistory({ license, actor });
        if (!decision.allowed) throw refusalError(decision, id);
        const page = await guard(() =>
          storage.listAudit(id, { limit, ...(beforeVersion === undefined ? {} : { beforeVersion }) }),
        );
        return capPage(page, (entry) => String(entry.version));
      },

      changes: (opts) => feed(opts, actor.staff ? undefined : actor.email),

      watch(listener, opts) {
        const o = readOptions(opts);
        if (typeof listener !== 'function') {
          throw new LicenseContactsError('VALIDATION', 'listener must be a function', { field: 'listener' });
        }
        if (o.after !== undefined) parseSeq(o.after, 'after');
        const email = actor.staff ? undefined : actor.email;
        return watchActor(
          {
            feed: live,
            email: actor.email,
            changes: (after) =>
              guard(() =>
                storage.listChanges({
                  limit: 200,
                  ...(after === undefined ? {} : { after }),
                  ...(email === undefined ? {} : { email }),
                }),
              ),
            last: () => lastSeq(),
            licenses: async () => (email === undefined ? null : new Set(await licensesOf(email))),
          },
          listener,
          {
            ...(o.after === undefined ? {} : { after: o.after as string }),
            ...(typeof o.onError === 'function' ? { onError: o.onError as (error: unknown) => void } : {}),
            ...(typeof o.onOpen === 'function' ? { onOpen: o.onOpen as (position: string) => void } : {}),
          },
        );
      },

      async permissions(licenseId, opts) {
        readSignal(readOptions(opts));
        const license = await visible(parseLicenseId(licenseId));
        const at = now();
        const [pending, unreachable] = await Promise.all([
          guard(() => storage.listRequests({ licenseId: license.id, state: 'pending', now: at, limit: 200 })),
          unreachableOf(license.contacts.map((c) => c.email)),
        ]);
        return permissionsFor(license, actor, policy, {
          ...rules,
          pending: pending.items.map((request) => presentRequest(request, at)),
          unreachable: [...unreachable],
        });
      },

      async invite(licenseId, input, opts) {
        readSignal(readOptions(opts));
        const id = parseLicenseId(licenseId);
        const person = parseAddContactInput(input);
        return exclusive([id], () =>
          withRetries(async () => {
            const license = await visible(id);
            const decision = checkInvite(license, person, actor, policy);
            if (!decision.allowed) throw refusalError(decision, id);
            const at = now();
            // A second invitation of a pending invitee answers the pending one.
            const [open] = await allRequests({
              licenseId: id,
              subject: person.email,
              kind: 'invitation',
              state: 'pending',
              now: at,
            });
            if (open) return withActions(open, license, at);
            const request = newRequest(license, 'invitation', person, person.roles, [person.email], at);
            const applied = applyAgreed(license, null, actor, at, 'invite', {
              email: person.email,
              requests: [summarize(request)],
            });
            await commit([applied], false, { requests: [{ request, expectedVersion: null }] });
            return withActions(request, applied.license, at);
          }),
        );
      },

      async requestTransfer(licenseId, role, email, opts) {
        readSignal(readOptions(opts));
        const id = parseLicenseId(licenseId);
        const which = parseRole(role);
        const who = parseEmail(email);
        return exclusive([id], () =>
          withRetries(async () => {
            const license = await visible(id);
            const decision = checkTransfer(license, which, who, actor, policy);
            if (!decision.allowed) throw refusalError(decision, id);
            const at = now();
            const open = (
              await allRequests({ licenseId: id, subject: who, kind: 'transfer', state: 'pending', now: at })
            ).find((request) => request.roles[0] === which);
            if (open) return withActions(open, license, at);
            const context = { license, actor, role: which, email: who };
            const deciders = (policy.transferDeciders ?? defaultPolicy.transferDeciders)?.(context) ?? [
              mainOf(license, which),
            ];
            const person = { email: who, name: findContact(license, who)?.name ?? who };
            const request: StoredRequest = {
              ...newRequest(license, 'transfer', person, [which], deciders, at),
              currentMain: mainOf(license, which),
            };
            const applied = applyAgreed(license, null, actor, at, 'requestTransfer', {
              email: who,
              role: which,
              requests: [summarize(request)],
            });
            await commit([applied], false, { requests: [{ request, expectedVersion: null }] });
            return withActions(request, applied.license, at);
          }),
        );
      },

      async requests(opts) {
        const o = readOptions(opts);
        readSignal(o);
        const limit = parseLimit(o.limit);
        const licenseId = o.licenseId === undefined ? undefined : parseLicenseId(o.licenseId);
        const state = o.state === undefined ? undefined : parseRequestState(o.state);
        const cursor = o.cursor === undefined ? undefined : parseRequestId(o.cursor, 'cursor');
        const at = now();
        const page = await guard(() =>
          storage.listRequests({
            now: at,
            limit,
            ...(actor.staff ? {} : { email: actor.email }),
            ...(licenseId === undefined ? {} : { licenseId }),
            ...(state === undefined ? {} : { state }),
            ...(cursor === undefined ? {} : { after: cursor }),
          }),
        );
        const ids = [...new Set(page.items.map((request) => request.licenseId))];
        const licenses = new Map(
          await Promise.all(ids.map(async (id) => [id, await guard(() => storage.getLicense(id))] as const)),
        );
        const items: PendingRequest[] = [];
        for (const request of page.items) {
          const license = licenses.get(request.licenseId) ?? null;
          // The storage narrows by the actor's licenses; the policy has the last word (R4).
          if (canSeeRequest(request, license, actor, policy)) items.push(withActions(request, license, at));
        }
        return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor };
      },

      acceptRequest: (requestId, opts) => decide(requestId, 'accept', opts),
      declineRequest: (requestId, opts) => decide(requestId, 'decline', opts),
      cancelRequest: (requestId, opts) => decide(requestId, 'cancel', opts),
    };

    /** The request as it stands at `at`, with what the actor may do with it. */
    function withActions(request: StoredRequest, license: License | null, at: string): PendingRequest {
      const current = presentRequest(request, at);
      return { ...current, actions: requestActions(current, license, actor, policy) };
    }

    /** The request in a final state, decided by the actor at `at`. */
    function closeRequest(request: StoredRequest, state: RequestState, at: string): StoredRequest {
      return { ...request, state, closedBy: actor.email, closedAt: at, version: request.version + 1 };
    }

    function newRequest(
      license: License,
      kind: StoredRequest['kind'],
      person: { email: string; name: string },
      roles: Role[],
      decidedBy: string[],
      at: string,
    ): StoredRequest {
      return {
        id: newRequestId(at),
        kind,
        licenseId: license.id,
        product: license.product,
        email: person.email,
        name: person.name,
        roles,
        requestedBy: actor.email,
        decidedBy,
        createdAt: at,
        expiresAt: new Date(Date.parse(at) + requestTtl).toISOString(),
        state: 'pending',
        version: 1,
      };
    }

    /**
     * Accepts, declines or cancels a request in one commit with its license's new version and entry.
     * Accepting applies the change on the license as it is now; a transfer whose position changed
     * meanwhile is cancelled, decidable by nobody, and the call fails with CONFLICT.
     */
    async function decide(
      requestId: unknown,
      what: 'accept' | 'decline' | 'cancel',
      opts: unknown,
    ): Promise<PendingRequest> {
      readSignal(readOptions(opts));
      const id = parseRequestId(requestId);
      const requestNotFound = () => new LicenseContactsError('NOT_FOUND', `Request ${id} not found`);
      const first = await guard(() => storage.getRequest(id));
      if (!first) throw requestNotFound();
      return exclusive([first.licenseId], () =>
        withRetries(async () => {
          const stored = await guard(() => storage.getRequest(id));
          const license = stored && (await guard(() => storage.getLicense(stored.licenseId)));
          if (!stored || !license || !canSeeRequest(stored, license, actor, policy)) throw requestNotFound();
          remember(license);
          const at = now();
          const decision = withActions(stored, license, at).actions?.[what];
          if (decision && !decision.allowed) throw refusalError(decision, license.id);
          const role = stored.kind === 'transfer' ? (stored.roles[0] as Role) : undefined;
          const details = { email: stored.email, ...(role === undefined ? {} : { role }) };
          const write = (request: StoredRequest, command: Command | null, action: AuditEntry['action']) => {
            const applied = applyAgreed(license, command, actor, at, action, {
              ...details,
              requests: [summarize(request)],
            });
            return commit([applied], false, {
              requests: [{ request, expectedVersion: stored.version }],
            }).then(() => applied.license);
          };
          if (what !== 'accept') {
            const closed = closeRequest(stored, what === 'decline' ? 'declined' : 'cancelled', at);
            return withActions(closed, await write(closed, null, `${what}Request`), at);
          }
          let command: Command | null = null;
          if (role === undefined) {
            // R3: the roles the invitee does not hold yet are added; the others they have already.
            const held = findContact(license, stored.email)?.roles ?? [];
            const roles = stored.roles.filter((r) => !held.includes(r));
            if (roles.length > 0) {
              command = { type: 'addContact', input: { email: stored.email, name: stored.name, roles } };
            }
          } else if (
            mainOf(license, role) !== stored.currentMain ||
            !holdsRole(license, role, stored.email)
          ) {
            await write(closeRequest(stored, 'cancelled', at), null, 'cancelRequest');
            throw new LicenseContactsError(
              'CONFLICT',
              `The main ${role} contact of ${license.id} changed since this transfer was asked; it is cancelled`,
              { reason: 'POSITION_CHANGED' },
            );
          } else {
            command = { type: 'setMain', role, email: stored.email };
          }
          const accepted = closeRequest(stored, 'accepted', at);
          return withActions(accepted, await write(accepted, command, 'acceptRequest'), at);
        }),
      );
    }

    /**
     * The license as it was at `at` (epoch ms): its entries up to the last one made by then, replayed
     * from its creation (a clock that went back does not drop a version).
     */
    async function licenseAt(license: License, at: number): Promise<License> {
      const entries: AuditEntry[] = [];
      let version = 0;
      let beforeVersion: number | undefined;
      do {
        const page = await guard(() =>
          storage.listAudit(license.id, {
            limit: 200,
            ...(beforeVersion === undefined ? {} : { beforeVersion }),
          }),
        );
        for (const entry of page.items) {
          entries.push(entry);
          if (Date.parse(entry.at) <= at) version = Math.max(version, entry.version);
        }
        beforeVersion = page.nextCursor === undefined ? undefined : Number(page.nextCursor);
      } while (beforeVersion !== undefined);
      const upTo = entries.filter((entry) => entry.version <= version).reverse();
      const last = upTo.at(-1);
      if (last === undefined || upTo[0]?.version !== 1) {
        throw new LicenseContactsError(
          'NOT_FOUND',
          `License ${license.id} has no recorded state at ${new Date(at).toISOString()}`,
        );
      }
      const { contacts, technical, billing } = replayEntries(upTo);
      return deepFreeze({
        ...license,
        contacts,
        technical,
        billing,
        version: last.version,
        updatedAt: last.at,
      });
    }

    /** Ids of every license the person is a contact of and the actor may see, in id order. */
    async function licensesOf(email: string): Promise<string[]> {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await guard(() =>
          storage.listLicenses({ email, limit: 200, ...(after === undefined ? {} : { after }) }),
        );
        for (const license of page.items) if (policy.canView({ license, actor })) ids.push(license.id);
        after = page.nextCursor;
      } while (after !== undefined);
      return ids;
    }
  }

  return {
    storage,
    policy,
    createLicense,
    findLicense,
    recipients,
    canRequestSupport,
    findRequest,
    reportBounce,
    confirmAddress,
    addressStatus,
    changes: (opts) => feed(opts, undefined),
    subscribe: (listener) => live.subscribe(listener),
    as,
  };
}
