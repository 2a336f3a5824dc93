import type { LicenseContactsError } from '../domain/errors';
import type { AuditEntry, License, Me, Page, PendingRequest, Permissions } from '../domain/types';
import type { MutationAction } from './mutationQueue';
import { replaceEqualDeep } from './replaceEqualDeep';

/** How far a cached resource has loaded. */
export type ResourceStatus = 'idle' | 'loading' | 'success' | 'error';

/** One cached server value: its data once loaded, the last error, and whether a request is running. */
export interface Resource<T> {
  status: ResourceStatus;
  data?: T;
  error?: LicenseContactsError;
  /** A request for this value is running (first load or refresh). */
  fetching: boolean;
  /**
   * Permissions only: the license changed (or a change is pending) since they were computed, so they
   * may no longer hold; a refresh is on its way.
   */
  stale?: boolean;
}

/** Pages of something loaded one after the other, newest state first. */
interface Paged {
  status: ResourceStatus;
  /** Set while more pages exist. */
  nextCursor?: string;
  error?: LicenseContactsError;
  fetching: boolean;
  /** The next page is loading. */
  fetchingMore: boolean;
}

/** The cached pages of `listLicenses` for one query: license ids in order (the licenses are in `licenses`). */
export interface ListResource extends Paged {
  ids: string[];
}

/** The cached pages of a license's audit history, newest first. */
export interface HistoryResource extends Paged {
  entries: AuditEntry[];
}

/** Whether the store follows the api's feed of changes made elsewhere (`live`). */
export interface LiveStatus {
  /** `off`: not following (nothing live observes, or the api cannot watch); `error`: following failed, retrying. */
  status: 'off' | 'on' | 'error';
  /** The last failure, while `error`. */
  error?: LicenseContactsError;
}

/** A resource of the cache, as `observe` and eviction name it. */
export type StoreResource =
  | { type: 'list'; query?: string }
  | { type: 'license'; licenseId: string }
  | { type: 'permissions'; licenseId: string }
  | { type: 'history'; licenseId: string }
  /** Pending requests of one license, or (no `licenseId`) every pending request of the signed-in person. */
  | { type: 'requests'; licenseId?: string };

/** What the cache holds: server values as the server sent them (no optimistic drawing). */
export interface CacheState {
  me: Resource<Me>;
  /** By normalised query. */
  lists: Readonly<Record<string, ListResource>>;
  /** By license id: the last license the server sent. */
  licenses: Readonly<Record<string, Resource<License>>>;
  permissions: Readonly<Record<string, Resource<Permissions>>>;
  histories: Readonly<Record<string, HistoryResource>>;
  /** Pending requests by license id, and under `''` every pending request of the signed-in person. */
  requests: Readonly<Record<string, Resource<PendingRequest[]>>>;
  /** By license id: the version at which it was dropped (the actor lost access). */
  dropped: Readonly<Record<string, number>>;
  /** By license id: how many changes the server confirmed (mutations, conflicts seen). */
  changes: Readonly<Record<string, number>>;
  /** By license id: how many of those changes the cached permissions were computed after. */
  permissionsSeen: Readonly<Record<string, number>>;
  /** Following the api's feed. */
  live: LiveStatus;
}

/** A request target of the cache. */
export type Target =
  | { kind: 'me' }
  | { kind: 'list'; key: string; more?: boolean }
  | { kind: 'license'; licenseId: string }
  | { kind: 'permissions'; licenseId: string }
  | { kind: 'history'; licenseId: string; more?: boolean }
  | { kind: 'requests'; key: string };

/** Everything that changes the cache; a `type`-tagged union. */
export type CacheAction =
  | { type: 'fetch'; target: Target }
  | { type: 'aborted'; target: Target }
  | { type: 'failed'; target: Target; error: LicenseContactsError }
  | { type: 'meLoaded'; me: Me }
  | { type: 'listLoaded'; key: string; page: Page<License>; more: boolean }
  | { type: 'licenseLoaded'; license: License }
  | { type: 'licensesChanged'; licenses: readonly License[] }
  | { type: 'permissionsLoaded'; licenseId: string; permissions: Permissions; seen: number }
  | { type: 'historyLoaded'; licenseId: string; page: Page<AuditEntry>; more: boolean }
  | { type: 'requestsLoaded'; key: string; items: PendingRequest[] }
  | { type: 'dropped'; licenseId: string; error: LicenseContactsError }
  | { type: 'liveStatus'; live: LiveStatus }
  | {
      type: 'evicted';
      resource: StoreResource;
      key: string;
      /** Licenses that stay whatever happens: observed, with pending mutations, or awaiting their own eviction. */
      keep: ReadonlySet<string>;
    };

const IDLE_PAGED = { status: 'idle', fetching: false, fetchingMore: false } as const;
/** A list nothing has been loaded for. */
export const IDLE_LIST: ListResource = Object.freeze({ ...IDLE_PAGED, ids: [] });
/** A history nothing has been loaded for. */
export const IDLE_HISTORY: HistoryResource = Object.freeze({ ...IDLE_PAGED, entries: [] });
const IDLE_RESOURCE = Object.freeze({ status: 'idle', fetching: false }) as Resource<never>;
/** Not following the feed. */
export const LIVE_OFF: LiveStatus = Object.freeze({ status: 'off' });

/** The record with `key` set, as an own property (ids such as `__proto__` stay plain keys). */
function put<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  if (Object.hasOwn(record, key) && record[key] === value) return record;
  return { ...record, [key]: value };
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!Object.hasOwn(record, key)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}

function get<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `value` with `patch` applied, or `value` itself when the patch changes nothing. */
function patch<T extends object>(value: T, changes: Partial<T>, remove: readonly (keyof T)[] = []): T {
  let changed = remove.some((key) => key in value);
  for (const key of Object.keys(changes) as (keyof T)[]) {
    if (!Object.is(value[key], changes[key])) changed = true;
  }
  if (!changed) return value;
  const next = { ...value, ...changes };
  for (const key of remove) delete next[key];
  return next;
}

/** The cache before anything was loaded. */
export function emptyCache(): CacheState {
  return {
    me: IDLE_RESOURCE,
    lists: {},
    licenses: {},
    permissions: {},
    histories: {},
    requests: {},
    dropped: {},
    changes: {},
    permissionsSeen: {},
    live: LIVE_OFF,
  };
}

/**
 * Takes a license the server sent. Answers may arrive out of order: an older version never replaces a
 * newer one, an answer from before the license was dropped never brings it back, and the same version
 * keeps the object already held. What did not change keeps its identity (structural sharing).
 */
function receive(state: CacheState, license: License): CacheState {
  if ((get(state.dropped, license.id) ?? 0) >= license.version) return state;
  const current = get(state.licenses, license.id);
  const held = current?.data;
  if (held && held.version >= license.version) {
    return current.status === 'success' && current.error === undefined
      ? state
      : {
          ...state,
          licenses: put(state.licenses, license.id, patch(current, { status: 'success' }, ['error'])),
        };
  }
  const data = replaceEqualDeep(held, license);
  const next: Resource<License> = current
    ? patch(current, { status: 'success', data }, ['error'])
    : { status: 'success', data, fetching: false };
  return { ...state, licenses: put(state.licenses, license.id, next) };
}

function receiveAll(state: CacheState, licenses: readonly License[]): CacheState {
  let next = state;
  for (const license of licenses) next = receive(next, license);
  return next;
}

function countChange(state: CacheState, licenseId: string): CacheState {
  return { ...state, changes: put(state.changes, licenseId, (get(state.changes, licenseId) ?? 0) + 1) };
}

/** A record resource of `target` with `update` applied (created idle when missing). */
function updateResource(
  state: CacheState,
  key: 'licenses' | 'permissions' | 'requests',
  id: string,
  update: (resource: Resource<never>) => Resource<never>,
): CacheState {
  const records = state[key] as Readonly<Record<string, Resource<never>>>;
  const current = get(records, id) ?? IDLE_RESOURCE;
  const next = update(current);
  if (next === current && Object.hasOwn(records, id)) return state;
  return { ...state, [key]: put(records, id, next) };
}

function updatePaged<K extends 'lists' | 'histories'>(
  state: CacheState,
  key: K,
  id: string,
  update: (resource: CacheState[K][string]) => CacheState[K][string],
): CacheState {
  const records = state[key] as Readonly<Record<string, CacheState[K][string]>>;
  const idle = (key === 'lists' ? IDLE_LIST : IDLE_HISTORY) as CacheState[K][string];
  const current = get(records, id) ?? idle;
  const next = update(current);
  if (next === current && Object.hasOwn(records, id)) return state;
  return { ...state, [key]: put(records, id, next) };
}

/** A resource that loaded `data`: `current` itself when it already says exactly that. */
function loaded<T>(current: Resource<T> | undefined, data: T): Resource<T> {
  return current &&
    current.data === data &&
    current.status === 'success' &&
    !current.fetching &&
    !current.error
    ? current
    : { status: 'success', data, fetching: false };
}

/** Where a single (unpaged) resource of a target is kept: its record and key. */
function resourceOf(
  target: Extract<Target, { kind: 'license' | 'permissions' | 'requests' }>,
): ['licenses' | 'permissions' | 'requests', string] {
  return target.kind === 'requests'
    ? ['requests', target.key]
    : [target.kind === 'license' ? 'licenses' : 'permissions', target.licenseId];
}

/** Starting a request: `fetching`, and `loading` while there is nothing to show yet. */
function fetching(state: CacheState, target: Target): CacheState {
  switch (target.kind) {
    case 'me':
      return {
        ...state,
        me: patch(state.me, { fetching: true, ...(state.me.data ? {} : { status: 'loading' }) }),
      };
    case 'list':
    case 'history': {
      const key = target.kind === 'list' ? 'lists' : 'histories';
      const id = target.kind === 'list' ? target.key : target.licenseId;
      return updatePaged(state, key, id, (current) =>
        target.more
          ? patch(current, { fetchingMore: true })
          : patch(current, {
              fetching: true,
              ...(current.status === 'success' ? {} : { status: 'loading' }),
            }),
      );
    }
    case 'license':
    case 'permissions':
    case 'requests': {
      const [key, id] = resourceOf(target);
      return updateResource(state, key, id, (current) =>
        patch(current, { fetching: true, ...(current.data ? {} : { status: 'loading' as const }) }),
      );
    }
  }
}

/** After an aborted request: back to `idle` (so the next use loads again) unless something was loaded. */
function settled(state: CacheState, target: Target, error?: LicenseContactsError): CacheState {
  const failure = <T extends { status: ResourceStatus }>(current: T, keepStatus: boolean): Partial<T> =>
    (error
      ? { ...(keepStatus ? {} : { status: 'error' }), error }
      : current.status === 'loading' && !keepStatus
        ? { status: 'idle' }
        : {}) as Partial<T>;
  switch (target.kind) {
    case 'me':
      return { ...state, me: patch(state.me, { fetching: false, ...failure(state.me, false) }) };
    case 'list':
    case 'history': {
      const key = target.kind === 'list' ? 'lists' : 'histories';
      const id = target.kind === 'list' ? target.key : target.licenseId;
      return updatePaged(state, key, id, (current) =>
        patch(current, { fetching: false, fetchingMore: false, ...failure(current, target.more === true) }),
      );
    }
    case 'license':
    case 'permissions':
    case 'requests': {
      const [key, id] = resourceOf(target);
      return updateResource(state, key, id, (current) =>
        patch(current, { fetching: false, ...failure(current, false) }),
      );
    }
  }
}

/** Entries of a refreshed first page on top of the pages held, when they meet; otherwise the new page alone. */
function mergeHistory(held: readonly AuditEntry[], first: readonly AuditEntry[]): AuditEntry[] | null {
  const newest = held[0];
  if (!newest) return null;
  const at = first.findIndex((entry) => entry.id === newest.id);
  return at === -1 ? null : [...first.slice(0, at), ...held];
}

/** The resource cache's one reducer: server values in, the same state out when nothing changed. */
export function cacheReducer(state: CacheState, action: CacheAction | MutationAction): CacheState {
  switch (action.type) {
    case 'fetch':
      return fetching(state, action.target);
    case 'aborted':
      return settled(state, action.target);
    case 'failed':
      return settled(state, action.target, action.error);
    case 'meLoaded':
      return {
        ...state,
        me: { status: 'success', data: replaceEqualDeep(state.me.data, action.me), fetching: false },
      };
    case 'listLoaded': {
      const { key, page, more } = action;
      const next = receiveAll(state, page.items);
      return updatePaged(next, 'lists', key, (current) => {
        const ids = [...new Set([...(more ? current.ids : []), ...page.items.map((l) => l.id)])];
        const { nextCursor: _cursor, error: _error, ...rest } = current;
        return replaceEqualDeep(current, {
          ...rest,
          status: 'success' as const,
          ids,
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
          fetching: more ? current.fetching : false,
          fetchingMore: false,
        });
      });
    }
    case 'licenseLoaded': {
      const next = receive(state, action.license);
      return updateResource(next, 'licenses', action.license.id, (current) =>
        patch(current, { fetching: false }),
      );
    }
    case 'licensesChanged': {
      let next = receiveAll(state, action.licenses);
      for (const license of action.licenses) next = countChange(next, license.id);
      return next;
    }
    case 'permissionsLoaded': {
      const { licenseId, permissions, seen } = action;
      const current = get(state.permissions, licenseId);
      const data = replaceEqualDeep(current?.data, permissions);
      const seenBefore = get(state.permissionsSeen, licenseId) ?? 0;
      return {
        ...state,
        permissions: put(state.permissions, licenseId, loaded(current, data)),
        permissionsSeen:
          seen > seenBefore ? put(state.permissionsSeen, licenseId, seen) : state.permissionsSeen,
      };
    }
    case 'historyLoaded': {
      const { licenseId, page, more } = action;
      return updatePaged(state, 'histories', licenseId, (current) => {
        const merged = more ? [...current.entries, ...page.items] : mergeHistory(current.entries, page.items);
        const { nextCursor: _cursor, error: _error, ...rest } = current;
        // A refreshed first page that meets the pages held keeps their cursor; otherwise it starts over.
        const cursor = more || merged === null ? page.nextCursor : current.nextCursor;
        return replaceEqualDeep(current, {
          ...rest,
          status: 'success' as const,
          entries: merged ?? page.items,
          ...(cursor === undefined ? {} : { nextCursor: cursor }),
          fetching: more ? current.fetching : false,
          fetchingMore: false,
        });
      });
    }
    case 'requestsLoaded': {
      const current = get(state.requests, action.key);
      const data = replaceEqualDeep(current?.data, action.items);
      const next = loaded(current, data);
      return next === current ? state : { ...state, requests: put(state.requests, action.key, next) };
    }
    case 'dropped': {
      const { licenseId } = action;
      const version = get(state.licenses, licenseId)?.data?.version ?? 0;
      return {
        ...state,
        // Kept as NOT_FOUND (what the server now answers), so a view of it shows that instead of loading again.
        licenses: put(state.licenses, licenseId, { status: 'error', error: action.error, fetching: false }),
        permissions: without(state.permissions, licenseId),
        histories: without(state.histories, licenseId),
        requests: without(state.requests, licenseId),
        lists: unlist(state.lists, licenseId),
        dropped: put(state.dropped, licenseId, Math.max(version, get(state.dropped, licenseId) ?? 0)),
      };
    }
    case 'liveStatus': {
      const { live } = action;
      const same = live.status === state.live.status && live.error === state.live.error;
      return same ? state : { ...state, live };
    }
    case 'evicted':
      return evict(state, action);
    case 'mutationSucceeded':
      return countChange(receive(state, action.license), action.mutation.licenseId);
    case 'mutationFailed':
      return action.conflict ? countChange(state, action.mutation.licenseId) : state;
    default:
      return state;
  }
}

/** The lists without `licenseId`; the same record when none held it. */
function unlist(
  lists: Readonly<Record<string, ListResource>>,
  licenseId: string,
): Readonly<Record<string, ListResource>> {
  const next: Record<string, ListResource> = {};
  let changed = false;
  for (const [key, list] of Object.entries(lists)) {
    const keep = !list.ids.includes(licenseId);
    changed ||= !keep;
    Object.defineProperty(next, key, {
      value: keep ? list : { ...list, ids: list.ids.filter((id) => id !== licenseId) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return changed ? next : lists;
}

function forgetLicense(state: CacheState, licenseId: string): CacheState {
  if (!Object.hasOwn(state.licenses, licenseId)) return state;
  return {
    ...state,
    licenses: without(state.licenses, licenseId),
    changes: without(state.changes, licenseId),
    permissionsSeen: Object.hasOwn(state.permissions, licenseId)
      ? state.permissionsSeen
      : without(state.permissionsSeen, licenseId),
  };
}

/** Licenses some list still shows. */
function listed(state: CacheState): Set<string> {
  const ids = new Set<string>();
  for (const list of Object.values(state.lists)) for (const id of list.ids) ids.add(id);
  return ids;
}

/** Forgets a resource nobody watched for `gcTime`; a list takes along the licenses only it kept. */
function evict(state: CacheState, action: Extract<CacheAction, { type: 'evicted' }>): CacheState {
  const { resource, key, keep } = action;
  switch (resource.type) {
    case 'list': {
      if (!Object.hasOwn(state.lists, key)) return state;
      let next: CacheState = { ...state, lists: without(state.lists, key) };
      const stillListed = listed(next);
      for (const id of Object.keys(next.licenses)) {
        if (!stillListed.has(id) && !keep.has(id)) next = forgetLicense(next, id);
      }
      return next;
    }
    case 'license':
      return listed(state).has(resource.licenseId) || keep.has(resource.licenseId)
        ? state
        : forgetLicense(state, resource.licenseId);
    case 'permissions':
      if (!Object.hasOwn(state.permissions, resource.licenseId)) return state;
      return {
        ...state,
        permissions: without(state.permissions, resource.licenseId),
        permissionsSeen: without(state.permissionsSeen, resource.licenseId),
      };
    case 'history':
      if (!Object.hasOwn(state.histories, resource.licenseId)) return state;
      return { ...state, histories: without(state.histories, resource.licenseId) };
    case 'requests':
      if (!Object.hasOwn(state.requests, key)) return state;
      return { ...state, requests: without(state.requests, key) };
  }
}
