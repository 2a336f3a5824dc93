import type { AuditEntry, LicenseStorage } from '@license-contacts/core';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../liveFeed';

const JIRA = 'SEN-4821337';
const staff = { email: 'ops@vendor.test', staff: true };
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A memory storage whose watches are counted: started, and closed. `startMs` delays each start;
 * `deaf`: a closed watch goes on telling (as a slow one might for a moment).
 */
async function counted(options: { startMs?: number; deaf?: boolean } = {}) {
  const storage = memoryStorage();
  const setup = createLicenseContacts({ storage });
  for (const input of demoLicenseInputs) await setup.createLicense(input);
  const watches = { started: 0, closed: 0 };
  const watching: LicenseStorage = {
    ...storage,
    async watch(listener, watchOptions) {
      watches.started++;
      if (options.startMs) await wait(options.startMs);
      const running = await (storage.watch as NonNullable<LicenseStorage['watch']>)(listener, watchOptions);
      return {
        ...running,
        close() {
          watches.closed++;
          if (!options.deaf) running.close();
        },
      };
    },
  };
  return { storage: watching, watches, writer: setup.as(staff) };
}

describe('the live feed without listeners', () => {
  it('stops the storage watch a while after the last listener left, and starts another for the next', async () => {
    const { storage, watches, writer } = await counted();
    const feed = new LiveFeed(storage, 30);
    const told: string[] = [];
    const first = feed.subscribe(({ entry }) => told.push(entry.id));
    await feed.start();
    await writer.addContact(JIRA, { ...demoPeople.dan, roles: ['technical'] });
    expect(told).toEqual([`${JIRA}:2`]);
    first();
    // Back within the pause: the same watch goes on.
    const second = feed.subscribe(({ entry }) => told.push(entry.id));
    second();
    expect(watches).toEqual({ started: 1, closed: 0 });
    await wait(80);
    expect(watches).toEqual({ started: 1, closed: 1 });
    expect(feed.running).toBe(false);
    // Nobody listens: a commit now is told to no one, and a new listener hears what comes after it.
    await writer.addContact(JIRA, { ...demoPeople.erin, roles: ['billing'] });
    const later: AuditEntry[] = [];
    const third = feed.subscribe(({ entry }) => later.push(entry));
    await feed.start();
    expect(watches.started).toBe(2);
    await writer.removeContact(JIRA, demoPeople.erin.email);
    expect(later.map((e) => e.id)).toEqual([`${JIRA}:4`]);
    expect(told).toEqual([`${JIRA}:2`]);
    third();
  });

  it('closes a watch stopped while it started once, when it has started', async () => {
    const { storage, watches } = await counted({ startMs: 60 });
    const feed = new LiveFeed(storage, 10);
    feed.subscribe(() => {})();
    await wait(150);
    expect(watches).toEqual({ started: 1, closed: 1 });
    expect(feed.running).toBe(false);
  });

  it('tells nothing a stopped watch still tells', async () => {
    const { storage, watches, writer } = await counted({ deaf: true });
    const feed = new LiveFeed(storage, 10);
    feed.subscribe(() => {})();
    await feed.start();
    await wait(50);
    expect(watches.closed).toBe(1);
    const told: string[] = [];
    const stop = feed.subscribe(({ entry }) => told.push(entry.id));
    await feed.start();
    await writer.addContact(JIRA, { ...demoPeople.dan, roles: ['technical'] });
    // Both watches heard the commit; only the running one tells it.
    expect(told).toEqual([`${JIRA}:2`]);
    stop();
  });

  it('keeps the watch while anyone listens', async () => {
    const { storage, watches } = await counted();
    const feed = new LiveFeed(storage, 10);
    const stay = feed.subscribe(() => {});
    const leave = feed.subscribe(() => {});
    await feed.start();
    leave();
    await wait(50);
    expect(watches).toEqual({ started: 1, closed: 0 });
    stay();
    await wait(50);
    expect(watches).toEqual({ started: 1, closed: 1 });
  });
});
