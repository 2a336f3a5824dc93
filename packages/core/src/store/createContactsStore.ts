import { LicenseContactsError } from '../domain/errors';
import type {
  AddContactInput,
  License,
  LicenseContactsApi,
  Me,
  Page,
  Permissions,
  RemoveContactOptions,
  Role,
} from '../domain/types';

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

/** The cached pages of `listLicenses` for one query: license ids in order (the licenses are in `licenses`). */
export interface ListResource {
  status: ResourceStatus;
  ids: string[];
  /** Set while more pages exist. */
  nextCursor?: string;
  error?: LicenseContactsError;
  fetching: boolean;
  /** `loadMore` is running. */
  fetchingMore: boolean;
}

/** A change the store has sent and not yet heard back about. */
export type PendingMutation =
  | { id: number; type: 'addContact'; licenseId: string; input: AddContactInput }
  | { id: number; type: 'setMain'; licenseId: string; role: Role; email: string }
  | { id: number; type: 'removeContact'; licenseId: string; email: string; role?: Role; successor?: string };

/** Everything the store knows; a new object after every change, the same object otherwise. */
export interface ContactsStoreState {
  me: Resource<Me>;
  /** By normalised query (`''` for no query). */
  lists: Readonly<Record<string, ListResource>>;
  /** By license id; `data` includes the optimistic changes of pending mutations. */
  licenses: Readonly<Record<string, Resource<License>>>;
  permissions: Readonly<Record<string, Resource<Permissions>>>;
  /** Mutations sent and not yet answered, oldest first. */
  pending: readonly PendingMutation[];
}

/** What the store tells event listeners; a `type`-tagged union. */
export type ContactsStoreEvent =
  | { type: 'mutationSucceeded'; mutation: PendingMutation; license: License }
  | { type: 'mutationFailed'; mutation: PendingMutation; error: LicenseContactsError }
  | { type: 'conflict'; licenseId: string }
  | { type: 'licenseDropped'; licenseId: string };

/** Server data to start from, e.g. what a server render used, so the client hydrates with the same markup. */
export interface ContactsStoreInitialData {
  me?: Me;
  licenses?: License[];
  /** By license id. */
  permissions?: Record<string, Permissions>;
  /** First pages of `listLicenses`, by query (`''` for no query). */
  lists?: Record<string, Page<License>>;
}

/** Options of `createContactsStore`. */
export interface ContactsStoreOptions {
  initialData?: ContactsStoreInitialData;
  /** Page size of `listLicenses`; default 20. */
  pageSize?: number;
  /**
   * Send the cached version as `expectedVersion` with every mutation, so a change made elsewhere in the
   * meantime fails with CONFLICT (and the store refetches) instead of applying to the newer license. Default false.
   */
  versionCheck?: boolean;
}

/** The client cache over a `LicenseContactsApi`. */
export interface ContactsStore {
  /** Calls `listener` after every state change; returns the function that unsubscribes it. */
  subscribe(listener: () => void): () => void;
  /** The current state; the same object until something changed. */
  getSnapshot(): ContactsStoreState;
  /** Calls `listener` with every event; returns the function that unsubscribes it. */
  onEvent(listener: (event: ContactsStoreEvent) => void): () => void;
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
  /** Reloads the first page of a query (dropping later pages). */
  refreshList(query?: string): Promise<void>;
  /** Loads the next page of a query. */
  loadMore(query?: string): Promise<void>;
  /** Reloads a license. */
  refreshLicense(licenseId: string): Promise<void>;
  /** Reloads a license's permissions. */
  refreshPermissions(licenseId: string): Promise<void>;
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
  /** The data a server render used, to pass as `initialData` to the client's store. */
  dehydrate(): ContactsStoreInitialData;
  /** Aborts every running request; the store stays usable. */
  cancel(): void;
}

const IDLE_LIST: ListResource = Object.freeze({
  status: 'idle',
  ids: [],
  fetching: false,
  fetchingMore: false,
});

function asError(error: unknown): LicenseContactsError {
  if (error instanceof LicenseContactsError) return error;
  const message = error instanceof Error ? error.message : 'The request failed';
  return new LicenseContactsError('NETWORK', message, { cause: error });
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof Error && error.name === 'AbortError');
}

const normalise = (email: string) => email.trim().toLowerCase();

/** After an aborted request: back to `idle` (so the next use loads again) unless something was loaded. */
function aborted(current: { status: ResourceStatus } | undefined): {
  fetching: false;
  status?: ResourceStatus;
} {
  return current?.status === 'loading' ? { fetching: false, status: 'idle' } : { fetching: false };
}

/**
 * The visible effect of a pending mutation, drawn on the cached license until the server answers. It only
 * reorders, drops or appends what the user asked for; the rules run on the server, whose answer replaces it.
 */
function drawOptimistic(license: License, mutation: PendingMutation): License {
  switch (mutation.type) {
    case 'setMain': {
      const list = license[mutation.role];
      if (!list.includes(mutation.email)) return license;
      return { ...license, [mutation.role]: [mutation.email, ...list.filter((e) => e !== mutation.email)] };
    }
    case 'removeContact': {
      const roles: Role[] = mutation.role ? [mutation.role] : ['technical', 'billing'];
      let next: License = { ...license };
      for (const role of roles) {
        let list = next[role].filter((e) => e !== mutation.email);
        const successor = mutation.successor;
        if (successor !== undefined && list.includes(successor) && next[role][0] === mutation.email) {
          list = [successor, ...list.filter((e) => e !== successor)];
        }
        next = { ...next, [role]: list };
      }
      const contacts = next.contacts
        .map((c) =>
          c.email === mutation.email ? { ...c, roles: c.roles.filter((r) => !roles.includes(r)) } : c,
        )
        .filter((c) => c.roles.length > 0);
      return { ...next, contacts };
    }
    case 'addContact': {
      const email = normalise(mutation.input.email);
      const existing = license.contacts.find((c) => c.email === email);
      let next: License = { ...license };
      for (const role of mutation.input.roles) {
        if (!next[role].includes(email)) next = { ...next, [role]: [...next[role], email] };
      }
      const contacts = existing
        ? license.contacts.map((c) =>
            c.email === email
              ? { ...c, roles: [...c.roles, ...mutation.input.roles.filter((r) => !c.roles.includes(r))] }
              : c,
          )
        : [
            ...license.contacts,
            { email, name: mutation.input.name.trim(), roles: [...mutation.input.roles] },
          ];
      return { ...next, contacts };
    }
  }
}

/** Sets a record entry as an own property, so ids such as `__proto__` stay plain keys. */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Creates the framework-free client store over an Api: cached lists, licenses and permissions,
 * optimistic mutations with rollback, and a refetch after conflicts. Bind it with `useSyncExternalStore`.
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
  const listeners = new Set<() => void>();
  const eventListeners = new Set<(event: ContactsStoreEvent) => void>();
  /** The last license the server sent, before optimistic drawing. */
  const confirmed = new Map<string, License>();
  /** The version at which a license was dropped (the actor lost access). */
  const droppedAt = new Map<string, number>();
  /** Changes the server confirmed per license, and how many of them the cached permissions have seen. */
  const changes = new Map<string, number>();
  const permissionsSeen = new Map<string, number>();
  const inflight = new Map<string, Promise<void>>();
  /** With versionCheck: per license, settles when its last queued mutation has been answered. */
  const sending = new Map<string, Promise<void>>();
  const reruns = new Map<string, Promise<void>>();
  const controllers = new Set<AbortController>();
  let nextMutationId = 1;

  const initial = options.initialData ?? {};
  const licenses: Record<string, Resource<License>> = {};
  const addLicenses = (items: readonly License[]) => {
    for (const license of items) {
      confirmed.set(license.id, license);
      define(licenses, license.id, { status: 'success', data: license, fetching: false });
    }
  };
  addLicenses(initial.licenses ?? []);
  const lists: Record<string, ListResource> = {};
  for (const [query, page] of Object.entries(initial.lists ?? {})) {
    addLicenses(page.items);
    define(lists, query.trim().toLowerCase(), {
      status: 'success',
      ids: page.items.map((l) => l.id),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      fetching: false,
      fetchingMore: false,
    });
  }
  const permissions: Record<string, Resource<Permissions>> = {};
  for (const [id, value] of Object.entries(initial.permissions ?? {})) {
    define(permissions, id, { status: 'success', data: value, fetching: false });
  }

  let state: ContactsStoreState = {
    me: initial.me
      ? { status: 'success', data: initial.me, fetching: false }
      : { status: 'idle', fetching: false },
    lists,
    licenses,
    permissions,
    pending: [],
  };

  function setState(next: Partial<ContactsStoreState>): void {
    state = { ...state, ...next };
    for (const listener of [...listeners]) listener();
  }

  function emit(event: ContactsStoreEvent): void {
    for (const listener of [...eventListeners]) listener(event);
  }

  function patchResource<K extends 'licenses' | 'permissions'>(
    key: K,
    id: string,
    patch: Partial<ContactsStoreState[K][string]>,
  ): void {
    const current = state[key][id] ?? { status: 'idle', fetching: false };
    setState({ [key]: { ...state[key], [id]: { ...current, ...patch } } } as Partial<ContactsStoreState>);
  }

  function patchList(key: string, patch: Partial<ListResource>): void {
    const current = state.lists[key] ?? IDLE_LIST;
    setState({ lists: { ...state.lists, [key]: { ...current, ...patch } } });
  }

  /** Marks a license's permissions stale while a change is pending or they predate a confirmed change. */
  function markPermissions(licenseId: string): void {
    const resource = state.permissions[licenseId];
    if (!resource?.data) return;
    const stale =
      state.pending.some((m) => m.licenseId === licenseId) ||
      (permissionsSeen.get(licenseId) ?? 0) < (changes.get(licenseId) ?? 0);
    if ((resource.stale ?? false) !== stale) patchResource('permissions', licenseId, { stale });
  }

  /** Redraws a license from the server's copy and the pending mutations on it. */
  function redraw(licenseId: string): void {
    const base = confirmed.get(licenseId);
    if (!base) return;
    const data = state.pending
      .filter((m) => m.licenseId === licenseId)
      .reduce((license, mutation) => drawOptimistic(license, mutation), base);
    patchResource('licenses', licenseId, { status: 'success', data });
  }

  function receiveLicense(license: License): void {
    // Answers may arrive out of order: never replace a newer version with an older one, nor bring
    // back a dropped license with an answer from before it was dropped.
    if ((droppedAt.get(license.id) ?? 0) >= license.version) return;
    const current = confirmed.get(license.id);
    if (current && current.version > license.version) {
      redraw(license.id);
      return;
    }
    confirmed.set(license.id, license);
    redraw(license.id);
  }

  /** Forgets a license the actor may no longer see, everywhere it is cached. */
  function drop(licenseId: string, version = confirmed.get(licenseId)?.version ?? 0): void {
    droppedAt.set(licenseId, Math.max(version, droppedAt.get(licenseId) ?? 0));
    confirmed.delete(licenseId);
    // Kept as NOT_FOUND (what the server now answers), so a view of it shows that instead of loading again.
    const gone = new LicenseContactsError('NOT_FOUND', `License ${licenseId} not found`);
    const restLicenses = {
      ...state.licenses,
      [licenseId]: { status: 'error' as const, error: gone, fetching: false },
    };
    const { [licenseId]: _permissions, ...restPermissions } = state.permissions;
    const restLists: Record<string, ListResource> = {};
    for (const [key, list] of Object.entries(state.lists)) {
      restLists[key] = list.ids.includes(licenseId)
        ? { ...list, ids: list.ids.filter((id) => id !== licenseId) }
        : list;
    }
    setState({ licenses: restLicenses, permissions: restPermissions, lists: restLists });
    emit({ type: 'licenseDropped', licenseId });
  }

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
    const promise = run(controller.signal).finally(() => {
      controllers.delete(controller);
      inflight.delete(key);
    });
    inflight.set(key, promise);
    return promise;
  }

  const queryKey = (query?: string) => (query ?? '').trim().toLowerCase();

  function fetchList(query: string | undefined, more: boolean): Promise<void> {
    const key = queryKey(query);
    return once(
      `list:${more ? 'more:' : ''}${key}`,
      async (signal) => {
        const current = state.lists[key] ?? IDLE_LIST;
        if (more && current.nextCursor === undefined) return;
        patchList(
          key,
          more
            ? { fetchingMore: true }
            : { fetching: true, ...(current.status === 'success' ? {} : { status: 'loading' }) },
        );
        try {
          const page = await api.listLicenses({
            ...(key === '' ? {} : { query: key }),
            ...(more && current.nextCursor !== undefined ? { cursor: current.nextCursor } : {}),
            limit: pageSize,
            signal,
          });
          for (const license of page.items) receiveLicense(license);
          const ids = more
            ? [...(state.lists[key] ?? IDLE_LIST).ids, ...page.items.map((l) => l.id)]
            : page.items.map((l) => l.id);
          const { nextCursor: _old, error: _error, ...rest } = state.lists[key] ?? IDLE_LIST;
          setState({
            lists: {
              ...state.lists,
              [key]: {
                ...rest,
                status: 'success',
                ids: [...new Set(ids)],
                ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
                fetching: false,
                fetchingMore: false,
              },
            },
          });
        } catch (error) {
          if (isAbort(error, signal)) {
            return patchList(key, {
              fetching: false,
              fetchingMore: false,
              ...(more ? {} : aborted(state.lists[key])),
            });
          }
          patchList(key, {
            ...(more ? {} : { status: 'error' }),
            error: asError(error),
            fetching: false,
            fetchingMore: false,
          });
        }
      },
      !more,
    );
  }

  function fetchLicense(licenseId: string): Promise<void> {
    return once(
      `license:${licenseId}`,
      async (signal) => {
        const current = state.licenses[licenseId];
        patchResource('licenses', licenseId, {
          fetching: true,
          ...(current?.data ? {} : { status: 'loading' }),
        });
        try {
          receiveLicense(await api.getLicense(licenseId, { signal }));
          const { error: _error, ...rest } = state.licenses[licenseId] ?? {
            status: 'success',
            fetching: false,
          };
          setState({ licenses: { ...state.licenses, [licenseId]: { ...rest, fetching: false } } });
        } catch (error) {
          if (isAbort(error, signal))
            return patchResource('licenses', licenseId, aborted(state.licenses[licenseId]));
          const failure = asError(error);
          if (failure.code === 'NOT_FOUND' && confirmed.has(licenseId)) return drop(licenseId);
          patchResource('licenses', licenseId, { status: 'error', error: failure, fetching: false });
        }
      },
      true,
    );
  }

  function fetchPermissions(licenseId: string): Promise<void> {
    return once(
      `permissions:${licenseId}`,
      async (signal) => {
        patchResource('permissions', licenseId, {
          fetching: true,
          ...(state.permissions[licenseId]?.data ? {} : { status: 'loading' }),
        });
        const seen = changes.get(licenseId) ?? 0;
        try {
          const data = await api.permissions(licenseId, { signal });
          permissionsSeen.set(licenseId, Math.max(seen, permissionsSeen.get(licenseId) ?? 0));
          setState({
            permissions: { ...state.permissions, [licenseId]: { status: 'success', data, fetching: false } },
          });
          markPermissions(licenseId);
        } catch (error) {
          if (isAbort(error, signal))
            return patchResource('permissions', licenseId, aborted(state.permissions[licenseId]));
          const failure = asError(error);
          if (failure.code === 'NOT_FOUND' && confirmed.has(licenseId)) return drop(licenseId);
          patchResource('permissions', licenseId, { status: 'error', error: failure, fetching: false });
        }
      },
      true,
    );
  }

  function fetchMe(): Promise<void> {
    return once('me', async (signal) => {
      setState({ me: { ...state.me, fetching: true, ...(state.me.data ? {} : { status: 'loading' }) } });
      try {
        setState({ me: { status: 'success', data: await api.me({ signal }), fetching: false } });
      } catch (error) {
        if (isAbort(error, signal)) return setState({ me: { ...state.me, ...aborted(state.me) } });
        setState({ me: { ...state.me, status: 'error', error: asError(error), fetching: false } });
      }
    });
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
    setState({ pending: [...state.pending, mutation] });
    redraw(licenseId);
    markPermissions(licenseId);
    const settle = () => {
      finish();
      if (sending.get(licenseId) === chain) sending.delete(licenseId);
      setState({ pending: state.pending.filter((m) => m.id !== mutation.id) });
      markPermissions(licenseId);
    };
    try {
      if (previous) await previous;
      const version = confirmed.get(licenseId)?.version;
      const license = await send(
        options.versionCheck && version !== undefined ? { expectedVersion: version } : {},
      );
      changes.set(licenseId, (changes.get(licenseId) ?? 0) + 1);
      settle();
      receiveLicense(license);
      // What the actor may do next depends on the new contacts. Whether they may still see the license
      // is the server's policy to say, not the store's: a NOT_FOUND here drops it from every list.
      if (confirmed.has(licenseId)) void fetchPermissions(licenseId);
      emit({ type: 'mutationSucceeded', mutation, license });
      return license;
    } catch (error) {
      const failure = asError(error);
      settle();
      redraw(licenseId);
      emit({ type: 'mutationFailed', mutation, error: failure });
      if (failure.code === 'CONFLICT') {
        changes.set(licenseId, (changes.get(licenseId) ?? 0) + 1);
        markPermissions(licenseId);
        emit({ type: 'conflict', licenseId });
        void fetchLicense(licenseId);
        void fetchPermissions(licenseId);
      } else if (
        failure.code === 'NOT_FOUND' &&
        (failure.field === undefined || failure.field === 'licenseId')
      ) {
        void fetchLicense(licenseId);
      }
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
    queryKey,
    ensureMe: () => (state.me.status === 'idle' ? fetchMe() : (inflight.get('me') ?? Promise.resolve())),
    ensureList(query) {
      const status = state.lists[queryKey(query)]?.status ?? 'idle';
      return status === 'idle'
        ? fetchList(query, false)
        : (inflight.get(`list:${queryKey(query)}`) ?? Promise.resolve());
    },
    ensureLicense(licenseId) {
      const status = state.licenses[licenseId]?.status ?? 'idle';
      return status === 'idle'
        ? fetchLicense(licenseId)
        : (inflight.get(`license:${licenseId}`) ?? Promise.resolve());
    },
    ensurePermissions(licenseId) {
      const status = state.permissions[licenseId]?.status ?? 'idle';
      return status === 'idle'
        ? fetchPermissions(licenseId)
        : (inflight.get(`permissions:${licenseId}`) ?? Promise.resolve());
    },
    refreshList: (query) => fetchList(query, false),
    loadMore: (query) => fetchList(query, true),
    refreshLicense: fetchLicense,
    refreshPermissions: fetchPermissions,
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
    dehydrate() {
      const out: ContactsStoreInitialData = { licenses: [...confirmed.values()] };
      if (state.me.data) out.me = state.me.data;
      const perms: Record<string, Permissions> = {};
      for (const [id, resource] of Object.entries(state.permissions))
        if (resource.data) perms[id] = resource.data;
      out.permissions = perms;
      const pages: Record<string, Page<License>> = {};
      for (const [key, list] of Object.entries(state.lists)) {
        if (list.status !== 'success') continue;
        const items = list.ids.map((id) => confirmed.get(id)).filter((l): l is License => l !== undefined);
        pages[key] = list.nextCursor === undefined ? { items } : { items, nextCursor: list.nextCursor };
      }
      out.lists = pages;
      return out;
    },
    cancel() {
      for (const controller of controllers) controller.abort();
    },
  };
  return store;
}
