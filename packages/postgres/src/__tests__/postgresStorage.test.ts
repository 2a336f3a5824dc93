// @vitest-environment node
import { PGlite } from '@electric-sql/pglite';
import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, postgresStorage } from '../index';
import type { PGliteLike } from '../queryable';
import { storageError } from '../queryable';
import { expectV1DataMigrated, writeV1Data } from './v1data';

// One PGlite per file (its WASM start costs seconds); each test uses a schema of its own.
let db: PGlite;
let schemas = 0;

beforeAll(async () => {
  db = await PGlite.create();
});

afterAll(async () => {
  await db.close();
});

async function fresh() {
  const storage = postgresStorage({ pglite: db, schema: `t${++schemas}` });
  await storage.migrate();
  return storage;
}

/** Two instances on one new schema: `mine`, the storage under test, and another's service. */
async function twoInstances(options: { knownVersions?: number } = {}) {
  const schema = `t${++schemas}`;
  const mine = postgresStorage({ pglite: db, schema, ...options });
  await mine.migrate();
  const other = createLicenseContacts({ storage: postgresStorage({ pglite: db, schema }) });
  return { schema, mine, other };
}

const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

async function expectCode(promise: Promise<unknown>, code: string): Promise<LicenseContactsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicenseContactsError);
  expect((error as LicenseContactsError).code).toBe(code);
  return error as LicenseContactsError;
}

describe('postgresStorage', () => {
  it('migrates a database holding first-version entries to the change feed, losing nothing', async () => {
    const storage = postgresStorage({ pglite: db, schema: 'v1data' });
    await storage.migrate({ to: 1 });
    await writeV1Data((text, values) => db.query(text, values), 'v1data');
    await storage.migrate();
    await expectV1DataMigrated(storage, createLicenseContacts({ storage }));
  });

  it('adds requests and addresses (migration 6) to a database at main’s migration 5, losing nothing', async () => {
    const storage = postgresStorage({ pglite: db, schema: 'at5' });
    await storage.migrate({ to: 5 });
    // What migrations 3 and 4 hold: a feed worker's cursor, a kept Idempotency-Key answer (5 is a function).
    const cursors = storage.feedCursors;
    const keys = storage.idempotencyKeys;
    if (!cursors || !keys) throw new Error('the PostgreSQL storage keeps feed cursors and idempotency keys');
    await cursors.lease('mailer', 'p1', 60_000);
    await cursors.advance('mailer', 'p1', '0000000000000007');
    await keys.claim('alice@acme.test', 'k1', 'f1', { runningMs: 60_000, maxPerActor: 10 });
    await keys.keep('alice@acme.test', 'k1', 'f1', { status: 200, headers: [], body: '{}' }, 60_000);
    const { rows: before } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'at5' AND table_name IN ('requests', 'addresses')`,
    );
    expect(before).toEqual([]);

    await storage.migrate();
    expect((await cursors.read('mailer'))?.cursor).toBe('0000000000000007');
    expect(
      await keys.claim('alice@acme.test', 'k1', 'f1', { runningMs: 60_000, maxPerActor: 10 }),
    ).toMatchObject({
      state: 'done',
      response: { status: 200, body: '{}' },
    });
    const { rows: versions } = await db.query<{ version: number }>(
      'SELECT version FROM at5.schema_migrations ORDER BY version',
    );
    expect(versions.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Migration 6's tables work, also on the row-lock path (5): an invitation, its acceptance, a bounce.
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: alice });
    const request = await service.as(alice).invite('SEN-1', { ...bob, roles: ['billing'] });
    expect((await service.as(bob).requests()).items.map((r) => r.id)).toEqual([request.id]);
    await service.as(bob).acceptRequest(request.id);
    expect((await service.findLicense('SEN-1'))?.billing).toEqual([alice.email, bob.email]);
    await service.reportBounce(bob.email, { permanent: true });
    expect(await service.addressStatus(bob.email)).toMatchObject({ reachable: false });
  });

  it('migrate creates the tables and records each migration once, however often it runs', async () => {
    const storage = postgresStorage({ pglite: db, schema: 'twice' });
    await storage.migrate();
    await storage.migrate();
    await Promise.all([storage.migrate(), storage.migrate()]);
    const { rows } = await db.query<{ version: number }>(
      'SELECT version FROM twice.schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'twice' ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'addresses',
      'audit_entries',
      'feed_cursors',
      'feed_position',
      'idempotency_keys',
      'license_contacts',
      'license_memberships',
      'licenses',
      'requests',
      'schema_migrations',
    ]);
  });

  it('keeps the live contact lists as rows, not JSON', async () => {
    const storage = await fresh();
    const { rows } = await db.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = $1 AND data_type IN ('json', 'jsonb', 'ARRAY') ORDER BY table_name, column_name`,
      [storage.schema],
    );
    // The audit record keeps what changed as JSON; the live lists are rows. A request keeps its few
    // roles and deciders as arrays (decided_by has a GIN index).
    expect(rows).toEqual([
      { table_name: 'audit_entries', column_name: 'changes' },
      { table_name: 'audit_entries', column_name: 'requests' },
      { table_name: 'idempotency_keys', column_name: 'response' },
      { table_name: 'requests', column_name: 'decided_by' },
      { table_name: 'requests', column_name: 'roles' },
    ]);
  });

  it('stores one row per person per role, emails lower-cased, with positions and join order', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: alice });
    await service
      .as(alice)
      .addContact('SEN-1', { email: 'Carol@ACME.test', name: 'Carol', roles: ['billing'] });
    await service.as(alice).setMain('SEN-1', 'billing', 'carol@acme.test');
    const { rows } = await db.query(
      `SELECT role, email, position, joined, name FROM ${storage.schema}.license_contacts
       WHERE license_id = 'SEN-1' ORDER BY role, position`,
    );
    expect(rows).toEqual([
      { role: 'billing', email: 'carol@acme.test', position: 0, joined: 1, name: 'Carol' },
      { role: 'billing', email: 'alice@acme.test', position: 1, joined: 0, name: 'Alice' },
      { role: 'technical', email: 'alice@acme.test', position: 0, joined: 0, name: 'Alice' },
    ]);
  });

  it('reads a license under its row lock as an ordinary read does, even with gaps in the positions', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: alice });
    const api = service.as(alice);
    await api.addContact('SEN-1', {
      email: 'carol@acme.test',
      name: 'Carol',
      roles: ['billing', 'technical'],
    });
    await api.addContact('SEN-1', {
      email: 'dan@acme.test',
      name: "Dan O'Neil \\ {x}",
      roles: ['technical'],
    });
    await api.setMain('SEN-1', 'technical', 'dan@acme.test');
    const lockedRead = async () =>
      (await storage.locked?.(['SEN-1', 'SEN-NONE'], (read) => ({ value: [...read.entries()] })))?.value;
    const expected = await storage.getLicense('SEN-1');
    expect(expected?.contacts.map((c) => c.roles)).toEqual([
      ['technical', 'billing'],
      ['technical', 'billing'],
      ['technical'],
    ]);
    expect(await lockedRead()).toEqual([
      ['SEN-1', expected],
      ['SEN-NONE', null],
    ]);
    // Positions written by another tool: 0, 10, 20 instead of 0, 1, 2. The order they give still holds.
    await db.query(
      `UPDATE ${storage.schema}.license_contacts SET position = position * 10 WHERE role = 'technical'`,
    );
    expect((await lockedRead())?.[0]?.[1]).toEqual(expected);
    expect(await storage.getLicense('SEN-1')).toEqual(expected);
  });

  it('reads under the lock only the changes since the version it knows, and the rows whole otherwise', async () => {
    const { schema, mine, other } = await twoInstances();
    await other.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
    const lockedRead = async () =>
      (await mine.locked?.(['SEN-1'], (read) => ({ value: read.get('SEN-1') })))?.value;
    expect((await lockedRead())?.version).toBe(1); // now known to `mine`
    // Another instance makes every kind of change: joins, promotions, removals, a replacement.
    const api = other.as(alice);
    await api.addContact('SEN-1', {
      email: 'carol@acme.test',
      name: 'Carol',
      roles: ['technical', 'billing'],
    });
    await api.addContact('SEN-1', { email: 'dan@acme.test', name: 'Dan', roles: ['technical'] });
    await api.setMain('SEN-1', 'billing', 'carol@acme.test');
    await api.replaceContact('dan@acme.test', { email: 'erin@acme.test', name: 'Erin' });
    await api.removeContact('SEN-1', 'bob@acme.test');
    await api.setMain('SEN-1', 'technical', 'erin@acme.test');
    const expected = await other.findLicense('SEN-1');
    const call = (knownVersion: number | null) =>
      db.query<{ version: number; since: number | null; changes: string | null; contacts: string | null }>(
        `SELECT version, since, changes, contacts FROM ${schema}.locked_license_rows(ARRAY['SEN-1'], NULL, $1::text[], $2::integer[])`,
        [knownVersion === null ? [] : ['SEN-1'], knownVersion === null ? [] : [knownVersion]],
      );
    const delta = (await call(1)).rows[0];
    expect(delta).toMatchObject({ version: 7, since: 1, contacts: null });
    expect(JSON.parse(delta?.changes ?? 'null')).toHaveLength(6);
    expect((await call(7)).rows[0]).toMatchObject({ since: 7, changes: '[]', contacts: null });
    expect((await call(null)).rows[0]).toMatchObject({ since: null, changes: null });
    expect(await lockedRead()).toEqual(expected);
    // Entries missing since the known version (or too many of them): the contact rows, whole.
    await db.query(`DELETE FROM ${schema}.audit_entries WHERE license_id = 'SEN-1' AND version = 4`);
    const gap = (await call(1)).rows[0];
    expect(gap).toMatchObject({ since: 1, changes: null });
    expect(JSON.parse(gap?.contacts ?? '[]')).toHaveLength(4); // Alice, Carol twice, Erin
    expect((await call(-100)).rows[0]).toMatchObject({ changes: null });
    expect(await lockedRead()).toEqual(expected);
  });

  it('reads each license under the lock right when remembering one forgets the copy another needs', async () => {
    // Room for one known version: remembering A (read whole) forgets B, whose changes come next.
    const { mine, other } = await twoInstances({ knownVersions: 1 });
    await other.createLicense({ id: 'SEN-A', product: 'Jira', technical: alice, billing: bob });
    await other.createLicense({ id: 'SEN-B', product: 'Jira', technical: alice, billing: bob });
    await mine.locked?.(['SEN-B'], () => ({ value: null }));
    await other
      .as(alice)
      .addContact('SEN-B', { email: 'carol@acme.test', name: 'Carol', roles: ['billing', 'technical'] });
    const read = await mine.locked?.(['SEN-A', 'SEN-B'], (found) => ({ value: [...found.values()] }));
    expect(read?.value).toEqual([await other.findLicense('SEN-A'), await other.findLicense('SEN-B')]);
  });

  it('reads a known version whole when the stored one is not the same (rewritten behind the storage)', async () => {
    const { schema, mine, other: service } = await twoInstances();
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
    await mine.locked?.(['SEN-1'], () => ({ value: null }));
    // A restore of other contacts under the same version, with its own updated_at.
    await db.query(`UPDATE ${schema}.license_contacts SET name = 'Bobby' WHERE email = 'bob@acme.test'`);
    await db.query(`UPDATE ${schema}.licenses SET updated_at = updated_at + interval '1 second'`);
    const read = await mine.locked?.(['SEN-1'], (found) => ({ value: found.get('SEN-1') }));
    expect(read?.value?.contacts.find((c) => c.email === bob.email)?.name).toBe('Bobby');
  });

  it('runs the service end to end: commands, history, licenses of a person', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob, seats: 10 });
    await service.createLicense({ id: 'SEN-2', product: 'Confluence', technical: bob, billing: bob });
    const api = service.as(bob);
    await api.addContact('SEN-2', { email: 'dan@acme.test', name: 'Dan', roles: ['technical', 'billing'] });
    await api.removeContact('SEN-2', 'bob@acme.test', { role: 'technical' });
    const license = await api.getLicense('SEN-2');
    expect(license.technical).toEqual(['dan@acme.test']);
    expect(license.billing).toEqual(['bob@acme.test', 'dan@acme.test']);
    expect(license.version).toBe(3);
    expect((await api.listLicenses()).items.map((l) => l.id)).toEqual(['SEN-1', 'SEN-2']);
    expect((await service.as({ email: 'dan@acme.test' }).listLicenses()).items.map((l) => l.id)).toEqual([
      'SEN-2',
    ]);
    expect((await api.history('SEN-2')).items.map((e) => e.action)).toEqual([
      'removeContact',
      'addContact',
      'createLicense',
    ]);
    await expectCode(service.as({ email: 'eve@evil.test' }).getLicense('SEN-1'), 'NOT_FOUND');
  });

  it('replaceContact commits several licenses in one transaction', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    for (const id of ['SEN-3', 'SEN-1', 'SEN-2']) {
      await service.createLicense({ id, product: 'Jira', technical: alice, billing: bob });
    }
    const result = await service
      .as(bob)
      .replaceContact('bob@acme.test', { email: 'ben@acme.test', name: 'Ben' });
    expect(result.changed.map((c) => c.licenseId)).toEqual(['SEN-1', 'SEN-2', 'SEN-3']);
    for (const id of ['SEN-1', 'SEN-2', 'SEN-3']) {
      const license = (await storage.getLicense(id)) ?? expect.unreachable();
      expect(license.billing).toEqual(['ben@acme.test']);
      expect(license.version).toBe(2);
    }
    expect((await storage.listLicenses({ email: 'bob@acme.test', limit: 10 })).items).toEqual([]);
  });

  it('tables of different schemas are independent', async () => {
    const one = await fresh();
    const two = await fresh();
    await createLicenseContacts({ storage: one }).createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: alice,
      billing: bob,
    });
    expect(await one.getLicense('SEN-1')).not.toBeNull();
    expect(await two.getLicense('SEN-1')).toBeNull();
  });

  it('refuses a schema name that is not a plain identifier', () => {
    for (const schema of ['', 'a"b', 'public; DROP TABLE x', '1abc', 'x'.repeat(64)]) {
      expect(() => postgresStorage({ pglite: db, schema })).toThrow(
        expect.objectContaining({ code: 'VALIDATION', field: 'schema' }),
      );
    }
  });

  it('a query before migrate() is a STORAGE error keeping the driver error as cause, without SQL', async () => {
    const storage = postgresStorage({ pglite: db, schema: 'never_migrated' });
    const error = await expectCode(storage.getLicense('SEN-1'), 'STORAGE');
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).not.toMatch(/select|relation|never_migrated/i);
    expect(error.status).toBe(503);
  });

  it('serialization failures and deadlocks become CONFLICT, other driver errors STORAGE', () => {
    const driverError = (code: string) => Object.assign(new Error(`driver says ${code}`), { code });
    expect(storageError(driverError('40001')).code).toBe('CONFLICT');
    expect(storageError(driverError('40P01')).code).toBe('CONFLICT');
    expect(storageError(driverError('23505')).code).toBe('STORAGE');
    expect(storageError(new Error('connect ECONNREFUSED')).code).toBe('STORAGE');
    const own = new LicenseContactsError('CONFLICT', 'stale');
    expect(storageError(own)).toBe(own);
    expect(storageError(driverError('57P01')).message).not.toContain('driver says');
  });

  it('a failed write in a multi-license commit leaves the other licenses and the audit untouched', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage, maxRetries: 0 });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
    const two = await service.createLicense({ id: 'SEN-2', product: 'Jira', technical: alice, billing: bob });
    const one = (await storage.getLicense('SEN-1')) ?? expect.unreachable();
    const stale = { ...two, version: 5, product: 'Changed' };
    await expectCode(
      storage.commit({
        writes: [
          { license: { ...one, version: 2, product: 'Changed' }, expectedVersion: 1 },
          { license: stale, expectedVersion: 4 },
        ],
        audit: [],
      }),
      'CONFLICT',
    );
    expect((await storage.getLicense('SEN-1'))?.product).toBe('Jira');
    expect((await storage.getLicense('SEN-1'))?.version).toBe(1);
  });

  it('a write from a stale known version is a CONFLICT, and succeeds after a fresh read', async () => {
    const storage = await fresh();
    await createLicenseContacts({ storage }).createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: alice,
      billing: bob,
    });
    // Behind the storage's back the license is deleted and created again: same id, same version 1.
    await db.query(`DELETE FROM ${storage.schema}.licenses WHERE id = 'SEN-1'`);
    await db.query(`DELETE FROM ${storage.schema}.audit_entries WHERE license_id = 'SEN-1'`);
    const other = postgresStorage({ pglite: db, schema: storage.schema });
    const v1 = await createLicenseContacts({
      storage: other,
      clock: () => new Date('2030-01-01T00:00:00Z'),
    }).createLicense({ id: 'SEN-1', product: 'Jira', technical: bob, billing: bob });
    const next = {
      ...v1,
      version: 2,
      contacts: [...v1.contacts, { email: 'c@acme.test', name: 'C', roles: ['technical' as const] }],
      technical: [...v1.technical, 'c@acme.test'],
    };
    // The rows this storage remembers for version 1 are not the stored ones: no diff against them.
    await expectCode(
      storage.commit({ writes: [{ license: next, expectedVersion: 1 }], audit: [] }),
      'CONFLICT',
    );
    expect(await storage.getLicense('SEN-1')).toEqual(v1);
    await storage.commit({ writes: [{ license: next, expectedVersion: 1 }], audit: [] });
    expect(await storage.getLicense('SEN-1')).toEqual(next);
  });

  it('writes only the contact rows that changed when the previous version is known', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
    const api = service.as(alice);
    await api.addContact('SEN-1', { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] });
    const rowVersions = async () =>
      (
        await db.query<{ email: string; role: string; xmin: string }>(
          `SELECT email, role, xmin::text AS xmin FROM ${storage.schema}.license_contacts ORDER BY role, email`,
        )
      ).rows;
    const before = await rowVersions();
    await api.addContact('SEN-1', { email: 'dan@acme.test', name: 'Dan', roles: ['billing'] });
    const after = await rowVersions();
    // The rows that were there are untouched (same xmin); only Dan's row is new.
    expect(after.filter((row) => row.email !== 'dan@acme.test')).toEqual(before);
    expect(after.map((row) => row.email)).toContain('dan@acme.test');
    await api.setMain('SEN-1', 'technical', 'carol@acme.test');
    expect((await storage.getLicense('SEN-1'))?.technical).toEqual(['carol@acme.test', 'alice@acme.test']);
  });

  it('commits audit entries of licenses the commit does not write', async () => {
    const storage = await fresh();
    const service = createLicenseContacts({ storage });
    await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
    const [entry] = (await storage.listAudit('SEN-1', { limit: 1 })).items;
    const copy = { ...(entry ?? expect.unreachable()), id: 'SEN-2:1', licenseId: 'SEN-2' };
    const [stored] = await storage.commit({ writes: [], audit: [copy] });
    expect(stored).toEqual({ ...copy, seq: '0000000000000002' });
    expect((await storage.listAudit('SEN-2', { limit: 5 })).items).toEqual([stored]);
  });

  it('close() closes the PGlite instance it was given, and later calls are STORAGE errors', async () => {
    const own = await PGlite.create();
    const storage = postgresStorage({ pglite: own });
    await storage.migrate();
    await storage.close();
    expect(own.closed).toBe(true);
    await expectCode(storage.getLicense('SEN-1'), 'STORAGE');
  });
});

describe('postgresStorage visibility through the email index', () => {
  /** Every statement the storage sends, with the rows each answered. */
  const sent: { text: string; params: unknown[]; rows: number }[] = [];
  /**
   * Runs a statement on `on`, noting it; a `PREPARE` (sent once per statement shape, inside a
   * transaction under a savepoint) only plans, reads no row, and is left out with its savepoint, so a
   * first call counts what a later one does.
   */
  async function noted<R>(on: Pick<PGliteLike, 'query'>, text: string, params?: unknown[]) {
    const result = await on.query<R>(text, params);
    if (
      !/^(PREPARE |SAVEPOINT lc_prepare|RELEASE SAVEPOINT lc_prepare|ROLLBACK TO SAVEPOINT lc_prepare)/.test(
        text,
      )
    )
      sent.push({ text, params: params ?? [], rows: result.rows.length });
    return result;
  }
  // Statements inside transactions (the row-lock path) are noted too.
  const counting: PGliteLike = {
    query: (text, params) => noted(db, text, params),
    transaction: (fn) => db.transaction((tx) => fn({ query: (text, params) => noted(tx, text, params) })),
    close: async () => {},
  };

  /** Table rows the statements read, as PostgreSQL counts them when it runs them again (EXPLAIN ANALYZE). */
  async function rowsScanned(statements: typeof sent): Promise<number> {
    let total = 0;
    const visit = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string') {
        total += Number(node['Actual Rows'] ?? 0) * Number(node['Actual Loops'] ?? 0);
      }
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
    };
    for (const { text, params } of statements) {
      const { rows } = await db.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        params,
      );
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      if (!plan) throw new Error(`no plan for ${text}`);
      visit(plan);
    }
    return total;
  }

  it('lets an outsider read no row of a hidden license of 2,000 contacts: the cost of a missing one', async () => {
    const schema = `t${++schemas}`;
    await postgresStorage({ pglite: db, schema }).migrate();
    const storage = postgresStorage({ pglite: counting, schema });
    const service = createLicenseContacts({ storage, cacheSize: 0 });
    await service.createLicense({
      id: 'SEN-HIDDEN',
      product: 'Jira',
      technical: alice,
      billing: bob,
      contacts: Array.from({ length: 2000 }, (_, i) => ({
        email: `p${i}@acme.test`,
        name: `Person ${i}`,
        roles: ['technical' as const],
      })),
    });
    const cost = async (call: () => Promise<unknown>) => {
      sent.length = 0;
      await call().catch((error: unknown) => {
        expect((error as LicenseContactsError).code).toBe('NOT_FOUND');
      });
      const statements = [...sent];
      return {
        statements: statements.length,
        rows: statements.reduce((sum, s) => sum + s.rows, 0),
        scanned: await rowsScanned(statements),
      };
    };
    const outsider = service.as({ email: 'mallory@other.test' });
    const hidden = await cost(() => outsider.getLicense('SEN-HIDDEN'));
    const missing = await cost(() => outsider.getLicense('SEN-MISSING'));
    expect(hidden).toEqual({ statements: 1, rows: 0, scanned: 0 });
    expect(hidden).toEqual(missing);
    for (const call of [
      () => outsider.permissions('SEN-HIDDEN'),
      () => outsider.history('SEN-HIDDEN'),
      () => outsider.addContact('SEN-HIDDEN', { email: 'm@other.test', name: 'M', roles: ['technical'] }),
      () =>
        outsider.replaceContact(
          'alice@acme.test',
          { email: 'm@other.test', name: 'M' },
          { licenseIds: ['SEN-HIDDEN'] },
        ),
    ]) {
      expect(await cost(call)).toEqual(missing);
    }
    // A contact still reads the whole license, in one statement.
    const insider = await cost(() => service.as(alice).getLicense('SEN-HIDDEN'));
    expect(insider.statements).toBe(1);
    expect(insider.rows).toBe(2002);
  });
});
