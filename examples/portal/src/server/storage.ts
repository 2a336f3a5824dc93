import { mkdir } from 'node:fs/promises';
import { type CreateLicenseInput, type LicenseContacts, LicenseContactsError } from '@license-contacts/core';
import { type PostgresStorage, postgresStorage } from '@license-contacts/postgres';

/** Where the portal keeps its data. */
export type StorageTarget = { databaseUrl: string } | { dataDir: string };

/** Opens (and migrates) PostgreSQL at `databaseUrl`, or PGlite persisted in `dataDir`. */
export async function openStorage(target: StorageTarget): Promise<PostgresStorage> {
  let storage: PostgresStorage;
  if ('databaseUrl' in target) {
    const { default: pg } = await import('pg');
    storage = postgresStorage({ pool: new pg.Pool({ connectionString: target.databaseUrl, max: 10 }) });
  } else {
    await mkdir(target.dataDir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    storage = postgresStorage({ pglite: await PGlite.create({ dataDir: target.dataDir }) });
  }
  try {
    await storage.migrate();
  } catch (error) {
    await storage.close().catch(() => {});
    throw error;
  }
  return storage;
}

/**
 * Creates the licenses that do not exist yet and returns how many it created: the demo data is
 * written on the first start, and a later start leaves every change made since in place.
 */
export async function seed(
  service: LicenseContacts,
  licenses: readonly CreateLicenseInput[],
): Promise<number> {
  let created = 0;
  for (const input of licenses) {
    if (await service.findLicense(input.id)) continue;
    try {
      await service.createLicense(input);
      created += 1;
    } catch (error) {
      // Another process seeding the same database at the same moment got there first.
      if (
        !(error instanceof LicenseContactsError && (error.code === 'DUPLICATE' || error.code === 'CONFLICT'))
      )
        throw error;
    }
  }
  return created;
}
