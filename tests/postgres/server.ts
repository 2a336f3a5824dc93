import pg from 'pg';
import { describe, it } from 'vitest';

/** Set to `1` to skip (with a printed reason) the tests that need a real PostgreSQL server. */
export const NO_SERVER = process.env.LICENSE_CONTACTS_NO_SERVER === '1';

/**
 * Declares a suite that needs the server of DATABASE_URL. Without DATABASE_URL it fails with a test
 * saying so, unless LICENSE_CONTACTS_NO_SERVER=1, which skips it with a printed reason.
 */
export function describeWithServer(name: string, suite: (url: string) => void): void {
  const url = process.env.DATABASE_URL;
  if (url) {
    describe(name, () => suite(url));
  } else if (NO_SERVER) {
    console.log(`[postgres] skipping "${name}": LICENSE_CONTACTS_NO_SERVER=1 and DATABASE_URL is not set`);
    describe.skip(name, () => suite(''));
  } else {
    describe(name, () => {
      it('needs a PostgreSQL server in DATABASE_URL', () => {
        throw new Error(
          'DATABASE_URL is not set. Run `pnpm test` (it starts a throwaway PostgreSQL 15), set DATABASE_URL to a ' +
            'server you may write to, or set LICENSE_CONTACTS_NO_SERVER=1 to skip the real-server tests.',
        );
      });
    });
  }
}

/** A schema name of its own for one test file, so files can run at the same time on one server. */
export function uniqueSchema(label: string): string {
  return `lc_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A pg pool that answers with an error instead of waiting forever when no connection comes. */
export function testPool(url: string, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
}

export type { ThrowawayServer } from '../../scripts/throwawayPostgres';
// The one launcher, shared with the test command (scripts/pg-throwaway.sh).
export { startThrowawayServer } from '../../scripts/throwawayPostgres';
