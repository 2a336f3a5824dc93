// @vitest-environment node
import { PGlite } from '@electric-sql/pglite';
import { runServiceModelTests, runStorageConformance } from '@license-contacts/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { postgresStorage } from '../index';

// One PGlite per file (its WASM start costs seconds); every test starts from empty tables.
let db: PGlite;

beforeAll(async () => {
  db = await PGlite.create();
  await postgresStorage({ pglite: db }).migrate();
});

afterAll(async () => {
  await db.close();
});

async function empty(): Promise<void> {
  await db.query(
    'TRUNCATE license_contacts.licenses, license_contacts.license_contacts, license_contacts.audit_entries, license_contacts.license_memberships, license_contacts.requests, license_contacts.addresses, license_contacts.feed_cursors, license_contacts.idempotency_keys',
  );
  await db.query('UPDATE license_contacts.feed_position SET seq = 0');
}

runStorageConformance({
  name: 'postgresStorage (PGlite)',
  async create() {
    await empty();
    return postgresStorage({ pglite: db });
  },
  // A new storage over the same database, with nothing remembered: what a restarted process sees.
  reopen: () => postgresStorage({ pglite: db }),
  another: () => postgresStorage({ pglite: db }),
});

// Without known versions every write compares the stored contact rows with the new ones in SQL.
runStorageConformance({
  name: 'postgresStorage (PGlite, knownVersions: 0)',
  async create() {
    await empty();
    return postgresStorage({ pglite: db, knownVersions: 0 });
  },
});

// The service over this adapter against the reference model, and under injected storage faults;
// fewer runs than on memory storage, each costs real SQL.
runServiceModelTests({
  name: 'postgresStorage (PGlite)',
  async create() {
    await empty();
    return postgresStorage({ pglite: db });
  },
  runs: Number(process.env.FC_RUNS) || 100,
  faults: 300,
});
