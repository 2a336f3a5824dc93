import type { AuditEntry, LicenseContactsEvent } from '@license-contacts/core';
import { createLicenseContacts, LicenseContactsError, memoryStorage } from '@license-contacts/core';
import { browserStorage } from '@license-contacts/core/browser';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { countedReads } from './countedReads';

const { alice, bob, carol, dan, frank } = demoPeople;
const JIRA = 'SEN-4821337'; // technical: alice, carol; billing: bob
const staff = { email: 'ops@vendor.test', staff: true };

/** Waits until `predicate` holds, failing after a while. */
async function eventually(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('service.subscribe with a storage that watches', () => {
  it('tells one instance of the other instance’s commits too, once each, in seq order', async () => {
    const storage = memoryStorage();
    const a = createLicenseContacts({ storage });
    const b = createLicenseContacts({ storage });
    const heard: LicenseContactsEvent[] = [];
    b.subscribe((event) => heard.push(event));
    await settle();
    for (const input of demoLicenseInputs.slice(0, 2)) await a.createLicense(input);
    await b.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await a.as(alice).setMain(JIRA, 'technical', dan.email);
    await eventually(() => heard.length === 4);
    expect(heard.map((e) => [e.type, e.entry.id])).toEqual([
      ['licenseCreated', `${JIRA}:1`],
      ['licenseCreated', expect.stringMatching(/:1$/)],
      ['licenseUpdated', `${JIRA}:2`],
      ['licenseUpdated', `${JIRA}:3`],
    ]);
    const seqs = heard.map((e) => e.entry.seq);
    expect([...seqs].sort()).toEqual(seqs);
    // Each names the entry before it (the feed was empty when watching started: nothing before the first).
    expect(heard.map((e) => e.previousSeq)).toEqual([undefined, ...seqs.slice(0, -1)]);
    // B committed the third: it knows the license; the others it did not commit.
    expect(heard.map((e) => e.license?.version)).toEqual([undefined, undefined, 2, undefined]);
  });
});

describe('api.watch', () => {
  let service: ReturnType<typeof createLicenseContacts>;

  beforeEach(async () => {
    service = createLicenseContacts({ storage: memoryStorage() });
    for (const input of demoLicenseInputs) await service.createLicense(input);
  });

  function follow(actor: { email: string; staff?: boolean }, after?: string) {
    const told: AuditEntry[] = [];
    const stop = service.as(actor).watch((entry) => told.push(entry), after === undefined ? {} : { after });
    return { told, stop, ids: () => told.map((e) => e.id) };
  }

  it('tells the actor the new entries of their licenses as they commit, and no one else’s', async () => {
    const carolFeed = follow(carol);
    const frankFeed = follow(frank);
    const staffFeed = follow(staff);
    await settle();
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    const frankLicense = (await service.as(frank).listLicenses()).items.find(
      (l) => !l.contacts.some((c) => c.email === carol.email),
    );
    expect(frankLicense).toBeDefined();
    await service.as(frank).addContact(frankLicense?.id as string, { ...dan, roles: ['billing'] });
    await eventually(() => staffFeed.told.length === 2);
    await settle();
    expect(carolFeed.ids()).toEqual([`${JIRA}:2`]);
    expect(frankFeed.ids()).toEqual([`${frankLicense?.id}:2`]);
    expect(staffFeed.ids()).toEqual([`${JIRA}:2`, `${frankLicense?.id}:2`]);
    for (const feed of [carolFeed, frankFeed, staffFeed]) feed.stop();
  });

  it('tells a removed person their removal, then nothing more of that license; one added, from the entry adding them', async () => {
    const carolFeed = follow(carol);
    const danFeed = follow(dan);
    await settle();
    await service.as(alice).removeContact(JIRA, carol.email);
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['billing'] });
    await service.as(alice).setMain(JIRA, 'billing', dan.email);
    await eventually(() => danFeed.told.length === 2);
    await settle();
    expect(carolFeed.ids()).toEqual([`${JIRA}:2`]);
    expect(carolFeed.told[0]?.changes.find((c) => c.email === carol.email)?.after).toBeNull();
    expect(danFeed.ids()).toEqual([`${JIRA}:3`, `${JIRA}:4`]);
    carolFeed.stop();
    danFeed.stop();
  });

  it('tells staff the whole feed as it commits, reading it only to catch up', async () => {
    const storage = memoryStorage();
    const { storage: counted, reads } = countedReads(storage);
    const other = createLicenseContacts({ storage });
    for (const input of demoLicenseInputs) await other.createLicense(input);
    const here = createLicenseContacts({ storage: counted });
    const told: AuditEntry[] = [];
    here.as(staff).watch((entry) => told.push(entry), { after: '0000000000000001' });
    const { items: before } = await other.as(staff).changes();
    await eventually(() => told.length === before.length - 1);
    const caughtUp = reads();
    for (let i = 0; i < 20; i++) {
      const api = (i % 2 === 0 ? other : here).as(alice);
      await api.addContact(JIRA, { email: `p${i}@acme.test`, name: `P ${i}`, roles: ['billing'] });
    }
    await eventually(() => told.length === before.length - 1 + 20);
    // What the watch told came as it is: no read per entry (a read for all of them would be 20 more).
    expect(reads() - caughtUp).toBe(0);
    const { items } = await other.as(staff).changes({ limit: 200 });
    expect(told.map((e) => e.id)).toEqual(items.slice(1).map((e) => e.id));
    expect(told).toEqual(items.slice(1));
  });

  it('catches up from after, then goes on, and stops when told', async () => {
    const alices = service.as(alice);
    await alices.addContact(JIRA, { ...dan, roles: ['technical'] });
    const { items } = await alices.changes();
    const mid = items.find((e) => e.id === `${JIRA}:1`) as AuditEntry;
    const feed = follow(alice, mid.seq);
    await eventually(() => feed.told.length > 0);
    const expected = items.filter((e) => e.seq > mid.seq).map((e) => e.id);
    await eventually(() => feed.told.length === expected.length);
    expect(feed.ids()).toEqual(expected);
    await alices.setMain(JIRA, 'technical', dan.email);
    await eventually(() => feed.told.length === expected.length + 1);
    feed.stop();
    await alices.setMain(JIRA, 'technical', alice.email);
    await settle();
    expect(feed.ids()).toEqual([...expected, `${JIRA}:3`]);
  });

  it('says when it runs (onOpen), once, before the first entry it tells', async () => {
    const happened: string[] = [];
    const stop = service.as(carol).watch((entry) => happened.push(entry.id), {
      onOpen: () => happened.push('open'),
    });
    await eventually(() => happened.includes('open'));
    await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
    await eventually(() => happened.length === 2);
    await settle();
    expect(happened).toEqual(['open', `${JIRA}:2`]);
    stop();
  });

  it('tells onOpen where it is: the head of the feed from now, the given seq with after, zero on an empty feed', async () => {
    const positions: string[] = [];
    const { items } = await service.changes();
    const head = items.at(-1)?.seq as string;
    const first = items[0]?.seq as string;
    const stops = [
      service.as(carol).watch(() => {}, { onOpen: (position) => positions.push(`now ${position}`) }),
      service
        .as(carol)
        .watch(() => {}, { after: first, onOpen: (position) => positions.push(`after ${position}`) }),
      createLicenseContacts()
        .as(staff)
        .watch(() => {}, { onOpen: (position) => positions.push(`empty ${position}`) }),
    ];
    await eventually(() => positions.length === 3);
    expect(positions.sort()).toEqual([`after ${first}`, 'empty 0000000000000000', `now ${head}`]);
    for (const stop of stops) stop();
  });

  it('goes on telling when its onOpen throws, and reports what it threw', async () => {
    const reported: unknown[] = [];
    const holder = globalThis as { reportError?: (e: unknown) => void };
    const previous = holder.reportError;
    holder.reportError = (error) => reported.push(error);
    const boom = new Error('onOpen failed');
    const told: string[] = [];
    const stop = service.as(carol).watch((entry) => told.push(entry.id), {
      onOpen: () => {
        throw boom;
      },
    });
    try {
      await eventually(() => reported.length === 1);
      await service.as(alice).addContact(JIRA, { ...dan, roles: ['technical'] });
      await eventually(() => told.length === 1);
      expect(told).toEqual([`${JIRA}:2`]);
      expect(reported).toEqual([boom]);
    } finally {
      stop();
      if (previous) holder.reportError = previous;
      else delete holder.reportError;
    }
  });

  it('refuses a cursor that is not a seq and a listener that is not a function', () => {
    expect(() => service.as(alice).watch(() => {}, { after: 'nope' })).toThrow(LicenseContactsError);
    expect(() => service.as(alice).watch(undefined as never)).toThrow(/listener/);
  });

  it('with browser storage, hears another tab’s commits through the storage event', async () => {
    localStorage.clear();
    const tabA = createLicenseContacts({ storage: browserStorage() });
    const tabB = createLicenseContacts({ storage: browserStorage() });
    await tabA.createLicense({ ...(demoLicenseInputs[0] as (typeof demoLicenseInputs)[number]) });
    const told: AuditEntry[] = [];
    const stop = tabB.as(bob).watch((entry) => told.push(entry));
    await settle();
    await tabA.as(alice).addContact(JIRA, { ...dan, roles: ['billing'] });
    // What the browser does in every other tab when one tab writes the document.
    window.dispatchEvent(new StorageEvent('storage', { key: 'license-contacts' }));
    await eventually(() => told.length === 1);
    expect(told[0]?.id).toBe(`${JIRA}:2`);
    stop();
  });
});
