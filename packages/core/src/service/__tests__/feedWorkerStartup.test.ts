// @vitest-environment node
import type { AuditEntry, LicenseStorage } from '@license-contacts/core';
import { createFeedWorker, createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/testing';
import { expect, it } from 'vitest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A storage whose watch takes a round trip to start (PostgreSQL: LISTEN, then the position). */
function slowToWatch(inner: LicenseStorage, ms: number): LicenseStorage {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'watch')
        return async (...args: Parameters<NonNullable<LicenseStorage['watch']>>) => {
          await sleep(ms);
          return target.watch!(...args);
        };
      return Reflect.get(target, key, receiver);
    },
  });
}

it('a commit while the watch is starting is handled without waiting for the poll', async () => {
  const storage = memoryStorage();
  const setup = createLicenseContacts({ storage });
  for (const input of demoLicenseInputs) await setup.createLicense(input);
  const service = createLicenseContacts({ storage: slowToWatch(storage, 150) });
  const seen: AuditEntry[] = [];
  let commit: Promise<unknown> | undefined;
  const worker = createFeedWorker({
    service,
    name: 'w',
    pollMs: 60_000,
    leaseMs: 120_000,
    handle: async (entry) => {
      // While the first page is handled (the watch still starting), this instance commits.
      commit ??= service.as(demoPeople.alice).addContact('SEN-4821337', {
        email: 'late@acme.test',
        name: 'Late',
        roles: ['billing'],
      });
      await sleep(5);
      seen.push(entry);
    },
  });
  await commit;
  await sleep(1_000); // the watch runs by now; the poll is a minute away
  const { items } = await service.changes({ limit: 200 });
  await worker.stop();
  expect(seen.map((e) => e.seq)).toEqual(items.map((e) => e.seq));
});
