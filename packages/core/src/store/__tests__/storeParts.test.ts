import type { License, LicenseContactsApi } from '@license-contacts/core';
import {
  type AuditEntry,
  applyCommand,
  createContactsStore,
  LicenseContactsError,
  openPolicy,
} from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mutationQueueReducer } from '../mutationQueue';
import { replaceEqualDeep } from '../replaceEqualDeep';
import { cacheReducer, emptyCache } from '../resourceCache';

const JIRA = 'SEN-4821337';
const BITBUCKET = 'SEN-3141592';
const { alice, bob, carol, dan } = demoPeople;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** The Api as a browser sees it over HTTP: every answer a fresh object. */
function overTheWire(api: LicenseContactsApi): LicenseContactsApi {
  const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value));
  return new Proxy(api, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => copy(await value.apply(target, args));
    },
  });
}

function counted(store: ReturnType<typeof createContactsStore>) {
  const calls = { n: 0 };
  store.subscribe(() => {
    calls.n += 1;
  });
  return calls;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createContactsStore: one notification per state change', () => {
  it('notifies once when a mutation is sent and once when it is answered', async () => {
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const gate = deferred();
    const real = api.setMain.bind(api);
    const permissionsGate = deferred();
    const realPermissions = api.permissions.bind(api);
    let holdPermissions = false;
    const store = createContactsStore({
      ...api,
      setMain: async (...args) => {
        await gate.promise;
        return real(...args);
      },
      permissions: async (...args) => {
        if (holdPermissions) await permissionsGate.promise;
        return realPermissions(...args);
      },
    });
    await Promise.all([store.ensureLicense(JIRA), store.ensurePermissions(JIRA)]);
    holdPermissions = true;
    const calls = counted(store);
    const before = store.getSnapshot();
    const done = store.setMain(JIRA, 'technical', carol.email);
    // The pending change, the drawn license and the stale permissions: one new state.
    expect(calls.n).toBe(1);
    const sent = store.getSnapshot();
    expect(sent.pending).toHaveLength(1);
    expect(sent.licenses[JIRA]?.data?.technical).toEqual([carol.email, alice.email]);
    expect(sent.permissions[JIRA]?.stale).toBe(true);
    expect(sent.lists).toBe(before.lists);
    gate.resolve();
    await done;
    // Answered: the queue empties, the server's license comes in and the permissions are asked again.
    expect(calls.n).toBe(2);
    expect(store.getSnapshot()).toMatchObject({ pending: [] });
    expect(store.getSnapshot().permissions[JIRA]).toMatchObject({ stale: true, fetching: true });
    permissionsGate.resolve();
    await vi.waitFor(() => expect(store.getSnapshot().permissions[JIRA]?.fetching).toBe(false));
    expect(calls.n).toBe(3);
    expect(store.getSnapshot().permissions[JIRA]?.stale).toBeFalsy();
  });

  it('does not notify, nor change the snapshot, when nothing changed', async () => {
    const store = createContactsStore(createDemoService().as({ email: alice.email }));
    await Promise.all([store.ensureList(), store.ensureLicense(JIRA), store.ensureMe()]);
    const calls = counted(store);
    const snapshot = store.getSnapshot();
    await Promise.all([store.ensureList(), store.ensureLicense(JIRA), store.ensureMe()]);
    expect(calls.n).toBe(0);
    expect(store.getSnapshot()).toBe(snapshot);
    // Promoting the main contact changes nothing on the server nor on screen.
    await store.setMain(JIRA, 'technical', alice.email);
    expect(store.getSnapshot().licenses[JIRA]?.data).toBe(snapshot.licenses[JIRA]?.data);
  });

  it('loads a license with two notifications: loading, then loaded', async () => {
    const store = createContactsStore(createDemoService().as({ email: alice.email }));
    const calls = counted(store);
    const loading = store.ensureLicense(JIRA);
    expect(calls.n).toBe(1);
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({ status: 'loading', fetching: true });
    await loading;
    expect(calls.n).toBe(2);
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({ status: 'success', fetching: false });
  });
});

describe('createContactsStore: structural sharing', () => {
  it('keeps the identity of a license that arrives at the version already held', async () => {
    const service = createDemoService();
    const store = createContactsStore(overTheWire(service.as({ email: alice.email })));
    await store.ensureLicense(JIRA);
    const held = store.getSnapshot().licenses[JIRA]?.data;
    await store.refreshLicense(JIRA);
    expect(store.getSnapshot().licenses[JIRA]?.data).toBe(held);
    await store.refreshList();
    expect(store.getSnapshot().licenses[JIRA]?.data).toBe(held);
  });

  it('keeps the identity of every part of a newer license that did not change', async () => {
    const service = createDemoService();
    const store = createContactsStore(overTheWire(service.as({ email: alice.email })));
    await store.ensureLicense(JIRA);
    const held = store.getSnapshot().licenses[JIRA]?.data as License;
    await service.as({ email: bob.email }).addContact(JIRA, { ...dan, roles: ['billing'] });
    await store.refreshLicense(JIRA);
    const fresh = store.getSnapshot().licenses[JIRA]?.data as License;
    expect(fresh.version).toBe(held.version + 1);
    expect(fresh.billing).toEqual([bob.email, dan.email]);
    expect(fresh.technical).toBe(held.technical);
    for (const contact of held.contacts) {
      expect(fresh.contacts.find((c) => c.email === contact.email)).toBe(contact);
    }
  });

  it('keeps the identity of permissions and list pages that come back the same', async () => {
    const store = createContactsStore(overTheWire(createDemoService().as({ email: alice.email })));
    await Promise.all([store.ensureList(), store.ensurePermissions(JIRA)]);
    const { permissions, lists } = store.getSnapshot();
    await Promise.all([store.refreshList(), store.refreshPermissions(JIRA)]);
    expect(store.getSnapshot().permissions[JIRA]?.data).toBe(permissions[JIRA]?.data);
    expect(store.getSnapshot().lists['']?.ids).toBe(lists['']?.ids);
  });

  it('replaceEqualDeep answers the previous value when equal, and shares equal parts otherwise', () => {
    const a = { x: [1, { y: 2 }], z: { w: 'v' } };
    expect(replaceEqualDeep(a, JSON.parse(JSON.stringify(a)))).toBe(a);
    const b = replaceEqualDeep(a, { x: [1, { y: 3 }], z: { w: 'v' } });
    expect(b).toEqual({ x: [1, { y: 3 }], z: { w: 'v' } });
    expect(b.z).toBe(a.z);
    expect(replaceEqualDeep(a, { x: a.x })).toEqual({ x: a.x });
    expect(replaceEqualDeep([1, 2], [1, 2, 3])).toEqual([1, 2, 3]);
    const proto = replaceEqualDeep({}, JSON.parse('{"__proto__": 1}'));
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });
});

describe('createContactsStore: optimistic state from the core rules', () => {
  it('draws a change exactly as the server then commits it (role order, the email as the service reads it)', async () => {
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const gate = deferred();
    const real = api.addContact.bind(api);
    const store = createContactsStore({
      ...api,
      addContact: async (...args) => {
        await gate.promise;
        return real(...args);
      },
    });
    await store.ensureLicense(JIRA);
    const before = store.getSnapshot().licenses[JIRA]?.data as License;
    // Bob is the billing contact; asked for the technical role with his address typed loosely.
    const input = { email: '  BOB@Acme.test ', name: 'Bob', roles: ['technical' as const] };
    const done = store.addContact(JIRA, input);
    const drawn = store.getSnapshot().licenses[JIRA]?.data as License;
    const expected = applyCommand(
      before,
      { type: 'addContact', input: { email: bob.email, name: 'Bob', roles: ['technical'] } },
      { email: alice.email },
      openPolicy,
      before.updatedAt,
    )?.license as License;
    expect(drawn.contacts).toEqual(expected.contacts);
    expect(drawn.contacts.find((c) => c.email === bob.email)?.roles).toEqual(['technical', 'billing']);
    expect(drawn.technical).toEqual([alice.email, carol.email, bob.email]);
    gate.resolve();
    const server = await done;
    expect(store.getSnapshot().licenses[JIRA]?.data?.contacts).toEqual(server.contacts);
  });

  it('draws nothing for a change the rules refuse, and nothing for input the service would refuse', async () => {
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const never = new Promise<License>(() => {});
    const store = createContactsStore({
      ...api,
      removeContact: () => never,
      addContact: () => never,
    });
    await store.ensureLicense(JIRA);
    const held = store.getSnapshot().licenses[JIRA]?.data;
    void store.removeContact(JIRA, bob.email, { role: 'billing' }); // the last billing contact (R2)
    void store.addContact(JIRA, { email: 'not an email', name: 'X', roles: ['technical'] });
    expect(store.getSnapshot().pending).toHaveLength(2);
    expect(store.getSnapshot().licenses[JIRA]?.data).toBe(held);
  });
});

describe('createContactsStore: gcTime', () => {
  it('evicts a license nobody observes gcTime after the last observer left, and loads it again on use', async () => {
    vi.useFakeTimers();
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const getLicense = vi.spyOn(api, 'getLicense');
    // Not live: the watch stopping when the last observer leaves would be one more notification.
    const store = createContactsStore(api, { gcTime: 1000, live: false });
    const release = store.observe({ type: 'license', licenseId: JIRA });
    await store.ensureLicense(JIRA);
    await vi.advanceTimersByTimeAsync(5000);
    expect(store.getSnapshot().licenses[JIRA]?.status).toBe('success');
    release();
    const calls = counted(store);
    await vi.advanceTimersByTimeAsync(999);
    expect(store.getSnapshot().licenses[JIRA]).toBeDefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(store.getSnapshot().licenses[JIRA]).toBeUndefined();
    expect(calls.n).toBe(1);
    await store.ensureLicense(JIRA);
    expect(getLicense).toHaveBeenCalledTimes(2);
  });

  it('evicts what was loaded without an observer, too', async () => {
    vi.useFakeTimers();
    const store = createContactsStore(createDemoService().as({ email: alice.email }), { gcTime: 1000 });
    await Promise.all([store.ensurePermissions(JIRA), store.ensureHistory(JIRA)]);
    expect(store.getSnapshot().permissions[JIRA]?.status).toBe('success');
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getSnapshot().permissions[JIRA]).toBeUndefined();
    expect(store.getSnapshot().histories[JIRA]).toBeUndefined();
  });

  it('takes along the licenses only an evicted list kept, and keeps the ones observed or in another list', async () => {
    vi.useFakeTimers();
    const store = createContactsStore(createDemoService().as({ email: alice.email }), { gcTime: 1000 });
    const releaseAll = store.observe({ type: 'list' });
    const releaseBitbucket = store.observe({ type: 'list', query: 'bitbucket' });
    const releaseJira = store.observe({ type: 'license', licenseId: JIRA });
    await Promise.all([store.ensureList(), store.ensureList('bitbucket')]);
    expect(Object.keys(store.getSnapshot().licenses).sort()).toEqual([BITBUCKET, JIRA, 'SEN-5550142']);
    releaseAll();
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getSnapshot().lists['']).toBeUndefined();
    expect(Object.keys(store.getSnapshot().licenses).sort()).toEqual([BITBUCKET, JIRA]);
    releaseBitbucket();
    releaseJira();
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getSnapshot().lists).toEqual({});
    expect(store.getSnapshot().licenses).toEqual({});
  });

  it('never evicts a license with a change waiting for the server', async () => {
    vi.useFakeTimers();
    const service = createDemoService();
    const api = service.as({ email: alice.email });
    const gate = deferred();
    const real = api.setMain.bind(api);
    const store = createContactsStore(
      {
        ...api,
        setMain: async (...args) => {
          await gate.promise;
          return real(...args);
        },
      },
      { gcTime: 1000 },
    );
    await store.ensureLicense(JIRA);
    const done = store.setMain(JIRA, 'technical', carol.email);
    await vi.advanceTimersByTimeAsync(3000);
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical[0]).toBe(carol.email);
    gate.resolve();
    await done;
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getSnapshot().licenses[JIRA]).toBeUndefined();
  });
});

describe('createContactsStore: history and replacement', () => {
  it('pages through a history and puts new entries on top of the pages held after a change', async () => {
    const service = createDemoService();
    const alicesApi = service.as({ email: alice.email });
    for (let i = 0; i < 4; i++) {
      await alicesApi.setMain(JIRA, 'technical', i % 2 === 0 ? carol.email : alice.email);
    }
    const store = createContactsStore(alicesApi, { historyPageSize: 2 });
    await store.ensureLicense(JIRA);
    await store.ensureHistory(JIRA);
    const versions = () => store.getSnapshot().histories[JIRA]?.entries.map((e: AuditEntry) => e.version);
    expect(versions()).toEqual([5, 4]);
    await store.loadMoreHistory(JIRA);
    // The demo licenses were stored as they are, without an entry of their creation.
    expect(versions()).toEqual([5, 4, 3, 2]);
    expect(store.getSnapshot().histories[JIRA]?.nextCursor).toBeUndefined();
    await store.setMain(JIRA, 'technical', carol.email);
    await vi.waitFor(() => expect(versions()).toEqual([6, 5, 4, 3, 2]));
    expect(store.getSnapshot().histories[JIRA]?.nextCursor).toBeUndefined();
  });

  it('previews a replacement without changing anything, then takes in the changed licenses', async () => {
    const service = createDemoService();
    const store = createContactsStore(service.as({ email: alice.email }));
    await store.ensureList();
    const before = store.getSnapshot();
    const preview = await store.replaceContact(carol.email, dan, { dryRun: true });
    expect(preview.changed.map((c) => c.licenseId).sort()).toEqual([BITBUCKET, JIRA]);
    expect(store.getSnapshot()).toBe(before);
    const events: string[] = [];
    store.onEvent((event) => events.push(event.type));
    await store.replaceContact(carol.email, dan, { licenseIds: preview.changed.map((c) => c.licenseId) });
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical).toEqual([alice.email, dan.email]);
    expect(store.getSnapshot().licenses[BITBUCKET]?.data?.technical[0]).toBe(dan.email);
    expect(events).toEqual(['replaced']);
  });

  it('drops the licenses the actor no longer sees after replacing themselves', async () => {
    const service = createDemoService();
    const store = createContactsStore(service.as({ email: carol.email }));
    await store.ensureList();
    expect(store.getSnapshot().lists['']?.ids).toEqual([BITBUCKET, JIRA]);
    await store.replaceContact(carol.email, dan);
    await vi.waitFor(() => expect(store.getSnapshot().lists['']?.ids).toEqual([]));
  });

  it('surfaces a refused replacement as the core error, changing nothing', async () => {
    const store = createContactsStore(createDemoService().as({ email: alice.email }));
    await store.ensureList();
    const before = store.getSnapshot();
    await expect(store.replaceContact(carol.email, { email: 'x', name: 'Dan' })).rejects.toBeInstanceOf(
      LicenseContactsError,
    );
    expect(store.getSnapshot()).toBe(before);
  });
});

describe('the store parts are pure reducers', () => {
  it('answer the same state for an action they do not handle', () => {
    const cache = emptyCache();
    expect(cacheReducer(cache, { type: 'mutationFailed' } as never)).toBe(cache);
    const queue = mutationQueueReducer([], { type: 'fetch' });
    expect(mutationQueueReducer(queue, { type: 'licenseLoaded' })).toBe(queue);
  });
});
