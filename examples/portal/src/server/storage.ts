import { readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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

/**
 * Claims `dataDir` for this process with a `portal.pid` file: PGlite must not be opened by two
 * processes at once. Throws when a live process holds it; a file left by a dead one is taken over.
 * Returns the function that releases it.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'portal.pid');
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(
          `${dataDir} is in use by another portal (process ${holder}); stop it or set DATA_DIR to another folder`,
        );
      }
      await rm(file, { force: true });
    }
  }
  return () => rmSync(file, { force: true });
}

/** Whether `pid` is a running portal (a pid reused by another program after a crash does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here: trust the pid
  }
  return commandLine.includes(basename(process.argv[1] ?? 'main.ts'));
}
