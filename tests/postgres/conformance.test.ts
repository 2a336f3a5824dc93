// @vitest-environment node

import { runServiceModelTests, runStorageConformance } from '@license-contacts/core/testing';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

describeWithServer('PostgreSQL server', (url) => {
  const schema = uniqueSchema('conformance');
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = testPool(url);
    await postgresStorage({ pool, schema }).migrate();
  });

  afterAll(async () => {
    await pool.end();
    await dropSchema(url, schema);
  });

  const others = new Set<PostgresStorage>();

  async function create() {
    await pool.query(
      `TRUNCATE "${schema}".licenses, "${schema}".license_contacts, "${schema}".audit_entries, "${schema}".license_memberships, "${schema}".requests, "${schema}".addresses, "${schema}".feed_cursors, "${schema}".idempotency_keys`,
    );
    await pool.query(`UPDATE "${schema}".feed_position SET seq = 0`);
    return postgresStorage({ pool, schema });
  }

  runStorageConformance({
    name: 'postgresStorage (pg)',
    create,
    // Another process's storage over the same database: what a restart sees.
    reopen: () => postgresStorage({ pool, schema }),
    // Another process: a pool and a LISTEN connection of its own.
    another: () => {
      const other = postgresStorage({ pool: testPool(url, 2), schema });
      others.add(other);
      return other;
    },
    destroy: async (storage) => {
      if (others.delete(storage as PostgresStorage)) await (storage as PostgresStorage).close();
    },
  });

  runStorageConformance({
    name: 'postgresStorage (pg, no prepared statements, no known versions)',
    async create() {
      await create();
      return postgresStorage({ pool, schema, prepare: false, knownVersions: 0 });
    },
  });

  runServiceModelTests({
    name: 'postgresStorage (pg)',
    create,
    runs: Number(process.env.FC_RUNS) || 50,
    faults: 200,
  });
});
