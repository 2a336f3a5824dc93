/**
 * Commands through the service on memoryStorage, for a license with 50 contacts, against the floor:
 * the same state change made with a bare immer `produce` on a plain object (written the cheap way:
 * whole arrays assigned, as the rules do), in the same run.
 */

import type { License } from '@license-contacts/core';
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { licenseWithContacts } from '@license-contacts/core/testing';
import { produce } from 'immer';
import { comparePairs, printRatios } from './util';

export default async function run(): Promise<void> {
  const ID = 'SEN-BENCH';
  const start = licenseWithContacts(ID, 40, 10); // 50 contacts
  const service = createLicenseContacts({ storage: memoryStorage({ licenses: [start] }) });
  const main = start.technical[0] as string;
  const api = service.as({ email: main });
  const newcomer = { email: 'newcomer@acme.test', name: 'New Comer', roles: ['technical' as const] };
  const [a, b] = [start.technical[1] as string, start.technical[2] as string];
  let promoteA = true;
  let plainPromoteA = true;
  const plain: License = JSON.parse(JSON.stringify(start));
  const withNewcomer = produce(plain, (d) => {
    d.contacts.push({ ...newcomer, roles: ['technical'] });
    d.technical.push(newcomer.email);
  });

  // A round may stop between a hook and its task: start each one without the newcomer.
  const reset = async () => {
    const license = await api.getLicense(ID);
    if (license.contacts.some((c) => c.email === newcomer.email)) await api.removeContact(ID, newcomer.email);
  };
  const rows = await comparePairs([
    {
      name: 'addContact',
      reset,
      subject: [
        () => api.addContact(ID, newcomer).then(() => undefined),
        { async: true, afterEach: () => api.removeContact(ID, newcomer.email).then(() => undefined) },
      ],
      baseline: [
        () => {
          produce(plain, (d) => {
            d.contacts.push({ ...newcomer, roles: ['technical'] });
            d.technical = [...plain.technical, newcomer.email];
            d.version += 1;
          });
        },
      ],
    },
    {
      name: 'setMain',
      subject: [
        () => {
          promoteA = !promoteA;
          return api.setMain(ID, 'technical', promoteA ? a : b).then(() => undefined);
        },
        { async: true },
      ],
      baseline: [
        () => {
          plainPromoteA = !plainPromoteA;
          const target = plainPromoteA ? a : b;
          produce(plain, (d) => {
            d.technical = [target, ...plain.technical.filter((e) => e !== target)];
            d.version += 1;
          });
        },
      ],
    },
    {
      name: 'removeContact',
      reset,
      subject: [
        () => api.removeContact(ID, newcomer.email).then(() => undefined),
        { async: true, beforeEach: () => api.addContact(ID, newcomer).then(() => undefined) },
      ],
      baseline: [
        () => {
          produce(withNewcomer, (d) => {
            d.contacts = withNewcomer.contacts.filter((c) => c.email !== newcomer.email);
            d.technical = withNewcomer.technical.filter((e) => e !== newcomer.email);
            d.version += 1;
          });
        },
      ],
    },
  ]);
  printRatios(rows, {
    subject: 'service + memoryStorage',
    baseline: 'bare immer produce',
    goal: 'ratio ≤ 1.5×',
  });
}
