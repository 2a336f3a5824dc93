import { createLicenseState } from '../domain/rules';
import type { AddContactInput, CreateLicenseInput, License, Person } from '../domain/types';
import type { LicenseContacts, LicenseContactsOptions } from '../service/createLicenseContacts';
import { createLicenseContacts } from '../service/createLicenseContacts';
import { memoryStorage } from '../storage/memory';

/** The time every fixture license was created at, so fixtures are reproducible. */
export const FIXTURE_TIME = '2026-01-15T09:30:00.000Z';

/** Demo people: Acme Corp staff on a company domain, a contractor on a public mail domain, and Globex staff. */
export const demoPeople = Object.freeze({
  alice: { email: 'alice@acme.test', name: 'Alice Johnson' },
  bob: { email: 'bob@acme.test', name: 'Bob Martinez' },
  carol: { email: 'carol@acme.test', name: 'Carol Nguyen' },
  dan: { email: 'dan@acme.test', name: 'Dan Okafor' },
  erin: { email: 'erin.contractor@gmail.com', name: 'Erin Schäfer' },
  frank: { email: 'frank@globex.test', name: 'Frank Li' },
  grace: { email: 'grace@globex.test', name: 'Grace Hopper-Smith' },
  outsider: { email: 'mallory@initech.test', name: 'Mallory Outsider' },
} satisfies Record<string, Person>);

const { alice, bob, carol, dan, erin, frank, grace } = demoPeople;

/** The inputs the demo licenses are created from. */
export const demoLicenseInputs: readonly CreateLicenseInput[] = Object.freeze([
  {
    id: 'SEN-4821337',
    product: 'Jira Software',
    edition: 'Data Center',
    seats: 500,
    expiresAt: '2027-03-01',
    technical: alice,
    billing: bob,
    contacts: [{ ...carol, roles: ['technical'] }],
  },
  {
    id: 'SEN-5550142',
    product: 'Confluence',
    edition: 'Data Center',
    seats: 250,
    expiresAt: '2026-12-31',
    technical: alice,
    billing: alice,
  },
  {
    id: 'SEN-3141592',
    product: 'Bitbucket',
    edition: 'Server',
    seats: 50,
    expiresAt: '2027-06-15',
    technical: carol,
    billing: bob,
    contacts: [
      { ...alice, roles: ['technical', 'billing'] },
      { ...erin, roles: ['technical'] },
    ],
  },
  {
    id: 'SEN-2718281',
    product: 'Jira Service Management',
    edition: 'Cloud Premium',
    seats: 1000,
    expiresAt: '2027-09-30',
    technical: dan,
    billing: bob,
  },
  {
    id: 'SEN-1618033',
    product: 'Bamboo',
    edition: 'Data Center',
    seats: 25,
    expiresAt: '2027-01-20',
    technical: frank,
    billing: grace,
    contacts: [{ ...erin, roles: ['billing'] }],
  },
]);

/** The demo licenses as stored, created at `FIXTURE_TIME`. */
export function demoLicenses(): License[] {
  return demoLicenseInputs.map((input) => createLicenseState(input, FIXTURE_TIME).license);
}

/** `count` colleagues on one domain, named "Person 1", "Person 2", … (for big lists). */
export function manyPeople(count: number, domain = 'acme.test'): Person[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `person${String(i + 1).padStart(4, '0')}@${domain}`,
    name: `Person ${i + 1}`,
  }));
}

/** A license with `technical` technical and `billing` billing contacts (the first of each is main). */
export function licenseWithContacts(id: string, technical: number, billing = 1): License {
  const tech = manyPeople(technical);
  const bill = manyPeople(billing, 'billing.acme.test');
  const extra: AddContactInput[] = [
    ...tech.slice(1).map((p) => ({ ...p, roles: ['technical' as const] })),
    ...bill.slice(1).map((p) => ({ ...p, roles: ['billing' as const] })),
  ];
  const input: CreateLicenseInput = {
    id,
    product: 'Jira Software',
    edition: 'Data Center',
    seats: 2000,
    expiresAt: '2027-03-01',
    technical: tech[0] as Person,
    billing: bill[0] as Person,
    contacts: extra,
  };
  return createLicenseState(input, FIXTURE_TIME).license;
}

/** A service on `memoryStorage` holding the demo licenses. */
export function createDemoService(
  options: Omit<LicenseContactsOptions, 'storage'> & { latency?: number } = {},
): LicenseContacts {
  const { latency, ...rest } = options;
  return createLicenseContacts({
    ...rest,
    storage: memoryStorage({ licenses: demoLicenses(), ...(latency === undefined ? {} : { latency }) }),
  });
}
