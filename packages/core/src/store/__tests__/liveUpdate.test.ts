import type {
  AuditEntry,
  ContactsStoreEvent,
  LicenseContactsApi,
  RemoteChange,
  WatchOptions,
} from '@license-contacts/core';
import { createContactsStore, LicenseContactsError } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { describe, expect, it, vi } from 'vitest';

const JIRA = 'SEN-4821337';
const BITBUCKET = 'SEN-3141592';
const { alice, carol, dan } = demoPeople;

/** Carol's store (she is a technical contact of JIRA and main technical of BITBUCKET), and Alice's api. */
function setup(options: Parameters<typeof createContactsStore>[1] = {}) {
  const service = createDemoService();
  const api = service.as({ email: carol.email });
  const store = createContactsStore(api, { gcTime: 60_000, ...options });
  const events: ContactsStoreEvent[] = [];
  store.onEvent((event) => events.push(event));
  const remote = () =>
    events.flatMap((event) => (event.type === 'remoteChanges' ? event.changes : ([] as RemoteChange[])));
  return { service, api, store, events, remote, alice: service.as({ email: alice.email }) };
}

/** An api whose `watch` the test drives: `tell` delivers an entry to the current listener. */
function drivenApi(api: LicenseContactsApi) {
  const watches: Array<{ options: WatchOptions | undefined; stopped: boolean }> = [];
  let listener: ((entry: AuditEntry) => void) | undefined;
  let onError: ((error: unknown) => void) | undefined;
  const driven: LicenseContactsApi = {
    ...api,
    watch(next, options) {
      const watch = { options, stopped: false };
      watches.push(watch);
      listener = next;
      onError = options?.onError;
      return () => {
        watch.stopped = true;
      };
    },
  };
  return {
    api: driven,
    watches,
    tell: (entry: AuditEntry) => listener?.(entry),
    fail: (error: unknown) => onError?.(error),
    open: (position = '0000000000000000') => watches.at(-1)?.options?.onOpen?.(position),
  };
}

/** A store of Carol's over an api whose `watch` the test drives, and the events it emits. */
function drivenStore(options: Parameters<typeof createContactsStore>[1] = { gcTime: 60_000 }) {
  const service = createDemoService();
  const driven = drivenApi(service.as({ email: carol.email }));
  const store = createContactsStore(driven.api, options);
  const events: ContactsStoreEvent[] = [];
  store.onEvent((event) => events.push(event));
  return { service, driven, store, events };
}

describe('createContactsStore (live)', () => {
  it('takes in a change another person made: the license it touches refreshes, the others keep their identity', async () => {
    const { store, alice: aliceApi, remote } = setup();
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    await vi.waitFor(() => expect(store.getSnapshot().live.status).toBe('on'));
    const before = store.getSnapshot();
    expect(before.lists['']?.ids).toEqual([BITBUCKET, JIRA]);
    const bitbucket = before.licenses[BITBUCKET];

    await aliceApi.addContact(JIRA, { ...dan, roles: ['billing'] });

    await vi.waitFor(() =>
      expect(store.getSnapshot().licenses[JIRA]?.data?.billing).toEqual(['bob@acme.test', dan.email]),
    );
    const after = store.getSnapshot();
    expect(after.licenses[BITBUCKET]).toBe(bitbucket);
    expect(after.lists['']?.ids).toEqual([BITBUCKET, JIRA]);
    await vi.waitFor(() => expect(remote()).toHaveLength(1));
    expect(remote()[0]).toMatchObject({ licenseId: JIRA, lostAccess: false });
    expect(remote()[0]?.entries.map((entry) => entry.action)).toEqual(['addContact']);
    release();
  });

  it('drops a license the person lost access to from their list at once, and says so', async () => {
    const { store, alice: aliceApi, events, remote } = setup();
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    await vi.waitFor(() => expect(store.getSnapshot().live.status).toBe('on'));
    const bitbucket = store.getSnapshot().licenses[BITBUCKET];

    await aliceApi.removeContact(JIRA, carol.email, { role: 'technical' });

    await vi.waitFor(() => expect(store.getSnapshot().lists['']?.ids).toEqual([BITBUCKET]));
    expect(store.getSnapshot().licenses[JIRA]?.error?.code).toBe('NOT_FOUND');
    expect(store.getSnapshot().licenses[BITBUCKET]).toBe(bitbucket);
    const dropped = events.find((event) => event.type === 'licenseDropped');
    expect(dropped).toMatchObject({ licenseId: JIRA, license: { id: JIRA, product: 'Jira Software' } });
    await vi.waitFor(() => expect(remote()).toHaveLength(1));
    expect(remote()[0]).toMatchObject({ licenseId: JIRA, lostAccess: true, license: { id: JIRA } });
    release();
  });

  it('adds a license to the list when the person is added to it', async () => {
    const { store, alice: aliceApi } = setup();
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    await vi.waitFor(() => expect(store.getSnapshot().live.status).toBe('on'));

    await aliceApi.addContact('SEN-5550142', { ...carol, roles: ['billing'] });

    await vi.waitFor(() =>
      expect(store.getSnapshot().lists['']?.ids).toEqual([BITBUCKET, JIRA, 'SEN-5550142']),
    );
    release();
  });

  it('ignores entries told twice or out of order, and its own changes', async () => {
    const { service, driven, store, events } = drivenStore();
    const getLicense = vi.spyOn(driven.api, 'getLicense');
    const release = store.observe({ type: 'license', licenseId: JIRA });
    await store.ensureLicense(JIRA);
    expect(getLicense).toHaveBeenCalledTimes(1);

    const aliceApi = service.as({ email: alice.email });
    await aliceApi.addContact(JIRA, { ...dan, roles: ['billing'] });
    const [added] = (await aliceApi.changes()).items.filter((e) => e.action === 'addContact');
    if (!added) throw new Error('no entry');
    driven.tell(added);
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'remoteChanges')).toHaveLength(1));
    expect(getLicense).toHaveBeenCalledTimes(2);
    expect(store.getSnapshot().licenses[JIRA]?.data?.billing).toContain(dan.email);

    // The same entry again, and an older one: nothing is asked for, nothing is announced.
    driven.tell(added);
    driven.tell({ ...added, seq: '0000000000000001' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(getLicense).toHaveBeenCalledTimes(2);
    expect(events.filter((e) => e.type === 'remoteChanges')).toHaveLength(1);

    // Its own change is confirmed by its answer: its entry is not taken in again.
    const own = await store.setMain(JIRA, 'technical', carol.email);
    const [entry] = (await aliceApi.changes({ after: added.seq })).items;
    expect(entry?.version).toBe(own.version);
    if (entry) driven.tell(entry);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(getLicense).toHaveBeenCalledTimes(2);
    expect(events.filter((e) => e.type === 'remoteChanges')).toHaveLength(1);
    release();
  });

  it('stops watching when nothing live observes it, and resumes after the last entry it was told', async () => {
    const { service, driven, store } = drivenStore();
    const first = store.observe({ type: 'list' });
    const second = store.observe({ type: 'license', licenseId: JIRA });
    await store.ensureList();
    expect(driven.watches).toHaveLength(1);
    expect(driven.watches[0]?.options?.after).toBeUndefined();
    expect(store.getSnapshot().live.status).toBe('on');

    const aliceApi = service.as({ email: alice.email });
    await aliceApi.addContact(JIRA, { ...dan, roles: ['billing'] });
    const [entry] = (await aliceApi.changes()).items.filter((e) => e.action === 'addContact');
    if (!entry) throw new Error('no entry');
    driven.tell(entry);

    first();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(driven.watches[0]?.stopped).toBe(false); // the license is still observed
    second();
    await vi.waitFor(() => expect(driven.watches[0]?.stopped).toBe(true));
    expect(store.getSnapshot().live.status).toBe('off');

    // An observer that does not want live updates does not start a watch.
    const still = store.observe({ type: 'list' }, { live: false });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(driven.watches).toHaveLength(1);
    still();

    const again = store.observe({ type: 'list' });
    expect(driven.watches).toHaveLength(2);
    expect(driven.watches[1]?.options?.after).toBe(entry.seq);
    again();
  });

  it('resumes from where its first watch said it was, when it was told no entry before stopping', async () => {
    const { driven, store } = drivenStore();
    const first = store.observe({ type: 'list' });
    await store.ensureList();
    driven.open('0000000000000042');
    first();
    await vi.waitFor(() => expect(driven.watches[0]?.stopped).toBe(true));
    const again = store.observe({ type: 'list' });
    expect(driven.watches[1]?.options?.after).toBe('0000000000000042');
    again();
  });

  it('shows a failing feed as a state, not a throw, and recovers with the next entry', async () => {
    const { service, driven, store, events } = drivenStore();
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    driven.fail(new TypeError('fetch failed'));
    expect(store.getSnapshot().live).toMatchObject({ status: 'error', error: { code: 'NETWORK' } });
    expect(store.getSnapshot().live.error).toBeInstanceOf(LicenseContactsError);
    expect(events.some((event) => event.type === 'liveError')).toBe(true);

    await service.as({ email: alice.email }).addContact(JIRA, { ...dan, roles: ['billing'] });
    const [entry] = (await service.changes()).items.filter((e) => e.action === 'addContact');
    if (!entry) throw new Error('no entry');
    driven.tell(entry);
    expect(store.getSnapshot().live.status).toBe('on');
    await vi.waitFor(() => expect(store.getSnapshot().licenses[JIRA]?.data?.billing).toContain(dan.email));
    release();
  });

  it('is live again once the feed is back, even with nothing new to tell', async () => {
    const { driven, store } = drivenStore();
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    driven.fail(new TypeError('fetch failed'));
    expect(store.getSnapshot().live.status).toBe('error');
    driven.open();
    expect(store.getSnapshot().live.status).toBe('on');
    release();
  });

  it('never watches with live: false', async () => {
    const { driven, store } = drivenStore({ live: false });
    const release = store.observe({ type: 'list' });
    await store.ensureList();
    expect(driven.watches).toHaveLength(0);
    expect(store.getSnapshot().live.status).toBe('off');
    release();
  });

  it('loads a resource a change touched while nothing live showed it on its next use', async () => {
    const { service, driven, store } = drivenStore();
    const list = store.observe({ type: 'list' });
    await store.ensureList();
    await store.ensurePermissions(BITBUCKET); // held, observed by nobody
    const permissions = vi.spyOn(driven.api, 'permissions');
    const aliceApi = service.as({ email: alice.email });
    await aliceApi.setMain(BITBUCKET, 'technical', alice.email);
    const [entry] = (await aliceApi.changes()).items.filter((e) => e.action === 'setMain');
    if (!entry) throw new Error('no entry');
    driven.tell(entry);
    await vi.waitFor(() =>
      expect(store.getSnapshot().licenses[BITBUCKET]?.data?.technical[0]).toBe(alice.email),
    );
    expect(permissions).not.toHaveBeenCalled();
    await store.ensurePermissions(BITBUCKET);
    expect(permissions).toHaveBeenCalledTimes(1);
    await store.ensurePermissions(BITBUCKET);
    expect(permissions).toHaveBeenCalledTimes(1);
    list();
  });
});
