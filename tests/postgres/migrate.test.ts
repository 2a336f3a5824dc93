// @vitest-environment node
import { createLicenseContacts } from '@license-contacts/core';
import { MIGRATIONS, postgresStorage } from '@license-contacts/postgres';
import { afterAll, expect, it } from 'vitest';
import { expectV1DataMigrated, writeV1Data } from '../../packages/postgres/src/__tests__/v1data';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

describeWithServer('PostgreSQL server migrations', (url) => {
  const schema = uniqueSchema('migrate');

  afterAll(async () => {
    await dropSchema(url, schema);
  });

  it('migrates a database holding first-version entries to the change feed, losing nothing', async () => {
    const v1 = uniqueSchema('v1data');
    const pool = testPool(url);
    const storage = postgresStorage({ pool, schema: v1 });
    try {
      await storage.migrate({ to: 1 });
      await writeV1Data((text, values) => pool.query(text, values), v1);
      await storage.migrate();
      await expectV1DataMigrated(storage, createLicenseContacts({ storage }));
    } finally {
      await storage.close();
      await dropSchema(url, v1);
    }
  });

  it('applies each migration once when eight processes migrate a new schema at the same moment', async () => {
    // Eight pools stand for eight processes starting together against an empty database.
    const storages = Array.from({ length: 8 }, () => postgresStorage({ pool: testPool(url, 1), schema }));
    try {
      const results = await Promise.allSettled(storages.map((s) => s.migrate()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      await Promise.all(storages.map((s) => s.migrate()));

      const pool = testPool(url, 1);
      try {
        const { rows } = await pool.query<{ version: number; name: string }>(
          `SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`,
        );
        expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
        const indexes = await pool.query<{ indexname: string }>(
          'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
          [schema],
        );
        expect(indexes.rows.map((r) => r.indexname)).toEqual([
          'addresses_pkey',
          'audit_entries_license_seq_idx',
          'audit_entries_pkey',
          'audit_entries_seq_idx',
          'feed_cursors_pkey',
          'feed_position_pkey',
          'idempotency_keys_expires_idx',
          'idempotency_keys_pkey',
          'license_contacts_email_idx',
          'license_contacts_pkey',
          'license_memberships_pkey',
          'licenses_pkey',
          'requests_decided_by_idx',
          'requests_email_idx',
          'requests_license_idx',
          'requests_pkey',
          'requests_requested_by_idx',
          'schema_migrations_pkey',
        ]);
      } finally {
        await pool.end();
      }

      const service = createLicenseContacts({ storage: storages[3] as (typeof storages)[number] });
      await service.createLicense({
        id: 'SEN-1',
        product: 'Jira',
        technical: { email: 'a@acme.test', name: 'A' },
        billing: { email: 'b@acme.test', name: 'B' },
      });
      expect((await storages[5]?.getLicense('SEN-1'))?.technical).toEqual(['a@acme.test']);
    } finally {
      await Promise.all(storages.map((s) => s.close()));
    }
  });
});
