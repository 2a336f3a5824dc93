import type { StoredRequest } from '../domain/requests';
import type { AuditEntry, License, NewAuditEntry, Page, RequestState } from '../domain/types';

/** One license write of a commit, with the version the writer read. */
export interface LicenseWrite {
  /**
   * The new state; its `version` is `expectedVersion + 1` (or 1 when created), or more on a storage
   * declaring `multiVersionWrites`: one version per entry of the commit on this license.
   */
  license: License;
  /** The version the writer read; `null` creates the license and fails if it exists. */
  expectedVersion: number | null;
}

/** One request write of a commit, with the version the writer read. */
export interface RequestWrite {
  /** The new state; its `version` is `expectedVersion + 1` (or 1 when created). */
  request: StoredRequest;
  /** The version the writer read; `null` creates the request and fails if its id exists. */
  expectedVersion: number | null;
}

/** What bounce reports said of one address, as a storage keeps it (§7). */
export interface StoredAddress {
  email: string;
  /** Temporary bounces since the last confirmation. */
  bounces: number;
  /** Whether the last bounce was permanent. */
  permanent: boolean;
  reason?: string;
  bouncedAt?: string;
  confirmedAt?: string;
  /** Incremented by every write; starts at 1. */
  version: number;
}

/** One address write of a commit, with the version the writer read. */
export interface AddressWrite {
  address: StoredAddress;
  /** The version the writer read; `null` creates the record and fails if it exists. */
  expectedVersion: number | null;
}

/** Writes and their audit entries, committed all or nothing. */
export interface StorageCommit {
  writes: LicenseWrite[];
  /** The entries of the writes; the storage assigns each its `seq` in the order given. */
  audit: NewAuditEntry[];
  /** Requests opened or decided with the writes (§7), each with a compare-and-set of its version. */
  requests?: RequestWrite[];
  /** Address records (bounces, confirmations), each with a compare-and-set of its version. */
  addresses?: AddressWrite[];
}

/** What `listRequests` asks of a storage. */
export interface StorageRequestQuery {
  /** Only requests of this license. */
  licenseId?: string;
  /**
   * Only requests this (normalized) email made, is the subject of, may decide, or that belong to a
   * license this email is a contact of now.
   */
  email?: string;
  /** Only requests this email made, is the subject of, or may decide (not those of their licenses). */
  party?: string;
  /** Only requests whose subject (`email`) is this one. */
  subject?: string;
  /** Only requests of this kind. */
  kind?: StoredRequest['kind'];
  /**
   * Only requests in this state at `now`: `pending` ones whose `expiresAt` is after `now`, `expired`
   * ones the pending ones whose `expiresAt` is not; the others as stored.
   */
  state?: RequestState;
  /** The time `state` is read at (ISO-8601). */
  now: string;
  /** Only requests whose id sorts after this one. */
  after?: string;
  /** At most this many items, ordered by id. */
  limit: number;
}

/** What `listLicenses` asks of a storage. */
export interface StorageListQuery {
  /** Only licenses where this (lower-cased) email is a contact; absent: every license. */
  email?: string;
  /** Case-insensitive substring of the id, product, or a contact's email or name. */
  query?: string;
  /** Only licenses whose id sorts after this one. */
  after?: string;
  /** At most this many items, ordered by id. */
  limit: number;
}

/** Options of `getLicense`. */
export interface StorageGetOptions {
  /**
   * Only when this (normalised) email is a contact of the license: otherwise `null`, decided from the
   * email index without reading the license (a hidden license costs what a missing one costs).
   */
  ifContact?: string;
}

/** What `listAudit` asks of a storage. */
export interface StorageAuditQuery {
  /** Only entries with a version below this one. */
  beforeVersion?: number;
  /** At most this many items, newest first. */
  limit: number;
}

/** What `listChanges` asks of a storage: the change feed in `seq` order. */
export interface StorageChangesQuery {
  /** Only entries whose `seq` sorts after this one. */
  after?: string;
  /**
   * Only entries of licenses this (normalized) email was a contact of before or after the change: from
   * the entry that added them to the entry that removed them, both included.
   */
  email?: string;
  /** At most this many items, oldest first. */
  limit: number;
}

/** Options of a storage's `watch`. */
export interface StorageWatchOptions {
  /** Deliver entries after this seq (an earlier one catches up first); default: those committed from now on. */
  after?: string;
  /** Called when watching fails for a while (a lost connection); watching goes on and catches up. */
  onError?: (error: unknown) => void;
}

/** A running `watch`: where it started, and how to stop it. */
export interface StorageWatch {
  /** The seq it delivers entries after: `after`, or the last seq when it started (`undefined`: none yet). */
  readonly position: string | undefined;
  /** Stops delivering. */
  close(): void;
}

/** A feed worker's persisted place in the feed and who holds it. */
export interface FeedCursor {
  /** The seq of the last entry the worker finished; `undefined` before the first. */
  cursor: string | undefined;
  /** Who holds the lease, while it has not expired. */
  holder?: string;
  /** When the holder's lease ends (ISO time). */
  expiresAt?: string;
}

/**
 * Cursors of feed workers, each with a lease so that one process at a time works on it. Time is the
 * storage's own (PostgreSQL's `now()`), so processes with skewed clocks agree on expiry.
 */
export interface FeedCursorStore {
  /**
   * Takes or renews the lease of `name` for `ttlMs` when it is free, expired or already `holder`'s;
   * answers the cursor then, or `null` when another holder's lease is still running.
   */
  lease(name: string, holder: string, ttlMs: number): Promise<FeedCursor | null>;
  /** Moves the cursor while `holder` holds the lease; `false` (nothing written) when it does not. */
  advance(name: string, holder: string, cursor: string): Promise<boolean>;
  /** Gives the lease up (the cursor stays). */
  release(name: string, holder: string): Promise<void>;
  /** The cursor and lease as stored, or `null` for a name never leased. */
  read(name: string): Promise<FeedCursor | null>;
}

/** An answer kept for an `Idempotency-Key`, as the HTTP handler replays it. */
export interface KeptResponse {
  status: number;
  headers: [string, string][];
  body: string;
  /** Ids of the licenses the body shows (a replay re-checks the actor still sees each). */
  licenses?: string[];
}

/** What claiming an `Idempotency-Key` found. */
export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'running'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: KeptResponse };

/**
 * `Idempotency-Key`s shared by every instance on the storage (so a retry that lands on another
 * instance replays the first answer), per actor, each with a time to live.
 */
export interface IdempotencyKeyStore {
  /**
   * Claims `key` of `actor` for a request with `fingerprint`, or answers what holds it: a request
   * still running (for at most `runningMs`) or its kept answer (for `ttlMs` after it was kept). An
   * actor keeps at most `maxPerActor` keys (their own oldest go).
   */
  claim(
    actor: string,
    key: string,
    fingerprint: string,
    limits: { runningMs: number; maxPerActor: number },
  ): Promise<IdempotencyClaim>;
  /** Keeps the answer of a claimed key for `ttlMs`. */
  keep(actor: string, key: string, fingerprint: string, response: KeptResponse, ttlMs: number): Promise<void>;
  /** Gives a claimed key up without an answer (the request changed nothing: a retry runs again). */
  release(actor: string, key: string, fingerprint: string): Promise<void>;
}

/** What the work of `locked` answers: its result, and the commit to make under the same locks (if any). */
export interface LockedWork<T> {
  value: T;
  commit?: StorageCommit;
}

/**
 * Persistence only, no rules. Every adapter passes `runStorageConformance`.
 *
 * `commit` applies every write and every audit entry atomically, after a compare-and-set of each
 * license's, request's and address's `expectedVersion`; a mismatch rejects the whole commit with a CONFLICT
 * `LicenseContactsError` and writes nothing. Any other failure is a STORAGE error with the driver
 * error as `cause`. Returned objects are never shared with stored state (copies, or frozen).
 *
 * The audit log is the outbox: each entry gets its `seq` in the commit that writes its license, in
 * commit order across the whole storage (`formatSeq` writes one), so a reader paging `listChanges`
 * with `after` never skips an entry that commits later, nor sees one twice.
 */
export interface LicenseStorage {
  /** The license with this id, or `null` (also when `ifContact` names no contact of it). */
  getLicense(id: string, options?: StorageGetOptions): Promise<License | null>;
  /** Licenses ordered by id; `nextCursor` is the id of the last item when more may follow. */
  listLicenses(query: StorageListQuery): Promise<Page<License>>;
  /** Commits writes and audit entries all or nothing; answers the entries as stored, with their `seq`. */
  commit(commit: StorageCommit): Promise<AuditEntry[]>;
  /** Audit entries of one license, newest first; `nextCursor` is the version of the last item. */
  listAudit(licenseId: string, query: StorageAuditQuery): Promise<Page<AuditEntry>>;
  /** The change feed: entries in `seq` order; `nextCursor` is the `seq` of the last item when more may follow. */
  listChanges(query: StorageChangesQuery): Promise<Page<AuditEntry>>;
  /**
   * Optional ability: the `seq` of the newest entry (`undefined` while there is none), in one read.
   * Without it, finding the feed's end means paging `listChanges` to it.
   */
  headSeq?(): Promise<string | undefined>;
  /** The request with this id (its state as stored), or `null`. */
  getRequest(id: string): Promise<StoredRequest | null>;
  /** Requests ordered by id; `nextCursor` is the id of the last item when more may follow. */
  listRequests(query: StorageRequestQuery): Promise<Page<StoredRequest>>;
  /** The records of those of these (normalized) emails that have one, in any order. */
  getAddresses(emails: readonly string[]): Promise<StoredAddress[]>;
  /**
   * Optional ability: tells `listener` of every entry committed to this storage by any instance (this
   * process, other processes), once each, in seq order, catching up after an interruption.
   */
  watch?(listener: (entry: AuditEntry) => void, options?: StorageWatchOptions): Promise<StorageWatch>;
  /**
   * Optional ability, the row-lock path: reads these licenses while holding them (PostgreSQL:
   * `SELECT … FOR UPDATE`, in id order, so commands over several licenses cannot deadlock), runs
   * `work` on what it read (`null`: no such license), and commits what `work` answers before letting
   * go, all in one transaction. Writers of one license wait for each other instead of conflicting. A
   * `work` that throws changes nothing; the commit's compare-and-set still holds (CONFLICT).
   */
  locked?<T>(
    ids: readonly string[],
    work: (licenses: ReadonlyMap<string, License | null>) => LockedWork<T> | Promise<LockedWork<T>>,
    options?: StorageGetOptions,
  ): Promise<{ value: T; entries: AuditEntry[] }>;
  /**
   * Optional ability: a commit (through `commit` or `locked`) may carry several commands on one
   * license: one write at its last version and an entry for each version since `expectedVersion`, in
   * order. With `locked` too, the commands queued behind a license's turn in one service instance
   * then share one transaction.
   */
  readonly multiVersionWrites?: boolean;
  /** Optional ability: persisted cursors with leases, for feed workers. */
  readonly feedCursors?: FeedCursorStore;
  /** Optional ability: `Idempotency-Key`s shared by every instance (the HTTP handler uses it). */
  readonly idempotencyKeys?: IdempotencyKeyStore;
  /** Releases what the storage holds open (connections); optional. */
  close?(): Promise<void>;
}
