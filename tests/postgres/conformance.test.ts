// @vitest-environment node
import { postgresStorage } from '@license-contacts/postgres';
import { runStorageConformance } from '@license-contacts/core/testing';
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

  runStorageConformance({
    name: 'postgresStorage (pg)',
    async create() {
      await pool.query(`TRUNCATE "${schema}".licenses, "${schema}".license_contacts, "${schema}".audit_entries`);
      return postgresStorage({ pool, schema });
    },
  });
});
