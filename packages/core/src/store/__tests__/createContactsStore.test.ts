import type { ContactsStoreEvent, License, LicenseContactsApi } from '@license-contacts/core';
import { createContactsStore, LicenseContactsError, openPolicy } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { describe, expect, it, vi } from 'vitest';

const JIRA = 'SEN-4821337';
const { alice, bob, carol, dan, outsider } = demoPeople;

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(email = alice.email) {
  const service = createDemoService();
  const api = service.as({ email });
  const store = createContactsStore(api);
  return { service, api, store };
}

describe('createContactsStore', () => {
  it('keeps the same snapshot until something changes, and notifies subscribers of changes', async () => {
    const { store } = setup();
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    await store.ensureList();
    expect(listener).toHaveBeenCalled();
    const loaded = store.getSnapshot();
    expect(loaded).not.toBe(first);
    expect(store.getSnapshot()).toBe(loaded);
    unsubscribe();
    const calls = listener.mock.calls.length;
    await store.refreshList();
    expect(listener.mock.calls.length).toBe(calls);
  });

  it('lists the licenses of the actor by query and pages through them', async () => {
    const service = createDemoService();
    const store = createContactsStore(service.as({ email: alice.email }), { pageSize: 2 });
    await store.ensureList();
    let list = store.getSnapshot().lists[''];
    expect(list?.status).toBe('success');
    expect(list?.ids).toHaveLength(2);
    expect(list?.nextCursor).toBeDefined();
    await store.loadMore();
    list = store.getSnapshot().lists[''];
    expect(list?.ids).toEqual(['SEN-3141592', 'SEN-4821337', 'SEN-5550142']);
    expect(list?.nextCursor).toBeUndefined();
    await store.ensureList('  Confluence ');
    expect(store.getSnapshot().lists[store.queryKey('confluence')]?.ids).toEqual(['SEN-5550142']);
  });

  it('shows an outsider no licenses', async () => {
    const { store } = setup(outsider.email);
    await store.ensureList();
    expect(store.getSnapshot().lists['']).toMatchObject({ status: 'success', ids: [] });
  });

  it('deduplicates concurrent loads of the same license', async () => {
    const { api } = setup();
    const getLicense = vi.spyOn(api, 'getLicense');
    const store = createContactsStore(api);
    await Promise.all([store.ensureLicense(JIRA), store.ensureLicense(JIRA), store.ensureLicense(JIRA)]);
    expect(getLicense).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().licenses[JIRA]?.data?.product).toBe('Jira Software');
  });

  it('records a load error and recovers on refresh', async () => {
    const { api } = setup();
    const original = api.getLicense.bind(api);
    const failing = vi
      .spyOn(api, 'getLicense')
      .mockRejectedValueOnce(new TypeError('fetch failed'))
      .mockImplementation(original);
    const store = createContactsStore(api);
    await store.ensureLicense(JIRA);
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({ status: 'error', error: { code: 'NETWORK' } });
    await store.refreshLicense(JIRA);
    expect(store.getSnapshot().licenses[JIRA]?.status).toBe('success');
    expect(store.getSnapshot().licenses[JIRA]?.error).toBeUndefined();
    expect(failing).toHaveBeenCalledTimes(2);
  });

  it('draws a promotion at once, then takes the server answer', async () => {
    const { api } = setup();
    const gate = deferred<void>();
    const real = api.setMain.bind(api);
    vi.spyOn(api, 'setMain').mockImplementation(async (...args) => {
      await gate.promise;
      return real(...args);
    });
    const store = createContactsStore(api);
    await store.ensureLicense(JIRA);
    const done = store.setMain(JIRA, 'technical', carol.email);
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical[0]).toBe(carol.email);
    expect(store.getSnapshot().pending).toMatchObject([{ type: 'setMain', email: carol.email }]);
    gate.resolve();
    const license = await done;
    expect(store.getSnapshot().pending).toEqual([]);
    expect(store.getSnapshot().licenses[JIRA]?.data).toEqual(license);
    expect(license.technical).toEqual([carol.email, alice.email]);
  });

  it('rolls back an optimistic change and surfaces the error when the Api fails', async () => {
    const { api } = setup();
    vi.spyOn(api, 'addContact').mockRejectedValue(
      new LicenseContactsError('STORAGE', 'The storage is unavailable'),
    );
    const store = createContactsStore(api);
    await store.ensureLicense(JIRA);
    const before = store.getSnapshot().licenses[JIRA]?.data as License;
    const events: ContactsStoreEvent[] = [];
    store.onEvent((event) => events.push(event));
    const done = store.addContact(JIRA, { email: dan.email, name: dan.name, roles: ['technical'] });
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical).toContain(dan.email);
    await expect(done).rejects.toMatchObject({ code: 'STORAGE' });
    expect(store.getSnapshot().licenses[JIRA]?.data).toEqual(before);
    expect(store.getSnapshot().pending).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['mutationFailed']);
  });

  it('keeps a later pending change when an earlier one is rolled back', async () => {
    const { api } = setup();
    const gate = deferred<void>();
    vi.spyOn(api, 'addContact').mockRejectedValue(new LicenseContactsError('STORAGE', 'down'));
    const realSetMain = api.setMain.bind(api);
    vi.spyOn(api, 'setMain').mockImplementation(async (...args) => {
      await gate.promise;
      return realSetMain(...args);
    });
    const store = createContactsStore(api);
    await store.ensureLicense(JIRA);
    const promote = store.setMain(JIRA, 'technical', carol.email);
    await expect(
      store.addContact(JIRA, { email: dan.email, name: dan.name, roles: ['technical'] }),
    ).rejects.toThrow();
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical).toEqual([carol.email, alice.email]);
    gate.resolve();
    await promote;
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical).toEqual([carol.email, alice.email]);
  });

  it('refetches the license and permissions after a CONFLICT', async () => {
    const { service, api } = setup();
    const store = createContactsStore(api, { versionCheck: true });
    await store.ensureLicense(JIRA);
    await store.ensurePermissions(JIRA);
    // Someone else changes the license meanwhile.
    await service
      .as({ email: bob.email })
      .addContact(JIRA, { email: dan.email, name: dan.name, roles: ['billing'] });
    const getLicense = vi.spyOn(api, 'getLicense');
    const permissions = vi.spyOn(api, 'permissions');
    const conflicts: string[] = [];
    store.onEvent((event) => event.type === 'conflict' && conflicts.push(event.licenseId));
    await expect(store.setMain(JIRA, 'technical', carol.email)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(conflicts).toEqual([JIRA]);
    await vi.waitFor(() => expect(store.getSnapshot().licenses[JIRA]?.data?.billing).toContain(dan.email));
    expect(getLicense).toHaveBeenCalledWith(JIRA, expect.anything());
    expect(permissions).toHaveBeenCalledWith(JIRA, expect.anything());
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical[0]).toBe(alice.email);
  });

  it('sends quick successive changes one at a time under versionCheck, so they never conflict with each other', async () => {
    const { api } = setup();
    const store = createContactsStore(api, { versionCheck: true });
    await store.ensureLicense(JIRA);
    const first = store.addContact(JIRA, { email: dan.email, name: dan.name, roles: ['billing'] });
    const second = store.setMain(JIRA, 'billing', dan.email);
    const third = store.setMain(JIRA, 'technical', carol.email);
    await expect(Promise.all([first, second, third])).resolves.toHaveLength(3);
    expect(store.getSnapshot().licenses[JIRA]?.data).toMatchObject({
      billing: [dan.email, bob.email],
      technical: [carol.email, alice.email],
      version: 4,
    });
  });

  it('keeps a license id such as __proto__ a plain key of its records', () => {
    const { api } = setup();
    const license = {
      id: '__proto__',
      product: 'P',
      contacts: [],
      technical: [],
      billing: [],
      version: 1,
      updatedAt: '',
    };
    const store = createContactsStore(api, { initialData: { licenses: [license] } });
    expect(Object.keys(store.getSnapshot().licenses)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(store.getSnapshot().licenses)).toBe(Object.prototype);
  });

  it('refreshes permissions after a change', async () => {
    const { store } = setup(carol.email);
    await store.ensureLicense(JIRA);
    await store.ensurePermissions(JIRA);
    expect(store.getSnapshot().permissions[JIRA]?.data?.removeContact.technical[alice.email]?.allowed).toBe(
      false,
    );
    await store.setMain(JIRA, 'technical', carol.email);
    await vi.waitFor(() =>
      expect(store.getSnapshot().permissions[JIRA]?.data?.removeContact.technical[alice.email]?.allowed).toBe(
        true,
      ),
    );
  });

  it('drops a license from every cache when the actor removed their last role', async () => {
    const { store } = setup(carol.email);
    await store.ensureMe();
    await store.ensureList();
    expect(store.getSnapshot().lists['']?.ids).toContain(JIRA);
    const dropped: string[] = [];
    store.onEvent((event) => event.type === 'licenseDropped' && dropped.push(event.licenseId));
    await store.removeContact(JIRA, carol.email, { role: 'technical' });
    // The server says whether the actor may still see it (its policy, not the store's guess).
    await vi.waitFor(() => expect(dropped).toEqual([JIRA]));
    expect(store.getSnapshot().lists['']?.ids).not.toContain(JIRA);
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({
      status: 'error',
      error: { code: 'NOT_FOUND' },
    });
    expect(store.getSnapshot().licenses[JIRA]?.data).toBeUndefined();
  });

  it('keeps a license the server still shows after the actor left it (a portal policy decides, not the store)', async () => {
    // A portal whose company admins see every license of their domain without being contacts.
    const policy = {
      ...openPolicy,
      canView: ({ license, actor }: { license: License; actor: { email: string } }) =>
        license.contacts.some((c) => c.email === actor.email) || actor.email.endsWith('@acme.test'),
    };
    const service = createDemoService({ policy });
    const store = createContactsStore(service.as({ email: carol.email }));
    await store.ensureMe();
    await store.ensureList();
    await store.removeContact(JIRA, carol.email, { role: 'technical' });
    await store.refreshPermissions(JIRA);
    expect(store.getSnapshot().licenses[JIRA]?.data?.technical).toEqual([alice.email]);
    expect(store.getSnapshot().lists['']?.ids).toContain(JIRA);
  });

  it('drops the license too when it does not know who it acts for yet', async () => {
    const { store } = setup(carol.email);
    await store.ensureLicense(JIRA);
    await store.removeContact(JIRA, carol.email, { role: 'technical' });
    await vi.waitFor(() => expect(store.getSnapshot().licenses[JIRA]?.error?.code).toBe('NOT_FOUND'));
    expect(store.getSnapshot().licenses[JIRA]?.data).toBeUndefined();
  });

  it('starts from initial data without requests, and dehydrates what it holds', async () => {
    const { api } = setup();
    const source = createContactsStore(api);
    await Promise.all([source.ensureMe(), source.ensureList(), source.ensurePermissions(JIRA)]);
    const data = JSON.parse(JSON.stringify(source.dehydrate()));
    const spy: LicenseContactsApi = {
      ...api,
      listLicenses: vi.fn(api.listLicenses),
      getLicense: vi.fn(api.getLicense),
      permissions: vi.fn(api.permissions),
      me: vi.fn(api.me),
    };
    const store = createContactsStore(spy, { initialData: data });
    await Promise.all([
      store.ensureMe(),
      store.ensureList(),
      store.ensureLicense(JIRA),
      store.ensurePermissions(JIRA),
    ]);
    expect(spy.listLicenses).not.toHaveBeenCalled();
    expect(spy.getLicense).not.toHaveBeenCalled();
    expect(spy.permissions).not.toHaveBeenCalled();
    expect(spy.me).not.toHaveBeenCalled();
    expect(store.getSnapshot().lists['']?.ids).toEqual(source.getSnapshot().lists['']?.ids);
    expect(store.getSnapshot().licenses[JIRA]?.data).toEqual(source.getSnapshot().licenses[JIRA]?.data);
  });

  it('aborts running requests on cancel without recording an error', async () => {
    const { api } = setup();
    let seen: AbortSignal | undefined;
    vi.spyOn(api, 'getLicense').mockImplementation(
      (_id, options) =>
        new Promise((_resolve, reject) => {
          seen = options?.signal;
          seen?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
        }),
    );
    const store = createContactsStore(api);
    const loading = store.ensureLicense(JIRA);
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({ status: 'loading', fetching: true });
    store.cancel();
    await loading;
    expect(seen?.aborted).toBe(true);
    expect(store.getSnapshot().licenses[JIRA]?.error).toBeUndefined();
    expect(store.getSnapshot().licenses[JIRA]).toMatchObject({ status: 'idle', fetching: false });
  });
  it('asks again for permissions that were in flight when a change landed', async () => {
    const { api } = setup(carol.email);
    const gate = deferred<void>();
    const real = api.permissions.bind(api);
    const permissions = vi.spyOn(api, 'permissions').mockImplementationOnce(async (...args) => {
      const answer = await real(...args); // read before the change below
      await gate.promise;
      return answer;
    });
    const store = createContactsStore(api);
    await store.ensureLicense(JIRA);
    const first = store.ensurePermissions(JIRA);
    await store.setMain(JIRA, 'technical', carol.email);
    gate.resolve();
    await first;
    await vi.waitFor(() => expect(permissions).toHaveBeenCalledTimes(2));
    await vi.waitFor(() =>
      expect(store.getSnapshot().permissions[JIRA]?.data?.removeContact.technical[alice.email]?.allowed).toBe(
        true,
      ),
    );
  });
  it('marks permissions stale while a change is pending and until they are refreshed after it', async () => {
    const { api } = setup();
    const gate = deferred<void>();
    const realSetMain = api.setMain.bind(api);
    vi.spyOn(api, 'setMain').mockImplementation(async (...args) => {
      await gate.promise;
      return realSetMain(...args);
    });
    const permissionsGate = deferred<void>();
    const realPermissions = api.permissions.bind(api);
    const store = createContactsStore(api);
    await Promise.all([store.ensureLicense(JIRA), store.ensurePermissions(JIRA)]);
    expect(store.getSnapshot().permissions[JIRA]?.stale).toBeFalsy();
    vi.spyOn(api, 'permissions').mockImplementation(async (...args) => {
      await permissionsGate.promise;
      return realPermissions(...args);
    });
    const done = store.setMain(JIRA, 'technical', carol.email);
    expect(store.getSnapshot().permissions[JIRA]?.stale).toBe(true);
    gate.resolve();
    await done;
    // Confirmed, but the permissions still describe the license before the change.
    expect(store.getSnapshot().permissions[JIRA]?.stale).toBe(true);
    permissionsGate.resolve();
    await vi.waitFor(() => expect(store.getSnapshot().permissions[JIRA]?.stale).toBeFalsy());
    expect(store.getSnapshot().permissions[JIRA]?.data?.setMain.technical[alice.email]?.allowed).toBe(true);
  });
});

describe('createContactsStore: requests (§7)', () => {
  const sam = { email: 'sam@gmail.com', name: 'Sam Rivera' };

  it('keeps pending requests per person and per license, and asks them again after every request command', async () => {
    const { service, store } = setup();
    await Promise.all([store.ensureRequests(), store.ensureRequests(JIRA), store.ensureLicense(JIRA)]);
    expect(store.getSnapshot().requests['']?.data).toEqual([]);
    const events: ContactsStoreEvent[] = [];
    store.onEvent((event) => events.push(event));

    const invited = await store.invite(JIRA, { ...sam, roles: ['technical'] });
    await vi.waitFor(() =>
      expect(store.getSnapshot().requests[JIRA]?.data?.map((r) => r.id)).toEqual([invited.id]),
    );
    expect(store.getSnapshot().requests['']?.data?.[0]).toMatchObject({ id: invited.id, state: 'pending' });
    // Opening the request gave the license a new version: the store holds it.
    await vi.waitFor(async () =>
      expect(store.getSnapshot().licenses[JIRA]?.data?.version).toBe(
        (await service.findLicense(JIRA))?.version,
      ),
    );
    expect(events).toEqual([{ type: 'requestChanged', request: invited }]);

    // Unchanged answers keep their identity (structural sharing).
    const held = store.getSnapshot().requests[JIRA];
    await store.refreshRequests(JIRA);
    expect(store.getSnapshot().requests[JIRA]?.data).toBe(held?.data);

    await store.cancelRequest(invited.id);
    await vi.waitFor(() => expect(store.getSnapshot().requests[JIRA]?.data).toEqual([]));
    expect(store.getSnapshot().requests['']?.data).toEqual([]);
  });

  it('gives the invitee the license in their lists once they accept', async () => {
    const { service } = setup();
    const request = await service.as(alice).invite(JIRA, { ...sam, roles: ['billing'] });
    const store = createContactsStore(service.as(sam));
    await Promise.all([store.ensureList(), store.ensureRequests()]);
    expect(store.getSnapshot().lists['']?.ids).toEqual([]);
    expect(store.getSnapshot().requests['']?.data?.[0]?.actions?.accept).toEqual({ allowed: true });
    await store.acceptRequest(request.id);
    await vi.waitFor(() => expect(store.getSnapshot().lists['']?.ids).toEqual([JIRA]));
    await vi.waitFor(() => expect(store.getSnapshot().requests['']?.data).toEqual([]));
  });

  it('asks the requests again when a decision is refused, and rejects with the core’s error', async () => {
    const { service } = setup();
    const request = await service.as(alice).invite(JIRA, { ...sam, roles: ['billing'] });
    const store = createContactsStore(service.as(sam));
    await store.ensureRequests();
    await service.as(alice).cancelRequest(request.id);
    const error = await store.acceptRequest(request.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LicenseContactsError);
    expect((error as LicenseContactsError).code).toBe('CONFLICT');
    await vi.waitFor(() => expect(store.getSnapshot().requests['']?.data).toEqual([]));
  });

  it('forgets requests nobody observes after gcTime', async () => {
    vi.useFakeTimers();
    try {
      const service = createDemoService();
      const store = createContactsStore(service.as(alice), { gcTime: 1000 });
      const release = store.observe({ type: 'requests', licenseId: JIRA });
      await store.ensureRequests(JIRA);
      release();
      expect(store.getSnapshot().requests[JIRA]?.status).toBe('success');
      await vi.advanceTimersByTimeAsync(1001);
      expect(Object.hasOwn(store.getSnapshot().requests, JIRA)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
