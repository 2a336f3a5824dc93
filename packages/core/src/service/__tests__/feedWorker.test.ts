// @vitest-environment node
import type { AuditEntry, LicenseContacts } from '@license-contacts/core';
import {
  createFeedWorker,
  createLicenseContacts,
  LicenseContactsError,
  memoryStorage,
} from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countedReads } from './countedReads';

const { alice } = demoPeople;
const JIRA = 'SEN-4821337';
const stops: (() => Promise<void>)[] = [];

async function eventually(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let service: LicenseContacts;

beforeEach(async () => {
  service = createLicenseContacts({ storage: memoryStorage() });
  for (const input of demoLicenseInputs) await service.createLicense(input);
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

function worker(
  options: Omit<Partial<Parameters<typeof createFeedWorker>[0]>, 'handle'> & {
    handle: (e: AuditEntry) => unknown;
  },
) {
  const w = createFeedWorker({
    service,
    name: 'test',
    pollMs: 20,
    leaseMs: 1_000,
    retry: { initialMs: 5, maxMs: 20 },
    ...options,
    handle: async (entry) => {
      await options.handle(entry);
    },
  });
  stops.push(() => w.stop());
  return w;
}

const all = async () => (await service.changes({ limit: 200 })).items.map((e) => e.id);

describe('createFeedWorker', () => {
  it('handles every entry once, in seq order, then each new one as it commits', async () => {
    const seen: string[] = [];
    worker({ handle: (entry) => seen.push(entry.id) });
    const existing = await all();
    await eventually(() => seen.length === existing.length);
    await service.as(alice).addContact(JIRA, { email: 'new@acme.test', name: 'New', roles: ['billing'] });
    await eventually(() => seen.length === existing.length + 1);
    expect(seen).toEqual(await all());
  });

  it('takes the entries the storage’s watch tells after its cursor without reading the feed again', async () => {
    const storage = memoryStorage();
    const { storage: counted, reads } = countedReads(storage);
    service = createLicenseContacts({ storage: counted });
    const other = createLicenseContacts({ storage });
    for (const input of demoLicenseInputs) await other.createLicense(input);
    const seen: AuditEntry[] = [];
    // Polls far apart: any read below is the worker's own choice, not a poll.
    worker({ handle: (entry) => seen.push(entry), pollMs: 60_000, leaseMs: 120_000 });
    await eventually(() => seen.length === demoLicenseInputs.length);
    const caughtUp = reads();
    for (let i = 0; i < 20; i++) {
      const api = (i % 2 === 0 ? other : service).as(alice);
      await api.addContact(JIRA, { email: `p${i}@acme.test`, name: `P ${i}`, roles: ['billing'] });
    }
    await eventually(() => seen.length === demoLicenseInputs.length + 20);
    expect(reads() - caughtUp).toBe(0);
    expect(seen).toEqual((await other.changes({ limit: 200 })).items);
  });

  it('retries a failing entry while later ones wait, and reports the failure', async () => {
    const seen: string[] = [];
    let failures = 0;
    const w = worker({
      handle: (entry) => {
        if (entry.id === `${JIRA}:1` && failures < 3) {
          failures++;
          throw new Error('receiver down');
        }
        seen.push(entry.id);
      },
    });
    const expected = await all();
    await eventually(() => seen.length === expected.length);
    expect(seen).toEqual(expected);
    expect(failures).toBe(3);
    const status = await w.status();
    expect(status).toMatchObject({
      name: 'test',
      holding: true,
      lag: 0,
      handled: expected.length,
      skipped: 0,
    });
    expect(status.lastError).toMatchObject({ message: 'receiver down', entryId: `${JIRA}:1`, attempts: 3 });
    expect(status.cursor).toBe((await service.changes({ limit: 200 })).items.at(-1)?.seq);
  });

  it('gives an entry up after retry.attempts and goes on', async () => {
    const seen: string[] = [];
    const w = worker({
      retry: { initialMs: 1, maxMs: 2, attempts: 2 },
      handle: (entry) => {
        if (entry.id === `${JIRA}:1`) throw new Error('poison');
        seen.push(entry.id);
      },
    });
    const expected = (await all()).filter((id) => id !== `${JIRA}:1`);
    await eventually(() => seen.length === expected.length);
    expect((await w.status()).skipped).toBe(1);
  });

  it('lets one worker of a name work at a time; the other takes over from the cursor when it stops', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: string[] = [];
    const handle = async (entry: AuditEntry) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(entry.id);
      inFlight--;
    };
    const first = worker({ holder: 'one', handle });
    await eventually(() => seen.length >= 2);
    const second = worker({ holder: 'two', handle });
    await first.stop();
    const expected = await all();
    await eventually(() => new Set(seen).size === expected.length);
    expect(most).toBe(1);
    // At least once: the entry in hand when the first stopped may come twice, never out of order.
    expect([...new Set(seen)]).toEqual(expected);
    expect((await second.status()).holding).toBe(true);
  });

  it('lets another take over when the holder stops renewing (a crash), and the old holder cannot move the cursor', async () => {
    const seen: string[] = [];
    const stuck: (() => void)[] = [];
    worker({
      holder: 'stuck',
      leaseMs: 100,
      handle: () => new Promise<void>((resolve) => stuck.push(resolve)),
    });
    await eventually(() => stuck.length === 1);
    worker({ holder: 'healthy', leaseMs: 100, handle: (entry) => seen.push(entry.id) });
    const expected = await all();
    await eventually(() => seen.length === expected.length);
    expect(seen).toEqual(expected);
    // The stuck holder comes back to life: its entry is done, but the cursor is no longer its to move.
    const cursor = (await service.changes({ limit: 200 })).items.at(-1)?.seq;
    // The healthy holder's last cursor move lands just after its last entry is handled.
    for (const deadline = Date.now() + 2_000; Date.now() < deadline; ) {
      if ((await service.storage.feedCursors?.read('test'))?.cursor === cursor) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const resolve of stuck) resolve();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await service.storage.feedCursors?.read('test')).toMatchObject({ cursor, holder: 'healthy' });
    expect(stuck).toHaveLength(1);
  });

  it("starts a new cursor at the feed's end with start: 'latest'", async () => {
    const seen: string[] = [];
    const w = worker({ start: 'latest', handle: (entry) => seen.push(entry.id) });
    await eventually(() => w.status().then(() => true) !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await service.as(alice).addContact(JIRA, { email: 'late@acme.test', name: 'Late', roles: ['billing'] });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([`${JIRA}:2`]);
  });

  it("with start: 'latest' on a feed still empty, handles the first entries committed after it started", async () => {
    service = createLicenseContacts({ storage: memoryStorage() });
    const seen: string[] = [];
    const w = worker({ start: 'latest', handle: (entry) => seen.push(entry.id) });
    await w.status();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const input of demoLicenseInputs.slice(0, 2)) await service.createLicense(input);
    const ids = await all();
    await eventually(() => seen.length === ids.length);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(ids);
  });

  it.each([
    ['holding entries', 1],
    ['still empty', 0],
  ])(
    "with start: 'latest' on a feed %s, a holder that stops renewing hands the entry in hand to the next",
    async (_, before) => {
      service = createLicenseContacts({ storage: memoryStorage() });
      for (const input of demoLicenseInputs.slice(0, before)) await service.createLicense(input);
      const stuck: AuditEntry[] = [];
      const hung: (() => void)[] = [];
      stops.push(async () => {
        for (const release of hung) release();
      });
      // The first holder hangs in its handler, as a crashed one would: it never renews its lease.
      worker({
        start: 'latest',
        holder: 'crashed',
        leaseMs: 100,
        handle: (entry) => {
          stuck.push(entry);
          return new Promise<void>((resolve) => hung.push(resolve));
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const seen: string[] = [];
      worker({ start: 'latest', holder: 'healthy', leaseMs: 100, handle: (entry) => seen.push(entry.id) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const input of demoLicenseInputs.slice(before, before + 2)) await service.createLicense(input);
      const after = (await all()).slice(before);
      await eventually(() => stuck.length === 1 && seen.length >= after.length);
      expect(stuck.map((e) => e.id)).toEqual([after[0]]);
      expect(seen).toEqual(after);
    },
  );

  it('saves its cursor once for many entries done in a row (saveMs), each one with saveMs: 0, and on stop', async () => {
    const moves = { count: 0 };
    const counting = (saveMs: number) => {
      const storage = memoryStorage();
      const cursors = storage.feedCursors as NonNullable<typeof storage.feedCursors>;
      const wrapped = createLicenseContacts({
        storage: {
          ...storage,
          feedCursors: {
            ...cursors,
            advance: (...args) => {
              moves.count++;
              return cursors.advance(...args);
            },
          },
        },
      });
      return { wrapped, saveMs };
    };
    for (const { wrapped, saveMs } of [counting(60_000), counting(0)]) {
      moves.count = 0;
      for (const input of demoLicenseInputs) await wrapped.createLicense(input);
      const expected = (await wrapped.changes({ limit: 200 })).items;
      const seen: string[] = [];
      const w = createFeedWorker({
        service: wrapped,
        name: 'counted',
        leaseMs: 120_000,
        saveMs,
        handle: (entry) => void seen.push(entry.id),
      });
      await eventually(() => seen.length === expected.length);
      // Done but maybe not saved yet: status tells the holder's own cursor.
      expect((await w.status()).cursor).toBe(expected.at(-1)?.seq);
      await w.stop();
      expect((await wrapped.storage.feedCursors?.read('counted'))?.cursor).toBe(expected.at(-1)?.seq);
      expect(moves.count).toBe(saveMs === 0 ? expected.length : 2); // the first entry, then on stop
    }
  });

  it('refuses a storage without cursors and bad options with VALIDATION', () => {
    const bare = memoryStorage();
    const noCursors = createLicenseContacts({ storage: { ...bare, feedCursors: undefined } as never });
    expect(() => createFeedWorker({ service: noCursors, name: 'x', handle: () => {} })).toThrow(
      LicenseContactsError,
    );
    for (const bad of [
      { name: '' },
      { name: 'has space' },
      { handle: 'nope' },
      { batchSize: 0 },
      { leaseMs: -1 },
      { saveMs: -1 },
    ]) {
      expect(() => createFeedWorker({ service, name: 'ok', handle: () => {}, ...(bad as object) })).toThrow(
        expect.objectContaining({ code: 'VALIDATION' }),
      );
    }
  });
});
