import { LicenseContactsError } from '../domain/errors';
import type { Command } from '../domain/rules';
import { previewCommand } from '../domain/rules';
import type {
  AddContactInput,
  AuditEntry,
  License,
  LicenseContactsApi,
  Me,
  Page,
  PendingRequest,
  Permissions,
  Person,
  RemoveContactOptions,
  ReplaceContactOptions,
  ReplaceResult,
  Role,
} from '../domain/types';
import { parseAddContactInput, parseEmail, parseRole } from '../domain/validate';
import { planLiveUpdate } from './liveUpdate';
import {
  type MutationAction,
  type MutationQueue,
  mutationQueueReducer,
  type PendingMutation,
} from './mutationQueue';
import {
  type CacheAction,
  type CacheState,
  cacheReducer,
  emptyCache,
  type HistoryResource,
  IDLE_HISTORY,
  IDLE_LIST,
  LIVE_OFF,
  type ListResource,
  type LiveStatus,
  type Resource,
  type StoreResource,
  type Target,
} from './resourceCache';

export type { PendingMutation } from './mutationQueue';
export type {
  HistoryResource,
  ListResource,
  LiveStatus,
  Resource,
  ResourceStatus,
  StoreResource,
} from './resourceCache';

/** Everything the store knows; a new object after every change, the same object otherwise. */
export interface ContactsStoreState {
  me: Resource<Me>;
  /** By normalised query (`''` for no query). */
  lists: Readonly<Record<string, ListResource>>;
  /** By license id; `data` includes the optimistic changes of pending mutations. */
  licenses: Readonly<Record<string, Resource<License>>>;
  permissions: Readonly<Record<string, Resource<Permissions>>>;
  /** Audit histories by license id, newest entry first. */
  histories: Readonly<Record<string, HistoryResource>>;
  /** Mutations sent and not yet answered, oldest first. */
  pending: readonly PendingMutation[];
  /**
   * Pending requests (§7) by license id, and under `''` every pending request of the signed-in person
   * (to decide, made by them, or about them), oldest first.
   */
  requests: Readonly<Record<string, Resource<PendingRequest[]>>>;
  /** Whether changes made elsewhere reach the store: `on` while following the api's feed, `error` while it retries. */
  live: LiveStatus;
}

/** What the store tells event listeners; a `type`-tagged union. */
export type ContactsStoreEvent =
  | { type: 'mutationSucceeded'; mutation: PendingMutation; license: License }
  | { type: 'mutationFailed'; mutation: PendingMutation; error: LicenseContactsError }
  | { type: 'replaced'; result: ReplaceResult }
  | { type: 'conflict'; licenseId: string }
  /** The actor may no longer see a license (the server answered NOT_FOUND); `license` is the one last held. */
  | { type: 'licenseDropped'; licenseId: string; license?: License }
  /** Changes made elsewhere (another person, tab or device), once the store has taken them in. */
  | { type: 'remoteChanges'; changes: RemoteChange[] }
  /** Following the api's feed failed; it goes on trying, and catches up when it can. */
  | { type: 'liveError'; error: LicenseContactsError }
  /** A request (§7) was opened or decided by this store's person. */
  | { type: 'requestChanged'; request: PendingRequest };

/** The entries of one license in a `remoteChanges` event. */
export interface RemoteChange {
  licenseId: string;
  /** Its new entries, oldest first. */
  entries: AuditEntry[];
  /** The license as held now, or as last held when it was dropped; absent when the store never held it. */
  license?: License;
  /** The server answered NOT_FOUND when the store asked again: the actor may no longer see it. */
  lostAccess: boolean;
}

/** Options of `observe`. */
export interface ObserveOptions {
  /**
   * Keep the resource up to date with changes made elsewhere while it is observed (the store follows the
   * api's `watch` while a live observer exists). Default true; false shows what was loaded.
   */
  live?: boolean;
}

/** Server data to start from, e.g. what a server render used, so the client hydrates with the same markup. */
export interface ContactsStoreInitialData {
  me?: Me;
  licenses?: License[];
  /** By license id. */
  permissions?: Record<string, Permissions>;
  /** First pages of `listLicenses`, by query (`''` for no query). */
  lists?: Record<string, Page<License>>;
  /** Loaded pages of `history`, by license id. */
  histories?: Record<string, Page<AuditEntry>>;
}

/** Options of `createContactsStore`. */
export interface ContactsStoreOptions {
  initialData?: ContactsStoreInitialData;
  /** Page size of `listLicenses`; default 20. */
  pageSize?: number;
  /** Page size of `history`; default 10. */
  historyPageSize?: number;
  /**
   * Milliseconds a list, license, permissions or history nobody observes stays cached; default 5 minutes
   * in a browser, `Infinity` (never evicted) where there is no `window`, as in a server render.
   */
  gcTime?: number;
  /**
   * Send the cached version as `expectedVersion` with every mutation, so a change made elsewhere in the
   * meantime fails with CONFLICT (and the store refetches) instead of applying to the newer license. Default false.
   */
  versionCheck?: boolean;
  /**
   * Follow the api's `watch` while something observes with `live` (the default): a change made elsewhere
   * refreshes the licenses, permissions, histories and lists it touches, once per burst of entries; a
   * license the actor lost access to leaves their lists. Default true; ignored when the api cannot watch.
   */
  live?: boolean;
}

/** The client cache over a `LicenseContactsApi`. */
export interface ContactsStore {
  /** Calls `listener` once after every state change; returns the function that unsubscribes it. */
  subscribe(listener: () => void): () => void;
  /** The current state; the same object until something changed. */
  getSnapshot(): ContactsStoreState;
  /** Calls `listener` with every event; returns the function that unsubscribes it. */
  onEvent(listener: (event: ContactsStoreEvent) => void): () => void;
  /**
   * Keeps a resource cached (and, with `live`, up to date with changes made elsewhere) while observed;
   * returns the function that stops observing it. A resource nobody observes is evicted `gcTime`
   * milliseconds later.
   */
  observe(resource: StoreResource, options?: ObserveOptions): () => void;
  /** The state key of a query. */
  queryKey(query?: string): string;
  /** Loads who the interface acts for, unless already loaded or loading. */
  ensureMe(): Promise<void>;
  /** Loads the first page of a query, unless already loaded or loading. */
  ensureList(query?: string): Promise<void>;
  /** Loads a license, unless already loaded or loading. */
  ensureLicense(licenseId: string): Promise<void>;
  /** Loads a license's permissions, unless already loaded or loading. */
  ensurePermissions(licenseId: string): Promise<void>;
  /** Loads the first page of a license's history, unless already loaded or loading. */
  ensureHistory(licenseId: string): Promise<void>;
  /** Reloads the first page of a query (dropping later pages). */
  refreshList(query?: string): Promise<void>;
  /** Loads the next page of a query. */
  loadMore(query?: string): Promise<void>;
  /** Reloads a license. */
  refreshLicense(licenseId: string): Promise<void>;
  /** Reloads a license's permissions. */
  refreshPermissions(licenseId: string): Promise<void>;
  /** Reloads the first page of a license's history, keeping the older pages it meets. */
  refreshHistory(licenseId: string): Promise<void>;
  /** Loads the next page of a license's history. */
  loadMoreHistory(licenseId: string): Promise<void>;
  /** Adds a person (or extends their roles), optimistically; resolves with the server's license. */
  addContact(licenseId: string, input: AddContactInput): Promise<License>;
  /** Makes a contact main, optimistically; resolves with the server's license. */
  setMain(licenseId: string, role: Role, email: string): Promise<License>;
  /** Removes a role (or every role) of a contact, optimistically; resolves with the server's license. */
  removeContact(
    licenseId: string,
    email: string,
    options?: Pick<RemoveContactOptions, 'role' | 'successor'>,
  ): Promise<License>;
  /**
   * Replaces a person by a successor on every license the actor may change (`dryRun`: only says what
   * would change); takes in the changed licenses and asks again what the actor may see and do.
   */
  replaceContact(
    oldEmail: string,
    successor: Person,
    options?: Pick<ReplaceContactOptions, 'dryRun' | 'licenseIds'>,
  ): Promise<ReplaceResult>;
  /** Loads the pending requests of a license (or, without one, of the signed-in person), unless loaded or loading. */
  ensureRequests(licenseId?: string): Promise<void>;
  /** Reloads the pending requests of a license (or, without one, of the signed-in person). */
  refreshRequests(licenseId?: string): Promise<void>;
  /** Invites a person to become a contact (§7); the license's requests and permissions are asked again. */
  invite(licenseId: string, input: AddContactInput): Promise<PendingRequest>;
  /** Asks for `email` to become main of `role` across companies (R13); the other side decides. */
  requestTransfer(licenseId: string, role: Role, email: string): Promise<PendingRequest>;
  /** Accepts a request; the license (and, for an invitation, every list) is asked again. */
  acceptRequest(requestId: string): Promise<PendingRequest>;
  /** Declines a request the signed-in person may decide. */
  declineRequest(requestId: string): Promise<PendingRequest>;
  /** Withdraws a pending request. */
  cancelRequest(requestId: string): Promise<PendingRequest>;
  /** The data a server render used, to pass as `initialData` to the client's store. */
  dehydrate(): ContactsStoreInitialData;
  /** Aborts every running request; the store stays usable. */
  cancel(): void;
}

type StoreAction = CacheAction | MutationAction;

interface StoreInternals {
  cache: CacheState;
  queue: MutationQueue;
}

const NO_PENDING: readonly PendingMutation[] = Object.freeze([]);
const LIVE_ON: LiveStatus = Object.freeze({ status: 'on' });
const DEFAULT_GC_TIME = 5 * 60 * 1000;

function asError(error: unknown): LicenseContactsError {
  if (error instanceof LicenseContactsError) return error;
  const message = error instanceof Error ? error.message : 'The request failed';
  return new LicenseContactsError('NETWORK', message, { cause: error });
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof Error && error.name === 'AbortError');
}

/** The core's command of a pending mutation, read as the service reads it; `null` when it would refuse the input. */
function commandOf(mutation: PendingMutation): Command | null {
  try {
    switch (mutation.type) {
      case 'addContact':
        return { type: 'addContact', input: parseAddContactInput(mutation.input) };
      case 'setMain':
        return { type: 'setMain', role: parseRole(mutation.role), email: parseEmail(mutation.email) };
      case 'removeContact':
        return {
          type: 'removeContact',
          email: parseEmail(mutation.email),
          ...(mutation.role === undefined ? {} : { role: parseRole(mutation.role) }),
          ...(mutation.successor === undefined
            ? {}
            : { successor: parseEmail(mutation.successor, 'successor') }),
        };
    }
  } catch {
    return null; // the server refuses it: nothing to draw
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Builds a record, reusing `previous` when every entry is the same. */
function sharedRecord<T>(
  source: Readonly<Record<string, unknown>>,
  previous: Readonly<Record<string, T>> | undefined,
  entry: (key: string) => T,
): Readonly<Record<string, T>> {
  const keys = Object.keys(source);
  let same = previous !== undefined && Object.keys(previous).length === keys.length;
  const next: Record<string, T> = {};
  for (const key of keys) {
    const value = entry(key);
    if (same && own(previous ?? {}, key) !== value) same = false;
    Object.defineProperty(next, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return same && previous ? previous : next;
}

/**
 * Creates the framework-free client store over an Api, in two parts each driven by one reducer: a
 * resource cache (lists, licenses, permissions, histories) and a mutation queue. The snapshot draws the
 * queue's optimistic changes over the cache with the core's own rules (`previewCommand`); every state
 * change notifies subscribers once, and unchanged values keep their identity. Bind it with
 * `useSyncExternalStore`.
 * @example
 * const store = createContactsStore(service.as({ email: 'alice@acme.test' }));
 * store.subscribe(() => render(store.getSnapshot()));
 * await store.ensureList();
 * await store.setMain('SEN-4821337', 'technical', 'carol@acme.test');
 */
export function createContactsStore(
  api: LicenseContactsApi,
  options: ContactsStoreOptions = {},
): ContactsStore {
  const pageSize = options.pageSize ?? 20;
  const historyPageSize = options.historyPageSize ?? 10;
  const gcTime =
    options.gcTime ?? (typeof window === 'undefined' ? Number.POSITIVE_INFINITY : DEFAULT_GC_TIME);
  const listeners = new Set<() => void>();
  const eventListeners = new Set<(event: ContactsStoreEvent) => void>();
  const inflight = new Map<string, Promise<void>>();
  /** With versionCheck: per license, settles when its last queued mutation has been answered. */
  const sending = new Map<string, Promise<void>>();
  const reruns = new Map<string, Promise<void>>();
  const controllers = new Set<AbortController>();
  /** The core commands of pending mutations, read once when each was started. */
  const commands = new Map<number, Command | null>();
  const observers = new Map<string, number>();
  const gcTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let nextMutationId = 1;
  // ---- following the api's feed (live) ----
  const live = options.live !== false && typeof api.watch === 'function';
  /** Live observers by resource key, and their total: the feed is followed while there is one. */
  const liveObservers = new Map<string, number>();
  let liveCount = 0;
  let unwatch: (() => void) | undefined;
  let unwatchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts watches started and stopped, so a stopped one's late calls are told apart. */
  let watches = 0;
  /** The seq of the last entry told: following again later starts after it, so nothing is missed. */
  let lastSeq: string | undefined;
  /** Entries told and not taken in yet (those of a license with a change of this store on its way wait). */
  let incoming: AuditEntry[] = [];
  let takeInTimer: ReturnType<typeof setTimeout> | undefined;
  let takingIn: Promise<void> | undefined;
  let takeInAgain = false;
  let replacing = 0;
  /** Request commands (§7) on their way: entries told meanwhile wait, to be known as their own. */
  let requesting = 0;
  /** `action:requestId` of this store's own request commands, whose entries are not changes made elsewhere. */
  const ownRequests = new Set<string>();
  /** Ids (`licenseId:version`) of the entries of this store's own changes, which their answers confirmed. */
  const ownEntries = new Set<string>();
  /**
   * Resources a change made elsewhere touched while no live view showed them, by key (the version a
   * license must reach): loaded again on their next use instead of showing what was cached.
   */
  const outdated = new Map<string, number>();

  const queryKey = (query?: string) => (query ?? '').trim().toLowerCase();

  // ---- state: the two parts, and the snapshot drawn from them ----

  let internals: StoreInternals = { cache: emptyCache(), queue: NO_PENDING };
  const initial = options.initialData ?? {};
  const seed: StoreAction[] = [];
  if (initial.me) seed.push({ type: 'meLoaded', me: initial.me });
  for (const [query, page] of Object.entries(initial.lists ?? {}))
    seed.push({ type: 'listLoaded', key: queryKey(query), page, more: false });
  for (const license of initial.licenses ?? []) seed.push({ type: 'licenseLoaded', license });
  for (const [licenseId, permissions] of Object.entries(initial.permissions ?? {}))
    seed.push({ type: 'permissionsLoaded', licenseId, permissions, seen: 0 });
  for (const [licenseId, page] of Object.entries(initial.histories ?? {}))
    seed.push({ type: 'historyLoaded', licenseId, page, more: false });
  for (const action of seed) internals = reduce(internals, action);

  /** Per license: the cache resource, the pending mutations and the drawn resource of the last snapshot. */
  const drawn = new Map<
    string,
    { base: Resource<License>; pending: readonly PendingMutation[]; out: Resource<License> }
  >();
  /** Per license: the cached permissions, whether they are stale, and the resource the snapshot shows. */
  const marked = new Map<
    string,
    { base: Resource<Permissions>; stale: boolean; out: Resource<Permissions> }
  >();
  let pendingById = new Map<string, readonly PendingMutation[]>();
  let drawnFrom: StoreInternals | undefined;
  let state: ContactsStoreState = draw(internals, undefined);

  function reduce(current: StoreInternals, action: StoreAction): StoreInternals {
    const cache = cacheReducer(current.cache, action);
    const queue = mutationQueueReducer(current.queue, action);
    return cache === current.cache && queue === current.queue ? current : { cache, queue };
  }

  /** The snapshot: the cache with the queue's changes drawn in, sharing whatever did not change. */
  function draw(next: StoreInternals, previous: ContactsStoreState | undefined): ContactsStoreState {
    const { cache, queue } = next;
    if (drawnFrom?.queue !== queue) {
      const grouped = new Map<string, PendingMutation[]>();
      for (const m of queue) grouped.set(m.licenseId, [...(grouped.get(m.licenseId) ?? []), m]);
      const stable = new Map<string, readonly PendingMutation[]>();
      for (const [id, list] of grouped) {
        const before = pendingById.get(id);
        stable.set(id, before && sameItems(before, list) ? before : list);
      }
      pendingById = stable;
    }
    const pendingOf = (id: string) => pendingById.get(id) ?? NO_PENDING;
    const licensesSame = drawnFrom?.cache.licenses === cache.licenses && drawnFrom.queue === queue;
    const licenses =
      licensesSame && previous
        ? previous.licenses
        : sharedRecord(cache.licenses, previous?.licenses, (id) => {
            const base = cache.licenses[id] as Resource<License>;
            const pending = pendingOf(id);
            const memo = drawn.get(id);
            if (memo && memo.base === base && memo.pending === pending) return memo.out;
            let out = base;
            if (pending.length > 0 && base.data) {
              let data = base.data;
              for (const mutation of pending) {
                const command = commands.get(mutation.id);
                if (command) data = previewCommand(data, command);
              }
              out = data === base.data ? base : { ...base, data };
            }
            drawn.set(id, { base, pending, out });
            return out;
          });
    for (const id of drawn.keys()) if (!Object.hasOwn(cache.licenses, id)) drawn.delete(id);
    const permissions = sharedRecord(cache.permissions, previous?.permissions, (id) => {
      const base = cache.permissions[id] as Resource<Permissions>;
      if (!base.data) return base;
      // Decisions may no longer hold while a change is pending, or until they are asked for after one.
      const stale =
        pendingOf(id).length > 0 || (own(cache.permissionsSeen, id) ?? 0) < (own(cache.changes, id) ?? 0);
      const memo = marked.get(id);
      if (memo && memo.base === base && memo.stale === stale) return memo.out;
      const out = (base.stale ?? false) === stale ? base : { ...base, stale };
      marked.set(id, { base, stale, out });
      return out;
    });
    for (const id of marked.keys()) if (!Object.hasOwn(cache.permissions, id)) marked.delete(id);
    drawnFrom = next;
    if (
      previous &&
      previous.me === cache.me &&
      previous.lists === cache.lists &&
      previous.licenses === licenses &&
      previous.permissions === permissions &&
      previous.histories === cache.histories &&
      previous.pending === queue &&
      previous.requests === cache.requests &&
      previous.live === cache.live
    )
      return previous;
    return {
      me: cache.me,
      lists: cache.lists,
      licenses,
      permissions,
      histories: cache.histories,
      pending: queue,
      requests: cache.requests,
      live: cache.live,
    };
  }

  let batching = 0;
  let dirty = false;

  function notify(): void {
    if (batching > 0) {
      dirty = true;
      return;
    }
    for (const listener of [...listeners]) listener();
  }

  /** Applies an action to both parts; subscribers hear of it once, and not at all when nothing changed. */
  function dispatch(action: StoreAction): void {
    const next = reduce(internals, action);
    if (next === internals) return;
    internals = next;
    const snapshot = draw(next, state);
    if (snapshot === state) return;
    state = snapshot;
    notify();
  }

  /** Runs `work` (which may dispatch several actions) and notifies once at the end. */
  function batch<T>(work: () => T): T {
    batching += 1;
    try {
      return work();
    } finally {
      batching -= 1;
      if (batching === 0 && dirty) {
        dirty = false;
        notify();
      }
    }
  }

  function emit(event: ContactsStoreEvent): void {
    for (const listener of [...eventListeners]) listener(event);
  }

  // ---- eviction ----

  function resourceKey(resource: StoreResource): string {
    return `${resource.type}:${evictionKey(resource)}`;
  }

  /** The key of a resource in its record of the cache. */
  function evictionKey(resource: StoreResource): string {
    return resource.type === 'list'
      ? queryKey(resource.query)
      : resource.type === 'requests'
        ? (resource.licenseId ?? '')
        : resource.licenseId;
  }

  /** Licenses that stay whatever a list's eviction takes along: observed, changing, or timed on their own. */
  function keptLicenses(): Set<string> {
    const keep = new Set<string>();
    for (const m of internals.queue) keep.add(m.licenseId);
    for (const key of [...observers.keys(), ...gcTimers.keys()]) {
      if (key.startsWith('license:')) keep.add(key.slice('license:'.length));
    }
    return keep;
  }

  function scheduleGc(resource: StoreResource): void {
    const key = resourceKey(resource);
    clearTimeout(gcTimers.get(key));
    gcTimers.delete(key);
    if (!Number.isFinite(gcTime) || (observers.get(key) ?? 0) > 0) return;
    const timer = setTimeout(() => {
      gcTimers.delete(key);
      if ((observers.get(key) ?? 0) > 0) return;
      // A license with pending changes, or a list still loading, waits for another round.
      const busy =
        inflight.has(key) ||
        (resource.type === 'license' && internals.queue.some((m) => m.licenseId === resource.licenseId));
      if (busy) return scheduleGc(resource);
      dispatch({
        type: 'evicted',
        resource,
        key: evictionKey(resource),
        keep: keptLicenses(),
      });
      // What is no longer held cannot be outdated (an eviction may take licenses along).
      for (const stale of outdated.keys()) if (!held(stale)) outdated.delete(stale);
    }, gcTime);
    (timer as { unref?: () => void }).unref?.();
    gcTimers.set(key, timer);
  }

  /** Whether the cache holds the resource of a key (`license:ID`, `list:QUERY`, …). */
  function held(key: string): boolean {
    const at = key.indexOf(':');
    const id = key.slice(at + 1);
    const { cache } = internals;
    const records = { list: cache.lists, license: cache.licenses, permissions: cache.permissions };
    const record = records[key.slice(0, at) as keyof typeof records] ?? cache.histories;
    return Object.hasOwn(record, id);
  }

  /** A resource was touched: with nobody observing it, its eviction is (re)scheduled. */
  function touched(resource: StoreResource): void {
    if ((observers.get(resourceKey(resource)) ?? 0) === 0) scheduleGc(resource);
  }

  for (const key of Object.keys(internals.cache.lists)) touched({ type: 'list', query: key });
  for (const licenseId of Object.keys(internals.cache.licenses)) {
    if (!Object.values(internals.cache.lists).some((list) => list.ids.includes(licenseId)))
      touched({ type: 'license', licenseId });
  }
  for (const licenseId of Object.keys(internals.cache.permissions))
    touched({ type: 'permissions', licenseId });
  for (const licenseId of Object.keys(internals.cache.histories)) touched({ type: 'history', licenseId });

  // ---- requests ----

  /**
   * Runs one request at a time per key. A caller while it runs shares its promise, or, when it needs an
   * answer given after its call (`fresh`, e.g. after a change), one more run that starts when it ends.
   */
  function once(key: string, run: (signal: AbortSignal) => Promise<void>, fresh = false): Promise<void> {
    const running = inflight.get(key);
    if (running) {
      if (!fresh) return running;
      let again = reruns.get(key);
      if (!again) {
        again = running.then(() => {
          reruns.delete(key);
          return once(key, run);
        });
        reruns.set(key, again);
      }
      return again;
    }
    const controller = new AbortController();
    controllers.add(controller);
    outdated.delete(key); // what it answers was committed after whatever made it outdated
    const promise = run(controller.signal).finally(() => {
      controllers.delete(controller);
      inflight.delete(key);
    });
    inflight.set(key, promise);
    return promise;
  }

  /** Sends a request for `target`, recording its progress, answer or failure in the cache. */
  async function request<T>(
    target: Target,
    signal: AbortSignal,
    call: () => Promise<T>,
    loaded: (value: T) => StoreAction,
    failed?: (error: LicenseContactsError) => boolean,
  ): Promise<void> {
    dispatch({ type: 'fetch', target });
    try {
      const value = await call();
      dispatch(loaded(value));
    } catch (error) {
      if (isAbort(error, signal)) return dispatch({ type: 'aborted', target });
      const failure = asError(error);
      if (failed?.(failure)) return;
      dispatch({ type: 'failed', target, error: failure });
    }
  }

  /** Forgets a license the actor may no longer see, everywhere it is cached. */
  function drop(licenseId: string): void {
    const license = internals.cache.licenses[licenseId]?.data;
    dispatch({
      type: 'dropped',
      licenseId,
      error: new LicenseContactsError('NOT_FOUND', `License ${licenseId} not found`),
    });
    emit({ type: 'licenseDropped', licenseId, ...(license ? { license } : {}) });
  }

  /** A NOT_FOUND for a license the store holds means the actor lost access: drop it. */
  const dropWhenGone = (licenseId: string) => (failure: LicenseContactsError) => {
    if (failure.code !== 'NOT_FOUND' || !internals.cache.licenses[licenseId]?.data) return false;
    drop(licenseId);
    return true;
  };

  /** Loads the first page of a query, or the next one (`more`); `span`: as many licenses as it holds. */
  function fetchList(query: string | undefined, more: boolean, span = false): Promise<void> {
    const key = queryKey(query);
    touched({ type: 'list', query: key });
    return once(
      `list:${more ? 'more:' : ''}${key}`,
      async (signal) => {
        const current = own(internals.cache.lists, key) ?? IDLE_LIST;
        if (more && current.nextCursor === undefined) return;
        await request(
          { kind: 'list', key, more },
          signal,
          () =>
            api.listLicenses({
              ...(key === '' ? {} : { query: key }),
              ...(more && current.nextCursor !== undefined ? { cursor: current.nextCursor } : {}),
              limit: span ? Math.max(pageSize, current.ids.length) : pageSize,
              signal,
            }),
          (page) => ({ type: 'listLoaded', key, page, more }),
        );
      },
      !more,
    );
  }

  function fetchLicense(licenseId: string): Promise<void> {
    touched({ type: 'license', licenseId });
    return once(
      `license:${licenseId}`,
      (signal) =>
        request(
          { kind: 'license', licenseId },
          signal,
          () => api.getLicense(licenseId, { signal }),
          (license) => ({ type: 'licenseLoaded', license }),
          dropWhenGone(licenseId),
        ),
      true,
    );
  }

  function fetchPermissions(licenseId: string): Promise<void> {
    touched({ type: 'permissions', licenseId });
    return once(
      `permissions:${licenseId}`,
      (signal) => {
        const seen = own(internals.cache.changes, licenseId) ?? 0;
        return request(
          { kind: 'permissions', licenseId },
          signal,
          () => api.permissions(licenseId, { signal }),
          (permissions) => ({ type: 'permissionsLoaded', licenseId, permissions, seen }),
          dropWhenGone(licenseId),
        );
      },
      true,
    );
  }

  function fetchHistory(licenseId: string, more: boolean): Promise<void> {
    touched({ type: 'history', licenseId });
    return once(
      `history:${more ? 'more:' : ''}${licenseId}`,
      async (signal) => {
        const current = own(internals.cache.histories, licenseId) ?? IDLE_HISTORY;
        if (more && current.nextCursor === undefined) return;
        await request(
          { kind: 'history', licenseId, more },
          signal,
          () =>
            api.history(licenseId, {
              ...(more && current.nextCursor !== undefined ? { cursor: current.nextCursor } : {}),
              limit: historyPageSize,
              signal,
            }),
          (page) => ({ type: 'historyLoaded', licenseId, page, more }),
        );
      },
      !more,
    );
  }

  function fetchMe(): Promise<void> {
    return once('me', (signal) =>
      request(
        { kind: 'me' },
        signal,
        () => api.me({ signal }),
        (me) => ({ type: 'meLoaded', me }),
      ),
    );
  }

  /** Every pending request of the signed-in person (`key` `''`) or of one license, first 200. */
  function fetchRequests(key: string): Promise<void> {
    const resource: StoreResource = key === '' ? { type: 'requests' } : { type: 'requests', licenseId: key };
    touched(resource);
    return once(
      `requests:${key}`,
      (signal) =>
        request(
          { kind: 'requests', key },
          signal,
          async () =>
            (
              await api.requests({
                state: 'pending',
                limit: 200,
                ...(key === '' ? {} : { licenseId: key }),
                signal,
              })
            ).items,
          (items) => ({ type: 'requestsLoaded', key, items }),
        ),
      true,
    );
  }

  /**
   * After a request was opened or decided: the requests held are asked again, and so is the license
   * (an accepted request changed it; an opened or declined one gave it a new version and entry); an
   * accepted invitation gives access to a license, so the lists are asked again too.
   */
  function refreshAfterRequest(request: PendingRequest): void {
    batch(() => {
      for (const key of Object.keys(internals.cache.requests)) void fetchRequests(key);
      const { licenseId } = request;
      if (internals.cache.licenses[licenseId]?.data) {
        void fetchLicense(licenseId);
        void fetchPermissions(licenseId);
        if (Object.hasOwn(internals.cache.histories, licenseId)) void fetchHistory(licenseId, false);
      }
      if (request.kind === 'invitation' && request.state === 'accepted')
        for (const key of Object.keys(internals.cache.lists)) void fetchList(key, false);
    });
    emit({ type: 'requestChanged', request });
  }

  /** Sends a request command; a refusal also asks the requests again (it may have expired or been decided). */
  async function requestCommand(
    action: 'invite' | 'requestTransfer' | 'acceptRequest' | 'declineRequest' | 'cancelRequest',
    send: () => Promise<PendingRequest>,
  ): Promise<PendingRequest> {
    requesting++;
    let request: PendingRequest;
    try {
      request = await send();
      ownRequests.add(`${action}:${request.id}`);
      if (ownRequests.size > 1000) ownRequests.delete(ownRequests.values().next().value as string);
    } catch (error) {
      const failure = asError(error);
      for (const key of Object.keys(internals.cache.requests)) void fetchRequests(key);
      throw failure;
    } finally {
      requesting--;
      takeInSoon();
    }
    refreshAfterRequest(request);
    return request;
  }

  /** After a confirmed change: what the actor may do (and still see) next, and the history, asked again. */
  function refreshAfterChange(licenseId: string): void {
    // Whether they may still see the license is the server's policy to say, not the store's: a
    // NOT_FOUND here drops it from every list.
    if (internals.cache.licenses[licenseId]?.data) void fetchPermissions(licenseId);
    if (Object.hasOwn(internals.cache.histories, licenseId)) void fetchHistory(licenseId, false);
  }

  /** Whether a resource must be loaded on use: never loaded, or outdated by a change made elsewhere. */
  function needs(key: string, resource: { status: string; data?: unknown } | undefined): boolean {
    if ((resource?.status ?? 'idle') === 'idle') return true;
    const version = outdated.get(key);
    if (version === undefined) return false;
    if (!key.startsWith('license:')) return true;
    // A license that reached that version meanwhile (a list brought it) is not outdated any more.
    const held = (resource?.data as License | undefined)?.version ?? 0;
    return held < version;
  }

  function ensureMe(): Promise<void> {
    return internals.cache.me.status === 'idle' ? fetchMe() : (inflight.get('me') ?? Promise.resolve());
  }

  /** Remembers that an entry is of this store's own change (bounded: entries that never come are forgotten). */
  function ownChange(license: License): void {
    ownEntries.add(`${license.id}:${license.version}`);
    if (ownEntries.size > 1000) ownEntries.delete(ownEntries.values().next().value as string);
  }

  /** Starts following the api's feed, unless it is followed already (or about to stop: then it goes on). */
  function follow(): void {
    clearTimeout(unwatchTimer);
    unwatchTimer = undefined;
    if (!live || unwatch) return;
    void ensureMe(); // who "you" are in the entries
    const watching = ++watches;
    const current = () => watching === watches && unwatch !== undefined;
    const onError = (error: unknown) => {
      if (!current()) return;
      const failure = asError(error);
      dispatch({ type: 'liveStatus', live: { status: 'error', error: failure } });
      emit({ type: 'liveError', error: failure });
    };
    /** Live again after a failure: with an entry, or (`onOpen`) a reconnect with nothing new to tell. */
    const liveAgain = () => {
      if (current() && internals.cache.live.status !== 'on') dispatch({ type: 'liveStatus', live: LIVE_ON });
    };
    unwatch = () => {};
    dispatch({ type: 'liveStatus', live: LIVE_ON });
    try {
      const stop = api.watch(
        (entry) => {
          // A stopped watch's late news, an entry told twice or one older than the newest told: ignored.
          if (!current() || (lastSeq !== undefined && entry.seq <= lastSeq)) return;
          lastSeq = entry.seq;
          liveAgain();
          incoming.push(entry);
          takeInSoon();
        },
        {
          ...(lastSeq === undefined ? {} : { after: lastSeq }),
          onError,
          // Where a watch from now is: a later watch (after a failure) resumes from there.
          onOpen: (position: string) => {
            if (current()) lastSeq ??= position;
            liveAgain();
          },
        },
      );
      // An api that answers `watch` with a promise (a proxy, a stub) cannot be stopped; its failure is a state.
      const answer = stop as unknown as PromiseLike<unknown> | undefined;
      if (typeof answer?.then === 'function') answer.then(undefined, onError);
      if (watching === watches) unwatch = typeof stop === 'function' ? stop : () => {};
      else if (typeof stop === 'function') stop();
    } catch (error) {
      onError(error);
    }
  }

  /**
   * Stops following a moment after the last live observer left: StrictMode's rehearsal unmount, or one
   * view replaced by another in the same commit, observes again at once and keeps the same watch.
   */
  function unfollowSoon(): void {
    clearTimeout(unwatchTimer);
    unwatchTimer = setTimeout(() => {
      unwatchTimer = undefined;
      if (liveCount > 0) return;
      const stop = unwatch;
      unwatch = undefined;
      watches++;
      stop?.();
      dispatch({ type: 'liveStatus', live: LIVE_OFF });
    }, 0);
  }

  /** Takes in the entries told so far in one go, after the ones being taken in (a burst costs one round). */
  function takeInSoon(): void {
    if (takingIn) {
      takeInAgain = true;
      return;
    }
    if (takeInTimer !== undefined || incoming.length === 0) return;
    takeInTimer = setTimeout(() => {
      takeInTimer = undefined;
      takingIn = takeIn()
        .catch((error: unknown) => emit({ type: 'liveError', error: asError(error) }))
        .finally(() => {
          takingIn = undefined;
          if (takeInAgain) {
            takeInAgain = false;
            takeInSoon();
          }
        });
    }, 0);
  }

  /** Loads a resource a change made elsewhere touched if a live view shows it, or else on its next use. */
  function refreshTouched(key: string, version: number): Promise<void> | undefined {
    const at = key.indexOf(':');
    const id = key.slice(at + 1);
    if (!liveObservers.has(key)) {
      outdated.set(key, version);
      return undefined;
    }
    switch (key.slice(0, at)) {
      case 'license':
        return fetchLicense(id);
      case 'permissions':
        return fetchPermissions(id);
      case 'history':
        return fetchHistory(id, false);
      default:
        return fetchList(id, false, true);
    }
  }

  /**
   * Takes in the entries of changes made elsewhere: what they touch is asked for again (see
   * `planLiveUpdate`), once per burst; a license with a change of this store on its way waits until it is
   * answered, and the entries of this store's own changes are skipped (their answers confirmed them).
   */
  async function takeIn(): Promise<void> {
    await ensureMe();
    const busy = (id: string) =>
      replacing > 0 || requesting > 0 || internals.queue.some((m) => m.licenseId === id);
    const ready = incoming.filter((entry) => !busy(entry.licenseId));
    if (ready.length === 0) return;
    incoming = incoming.filter((entry) => busy(entry.licenseId));
    const ownRequest = (entry: AuditEntry) => {
      const request = entry.requests?.[0];
      return request !== undefined && ownRequests.delete(`${entry.action}:${request.id}`);
    };
    const remote = ready.filter((entry) => !ownEntries.delete(entry.id) && !ownRequest(entry));
    if (remote.length === 0) return;
    // Requests opened or decided elsewhere: the pending requests held are asked again.
    if (remote.some((entry) => (entry.requests?.length ?? 0) > 0))
      for (const key of Object.keys(internals.cache.requests)) void fetchRequests(key);
    const byLicense = new Map<string, AuditEntry[]>();
    for (const entry of remote)
      byLicense.set(entry.licenseId, [...(byLicense.get(entry.licenseId) ?? []), entry]);
    const held = new Map([...byLicense.keys()].map((id) => [id, own(internals.cache.licenses, id)?.data]));
    const newest = (id: string) => Math.max(...(byLicense.get(id) ?? []).map((entry) => entry.version));
    const plan = planLiveUpdate(internals.cache, remote, internals.cache.me.data);
    const work: Promise<void>[] = [];
    const idOf = (key: string) => key.slice(key.indexOf(':') + 1);
    batch(() => {
      for (const licenseId of plan.confirm) {
        work.push(
          fetchLicense(licenseId).then(() => {
            // Still visible (a portal's policy may show it): what they may do there is asked again.
            if (!internals.cache.licenses[licenseId]?.data) return;
            const { permissions, histories } = internals.cache;
            return Promise.all([
              Object.hasOwn(permissions, licenseId) && refreshTouched(`permissions:${licenseId}`, 0),
              Object.hasOwn(histories, licenseId) && refreshTouched(`history:${licenseId}`, 0),
            ]).then(() => {});
          }),
        );
      }
      for (const key of plan.touched) {
        const loading = refreshTouched(key, key.startsWith('license:') ? newest(idOf(key)) : 0);
        if (loading) work.push(loading);
      }
    });
    await Promise.all(work);
    const changes: RemoteChange[] = [];
    for (const [licenseId, entries] of byLicense) {
      const before = held.get(licenseId);
      const now = own(internals.cache.licenses, licenseId);
      const license = now?.data ?? before;
      const lostAccess = before !== undefined && !now?.data && now?.error?.code === 'NOT_FOUND';
      changes.push({ licenseId, entries, ...(license ? { license } : {}), lostAccess });
    }
    emit({ type: 'remoteChanges', changes });
  }

  async function mutate(
    mutation: PendingMutation,
    send: (extra: { expectedVersion?: number }) => Promise<License>,
  ): Promise<License> {
    const { licenseId } = mutation;
    // With versionCheck, a license's mutations go out one at a time, each with the version the previous
    // one produced, so the person's own quick changes never conflict with each other.
    const previous = options.versionCheck ? sending.get(licenseId) : undefined;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const chain = (previous ?? Promise.resolve()).then(() => finished);
    if (options.versionCheck) sending.set(licenseId, chain);
    commands.set(mutation.id, commandOf(mutation));
    dispatch({ type: 'mutationStarted', mutation });
    const done = () => {
      finish();
      if (sending.get(licenseId) === chain) sending.delete(licenseId);
    };
    try {
      if (previous) await previous;
      const version = internals.cache.licenses[licenseId]?.data?.version;
      const license = await send(
        options.versionCheck && version !== undefined ? { expectedVersion: version } : {},
      );
      done();
      ownChange(license);
      batch(() => {
        dispatch({ type: 'mutationSucceeded', mutation, license });
        refreshAfterChange(licenseId);
      });
      commands.delete(mutation.id);
      emit({ type: 'mutationSucceeded', mutation, license });
      takeInSoon();
      return license;
    } catch (error) {
      const failure = asError(error);
      done();
      const conflict = failure.code === 'CONFLICT';
      batch(() => {
        dispatch({ type: 'mutationFailed', mutation, error: failure, conflict });
        if (conflict) {
          void fetchLicense(licenseId);
          void fetchPermissions(licenseId);
        } else if (
          failure.code === 'NOT_FOUND' &&
          (failure.field === undefined || failure.field === 'licenseId')
        ) {
          void fetchLicense(licenseId);
        }
      });
      commands.delete(mutation.id);
      emit({ type: 'mutationFailed', mutation, error: failure });
      if (conflict) emit({ type: 'conflict', licenseId });
      takeInSoon();
      throw failure;
    }
  }

  const store: ContactsStore = {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => state,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    observe(resource, observeOptions = {}) {
      const key = resourceKey(resource);
      const following = observeOptions.live !== false;
      observers.set(key, (observers.get(key) ?? 0) + 1);
      clearTimeout(gcTimers.get(key));
      gcTimers.delete(key);
      if (following) {
        liveObservers.set(key, (liveObservers.get(key) ?? 0) + 1);
        if (++liveCount === 1) follow();
      }
      let observing = true;
      return () => {
        if (!observing) return;
        observing = false;
        const left = (observers.get(key) ?? 1) - 1;
        if (left > 0) observers.set(key, left);
        else {
          observers.delete(key);
          scheduleGc(resource);
        }
        if (following) {
          const still = (liveObservers.get(key) ?? 1) - 1;
          if (still > 0) liveObservers.set(key, still);
          else liveObservers.delete(key);
          if (--liveCount === 0) unfollowSoon();
        }
      };
    },
    queryKey,
    ensureMe,
    ensureList(query) {
      const key = queryKey(query);
      return needs(`list:${key}`, own(internals.cache.lists, key))
        ? fetchList(query, false)
        : (inflight.get(`list:${key}`) ?? Promise.resolve());
    },
    ensureLicense(licenseId) {
      return needs(`license:${licenseId}`, own(internals.cache.licenses, licenseId))
        ? fetchLicense(licenseId)
        : (inflight.get(`license:${licenseId}`) ?? Promise.resolve());
    },
    ensurePermissions(licenseId) {
      return needs(`permissions:${licenseId}`, own(internals.cache.permissions, licenseId))
        ? fetchPermissions(licenseId)
        : (inflight.get(`permissions:${licenseId}`) ?? Promise.resolve());
    },
    ensureHistory(licenseId) {
      return needs(`history:${licenseId}`, own(internals.cache.histories, licenseId))
        ? fetchHistory(licenseId, false)
        : (inflight.get(`history:${licenseId}`) ?? Promise.resolve());
    },
    refreshList: (query) => fetchList(query, false),
    loadMore: (query) => fetchList(query, true),
    refreshLicense: fetchLicense,
    refreshPermissions: fetchPermissions,
    refreshHistory: (licenseId) => fetchHistory(licenseId, false),
    loadMoreHistory: (licenseId) => fetchHistory(licenseId, true),
    addContact(licenseId, input) {
      const mutation: PendingMutation = {
        id: nextMutationId++,
        type: 'addContact',
        licenseId,
        input: { email: input.email, name: input.name, roles: [...input.roles] },
      };
      return mutate(mutation, (extra) => api.addContact(licenseId, mutation.input, extra));
    },
    setMain(licenseId, role, email) {
      const mutation: PendingMutation = { id: nextMutationId++, type: 'setMain', licenseId, role, email };
      return mutate(mutation, (extra) => api.setMain(licenseId, role, email, extra));
    },
    removeContact(licenseId, email, opts = {}) {
      const mutation: PendingMutation = {
        id: nextMutationId++,
        type: 'removeContact',
        licenseId,
        email,
        ...(opts.role === undefined ? {} : { role: opts.role }),
        ...(opts.successor === undefined ? {} : { successor: opts.successor }),
      };
      return mutate(mutation, (extra) =>
        api.removeContact(licenseId, email, {
          ...extra,
          ...(opts.role === undefined ? {} : { role: opts.role }),
          ...(opts.successor === undefined ? {} : { successor: opts.successor }),
        }),
      );
    },
    async replaceContact(oldEmail, successor, opts = {}) {
      // Entries told meanwhile wait for the answer: those of this very change are then known as its own.
      if (opts.dryRun !== true) replacing++;
      let result: ReplaceResult;
      try {
        result = await api.replaceContact(oldEmail, successor, {
          ...(opts.dryRun === undefined ? {} : { dryRun: opts.dryRun }),
          ...(opts.licenseIds === undefined ? {} : { licenseIds: opts.licenseIds }),
        });
        if (!result.dryRun) for (const change of result.changed) ownChange(change.after);
      } finally {
        if (opts.dryRun !== true) replacing--;
        takeInSoon();
      }
      if (result.dryRun || result.changed.length === 0) return result;
      batch(() => {
        dispatch({ type: 'licensesChanged', licenses: result.changed.map((change) => change.after) });
        for (const { licenseId } of result.changed) refreshAfterChange(licenseId);
        // Lists may lose licenses the actor no longer sees (they replaced themselves): the server says.
        for (const key of Object.keys(internals.cache.lists)) void fetchList(key, false, true);
      });
      emit({ type: 'replaced', result });
      return result;
    },
    ensureRequests(licenseId = '') {
      return (own(internals.cache.requests, licenseId)?.status ?? 'idle') === 'idle'
        ? fetchRequests(licenseId)
        : (inflight.get(`requests:${licenseId}`) ?? Promise.resolve());
    },
    refreshRequests: (licenseId = '') => fetchRequests(licenseId),
    invite: (licenseId, input) =>
      requestCommand('invite', () =>
        api.invite(licenseId, { email: input.email, name: input.name, roles: [...input.roles] }),
      ),
    requestTransfer: (licenseId, role, email) =>
      requestCommand('requestTransfer', () => api.requestTransfer(licenseId, role, email)),
    acceptRequest: (requestId) => requestCommand('acceptRequest', () => api.acceptRequest(requestId)),
    declineRequest: (requestId) => requestCommand('declineRequest', () => api.declineRequest(requestId)),
    cancelRequest: (requestId) => requestCommand('cancelRequest', () => api.cancelRequest(requestId)),
    dehydrate() {
      const { cache } = internals;
      const confirmed = (id: string) => own(cache.licenses, id)?.data;
      const out: ContactsStoreInitialData = {
        licenses: Object.values(cache.licenses)
          .map((resource) => resource.data)
          .filter((l): l is License => l !== undefined),
      };
      if (cache.me.data) out.me = cache.me.data;
      const perms: Record<string, Permissions> = {};
      for (const [id, resource] of Object.entries(cache.permissions))
        if (resource.data) Object.defineProperty(perms, id, { value: resource.data, enumerable: true });
      out.permissions = perms;
      const pages: Record<string, Page<License>> = {};
      for (const [key, list] of Object.entries(cache.lists)) {
        if (list.status !== 'success') continue;
        const items = list.ids.map(confirmed).filter((l): l is License => l !== undefined);
        pages[key] = list.nextCursor === undefined ? { items } : { items, nextCursor: list.nextCursor };
      }
      out.lists = pages;
      const histories: Record<string, Page<AuditEntry>> = {};
      for (const [id, history] of Object.entries(cache.histories)) {
        if (history.status !== 'success') continue;
        const page: Page<AuditEntry> = { items: history.entries };
        if (history.nextCursor !== undefined) page.nextCursor = history.nextCursor;
        Object.defineProperty(histories, id, { value: page, enumerable: true });
      }
      out.histories = histories;
      return out;
    },
    cancel() {
      for (const controller of controllers) controller.abort();
    },
  };
  return store;
}
