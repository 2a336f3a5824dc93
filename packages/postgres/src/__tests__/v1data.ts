import type { Command, License, LicenseContacts } from '@license-contacts/core';
import { applyCommand, createLicenseState, defaultPolicy } from '@license-contacts/core';
import { expect } from 'vitest';
import type { PostgresStorage } from '../postgresStorage';

/** Runs one statement on the database under test (PGlite or a pg pool). */
export type Execute = (text: string, values?: unknown[]) => Promise<unknown>;

const staff = { email: 'ops@vendor.test', staff: true };
const contacts = (l: License) => ({ contacts: l.contacts, technical: l.technical, billing: l.billing });

/** One license's history as the first version stored it: each entry with two whole copies of the contacts. */
interface V1History {
  license: License;
  entries: { version: number; at: string; action: string; email?: string; before: unknown; after: unknown }[];
}

function history(id: string, steps: [at: string, command: Command][], createdAt: string): V1History {
  const created = createLicenseState(
    {
      id,
      product: `Product ${id}`,
      technical: { email: `tech@${id.toLowerCase()}.test`, name: 'Tess' },
      billing: { email: 'bill@acme.test', name: 'Bill' },
    },
    createdAt,
  );
  let license = created.license;
  const entries: V1History['entries'] = [
    { version: 1, at: createdAt, action: 'createLicense', before: null, after: contacts(license) },
  ];
  for (const [at, command] of steps) {
    const applied = applyCommand(license, command, staff, defaultPolicy, at);
    if (!applied) throw new Error('the step changed nothing');
    entries.push({
      version: applied.license.version,
      at,
      action: command.type,
      ...(applied.entry.email === undefined ? {} : { email: applied.entry.email }),
      before: contacts(license),
      after: contacts(applied.license),
    });
    license = applied.license;
  }
  return { license, entries };
}

const add = (email: string): Command => ({
  type: 'addContact',
  input: { email, name: email.slice(0, 3), roles: ['technical'] },
});

/** Two licenses' histories, interleaved in time; SEN-B's clock went back once (version 3 before version 2). */
export const V1_HISTORIES: V1History[] = [
  history(
    'SEN-A',
    [
      ['2026-01-02T00:00:00.000Z', add('carol@acme.test')],
      ['2026-01-04T00:00:00.000Z', { type: 'setMain', role: 'technical', email: 'carol@acme.test' }],
      ['2026-01-06T00:00:00.000Z', { type: 'removeContact', email: 'carol@acme.test' }],
    ],
    '2026-01-01T00:00:00.000Z',
  ),
  history(
    'SEN-B',
    [
      ['2026-01-05T00:00:00.000Z', add('carol@acme.test')],
      ['2026-01-03T00:00:00.000Z', add('dan@acme.test')],
    ],
    '2026-01-01T12:00:00.000Z',
  ),
];

/** Writes the histories' licenses, contact rows and v1 audit rows into a schema migrated to version 1. */
export async function writeV1Data(execute: Execute, schema: string): Promise<void> {
  const s = `"${schema}"`;
  for (const { license, entries } of V1_HISTORIES) {
    await execute(
      `INSERT INTO ${s}.licenses (id, product, version, updated_at) VALUES ($1, $2, $3, $4::timestamptz)`,
      [license.id, license.product, license.version, license.updatedAt],
    );
    for (const role of ['technical', 'billing'] as const) {
      for (const [position, email] of license[role].entries()) {
        const joined = license.contacts.findIndex((c) => c.email === email);
        await execute(
          `INSERT INTO ${s}.license_contacts (license_id, role, email, position, joined, name)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [license.id, role, email, position, joined, license.contacts[joined]?.name],
        );
      }
    }
    for (const entry of entries) {
      await execute(
        `INSERT INTO ${s}.audit_entries (license_id, version, at, actor, staff, action, email, before, after)
         VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7, $8::jsonb, $9::jsonb)`,
        [
          license.id,
          entry.version,
          entry.at,
          entry.action === 'createLicense' ? null : staff.email,
          entry.action !== 'createLicense',
          entry.action,
          entry.email ?? null,
          entry.before === null ? null : JSON.stringify(entry.before),
          JSON.stringify(entry.after),
        ],
      );
    }
  }
}

/** Checks the v1 data after the migration to the change feed, through a storage and a service on it. */
export async function expectV1DataMigrated(
  storage: PostgresStorage,
  service: LicenseContacts,
): Promise<void> {
  const feed = (await storage.listChanges({ limit: 100 })).items;
  // By time, each license's versions in order even where its clock went back.
  expect(feed.map((e) => e.id)).toEqual([
    'SEN-A:1',
    'SEN-B:1',
    'SEN-A:2',
    'SEN-A:3',
    'SEN-B:2',
    'SEN-B:3',
    'SEN-A:4',
  ]);
  expect(feed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => String(n).padStart(16, '0')));
  for (const { license } of V1_HISTORIES) {
    const entries = feed.filter((e) => e.licenseId === license.id);
    expect(entries.every((e) => !('before' in e) && !('after' in e))).toBe(true);
    // The changes rebuild every version exactly: nothing was lost.
    const v1 = V1_HISTORIES.find((h) => h.license.id === license.id) as V1History;
    for (const entry of entries) {
      const latest = Math.max(...entries.filter((e) => e.at <= entry.at).map((e) => e.version));
      const at = await service.as(staff).getLicense(license.id, { at: entry.at });
      expect(at.version).toBe(latest);
      expect(contacts(at)).toEqual(v1.entries.find((e) => e.version === latest)?.after);
    }
  }
  expect(feed.find((e) => e.id === 'SEN-A:2')?.changes).toEqual([
    { email: 'carol@acme.test', name: 'car', before: null, after: { roles: ['technical'], technical: 1 } },
  ]);
  const carol = (await storage.listChanges({ limit: 100, email: 'carol@acme.test' })).items;
  expect(carol.map((e) => e.id)).toEqual(['SEN-A:2', 'SEN-A:3', 'SEN-B:2', 'SEN-B:3', 'SEN-A:4']);
  // New commits continue the feed.
  await service.as(staff).addContact('SEN-A', { email: 'eve@acme.test', name: 'Eve', roles: ['billing'] });
  const next = (await storage.listChanges({ limit: 10, after: feed.at(-1)?.seq as string })).items;
  expect(next.map((e) => [e.id, e.seq])).toEqual([['SEN-A:5', '0000000000000008']]);
}
