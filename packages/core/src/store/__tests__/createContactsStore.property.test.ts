import type { AddContactInput, License, LicenseContactsApi, Role } from '@license-contacts/core';
import { createContactsStore, LicenseContactsError } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const JIRA = 'SEN-4821337';
const { alice, bob, carol, dan, erin } = demoPeople;
const people = [alice, bob, carol, dan, erin];

type Step =
  | { type: 'setMain'; role: Role; person: number; fail: boolean }
  | { type: 'removeContact'; role: Role; person: number; fail: boolean }
  | { type: 'addContact'; roles: Role[]; person: number; fail: boolean };

const role = fc.constantFrom<Role>('technical', 'billing');
const person = fc.integer({ min: 0, max: people.length - 1 });
const fail = fc.boolean();
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ type: fc.constant('setMain' as const), role, person, fail }),
  fc.record({ type: fc.constant('removeContact' as const), role, person, fail }),
  fc.record({
    type: fc.constant('addContact' as const),
    roles: fc.subarray<Role>(['technical', 'billing'], { minLength: 1 }),
    person,
    fail,
  }),
);

/**
 * An Api whose mutations reach the server at once (in call order), or fail without reaching it, but
 * whose answers are held back until `release(i)`, so a test decides the order they arrive in.
 */
function heldApi(api: LicenseContactsApi, failures: boolean[]) {
  const held: Array<() => void> = [];
  let calls = 0;
  const hold =
    <A extends unknown[]>(call: (...args: A) => Promise<License>) =>
    (...args: A): Promise<License> => {
      const failing = failures[calls++] ?? false;
      const outcome: Promise<License> = failing
        ? Promise.reject(new LicenseContactsError('STORAGE', 'The storage is unavailable'))
        : call(...args);
      outcome.catch(() => {});
      return new Promise((resolve, reject) => {
        held.push(() => outcome.then(resolve, reject));
      });
    };
  return {
    held,
    api: {
      ...api,
      addContact: hold(api.addContact.bind(api)),
      setMain: hold(api.setMain.bind(api)),
      removeContact: hold(api.removeContact.bind(api)),
    } satisfies LicenseContactsApi,
  };
}

describe('createContactsStore (property)', () => {
  it('ends with the server license whatever the order answers arrive in, failures included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        async (steps, shuffle) => {
          const service = createDemoService();
          const { api, held } = heldApi(
            service.as({ email: alice.email }),
            steps.map((s) => s.fail),
          );
          const store = createContactsStore(api);
          await Promise.all([store.ensureMe(), store.ensureLicense(JIRA)]);
          const results = steps.map((s) => {
            const target = people[s.person] as (typeof people)[number];
            switch (s.type) {
              case 'setMain':
                return store.setMain(JIRA, s.role, target.email);
              case 'removeContact':
                return store.removeContact(JIRA, target.email, { role: s.role });
              default: {
                const input: AddContactInput = { ...target, roles: s.roles };
                return store.addContact(JIRA, input);
              }
            }
          });
          expect(store.getSnapshot().pending).toHaveLength(steps.length);
          // Deliver the answers in a shuffled order.
          const order = held.map((_, i) => i).sort((a, b) => (shuffle[a] ?? 0) - (shuffle[b] ?? 0) || a - b);
          for (const i of order) {
            held[i]?.();
            await Promise.allSettled([results[i]]);
          }
          await Promise.allSettled(results);
          expect(store.getSnapshot().pending).toEqual([]);
          const server = (await service.findLicense(JIRA)) as License;
          const cached = store.getSnapshot().licenses[JIRA];
          if (server.contacts.some((c) => c.email === alice.email)) {
            expect(cached?.data).toEqual(server);
          } else {
            expect(cached?.data).toBeUndefined();
            expect(cached?.error?.code).toBe('NOT_FOUND');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
