// @vitest-environment node
import { PGlite } from '@electric-sql/pglite';
import type { AuditEntry } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import { runServiceModelTests, runStorageConformance } from '@license-contacts/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../index';
import { sqlLiteral } from '../queryable';

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

describe('watch under a burst of commits (watchGapMs)', () => {
  it('reads the feed at most once per gap, each entry still told once, in order', async () => {
    await empty();
    let reads = 0;
    // The watching storage's PGlite, counting its reads of the feed.
    const counted = new Proxy(db, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== 'query' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return (text: string, ...rest: unknown[]) => {
          if (/FROM \S*audit_entries a WHERE a\.seq >/.test(text)) reads++;
          return value.call(target, text, ...rest);
        };
      },
    });
    const watcher = postgresStorage({ pglite: counted, watchGapMs: 200 });
    const service = createLicenseContacts({ storage: postgresStorage({ pglite: db }) });
    await service.createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    const told: AuditEntry[] = [];
    const watch = await watcher.watch?.((entry) => told.push(entry));
    const api = service.as({ email: 'ops@vendor.test', staff: true });
    const COMMITS = 30;
    for (let k = 0; k < COMMITS; k++) {
      await api.addContact('SEN-1', { email: `p${k}@acme.test`, name: `P${k}`, roles: ['technical'] });
    }
    const deadline = Date.now() + 5_000;
    while (told.length < COMMITS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    watch?.close();
    expect(told.map((e) => e.version)).toEqual(Array.from({ length: COMMITS }, (_, k) => k + 2));
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(COMMITS / 3);
  });

  it('refuses a negative watchGapMs with VALIDATION', () => {
    expect(() => postgresStorage({ pglite: db, watchGapMs: -1 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field: 'watchGapMs' }),
    );
  });
});

// The same promises with statements planned anew each time (`prepare: false`), as before PREPARE.
runStorageConformance({
  name: 'postgresStorage (PGlite, prepare: false)',
  async create() {
    await empty();
    return postgresStorage({ pglite: db, prepare: false });
  },
});

describe('EXECUTE arguments (sqlLiteral)', () => {
  it('reads back every value as the bound parameter would be: text, arrays of text, JSON text, numbers, booleans', async () => {
    await db.query(
      'PREPARE lc_literal_check AS SELECT $1::text AS t, $2::text[] AS a, $3::json AS j, $4::integer AS n, $5::boolean AS b, $6::bigint::text AS big',
    );
    // Any text PostgreSQL can hold (no NUL): quotes, backslashes, braces, commas, newlines, emoji.
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
    const tricky = fc.constantFrom("'", "''", '\\', '\\"', '"', '{', '}', ',', 'NULL', ' ', '\n', "O'Brien");
    const anyText = fc.oneof(
      text,
      tricky,
      fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(
        anyText,
        fc.array(fc.option(anyText, { nil: null }), { maxLength: 8 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.integer(),
        fc.boolean(),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        async (t, a, j, n, b, big) => {
          // JSON goes as its text, as the adapter sends it (a JS array is a PostgreSQL array, as with pg).
          const args = [t, a, JSON.stringify(j), n, b, big].map(sqlLiteral).join(', ');
          const { rows } = await db.query<Record<string, unknown>>(`EXECUTE lc_literal_check(${args})`);
          expect(rows[0]).toEqual({ t, a, j: JSON.parse(JSON.stringify(j)), n, b, big: String(big) });
        },
      ),
      { numRuns: 300 },
    );
    await db.query('DEALLOCATE lc_literal_check');
  });

  it('writes NULL for null and undefined, and a Date as its ISO text', async () => {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT ${sqlLiteral(null)}::text AS a, ${sqlLiteral(undefined)}::text AS b, ${sqlLiteral(new Date('2026-05-01T08:00:00.123Z'))}::timestamptz AS c`,
    );
    expect(rows[0]).toEqual({ a: null, b: null, c: new Date('2026-05-01T08:00:00.123Z') });
  });
});

describe('prepared statements on PGlite', () => {
  it('prepares a statement once and runs it again after DEALLOCATE ALL behind its back', async () => {
    await empty();
    const storage = postgresStorage({ pglite: db });
    const service = createLicenseContacts({ storage, cacheSize: 0 });
    await service.createLicense({
      id: 'SEN-PREP',
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    const names = async () =>
      (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name);
    await storage.getLicense('SEN-PREP');
    const after = await names();
    expect(after.some((name) => name.startsWith('lc_'))).toBe(true);
    await storage.getLicense('SEN-PREP');
    expect(await names()).toEqual(after); // the second read prepared nothing new
    await db.query('DEALLOCATE ALL');
    expect((await storage.getLicense('SEN-PREP'))?.id).toBe('SEN-PREP');
    expect((await storage.getLicense('SEN-PREP'))?.id).toBe('SEN-PREP');
    expect((await names()).some((name) => name.startsWith('lc_'))).toBe(true);
  });

  it('quotes the same with standard_conforming_strings off: a backslash never ends a literal', async () => {
    await db.query('PREPARE lc_literal_two AS SELECT $1::text AS a, $2::text AS b');
    await db.query('SET standard_conforming_strings = off');
    try {
      const a = "\\'";
      const b = ', current_user) --';
      const { rows } = await db.query(`EXECUTE lc_literal_two(${sqlLiteral(a)}, ${sqlLiteral(b)})`);
      expect(rows[0]).toEqual({ a, b });
    } finally {
      await db.query('SET standard_conforming_strings = on');
      await db.query('DEALLOCATE lc_literal_two');
    }
  });

  it('commits through a second handle on the same session, and after DEALLOCATE ALL inside transactions', async () => {
    await empty();
    // Two handles over one session (as PGlite workers of several tabs): neither knows what the other prepared.
    const handle = (): typeof db =>
      ({
        query: (text: string, params?: unknown[]) => db.query(text, params),
        transaction: (fn: Parameters<typeof db.transaction>[0]) => db.transaction(fn),
        close: async () => {},
      }) as unknown as typeof db;
    const first = createLicenseContacts({ storage: postgresStorage({ pglite: handle() }) });
    const second = createLicenseContacts({ storage: postgresStorage({ pglite: handle() }), cacheSize: 0 });
    const alice = { email: 'alice@acme.test', name: 'Alice' };
    await first.createLicense({
      id: 'SEN-TWO',
      product: 'Jira',
      technical: alice,
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    const add = (service: typeof first, n: number) =>
      service
        .as(alice)
        .addContact('SEN-TWO', { email: `p${n}@acme.test`, name: `P ${n}`, roles: ['technical'] });
    await add(first, 1);
    await add(second, 2);
    await db.query('DEALLOCATE ALL');
    await Promise.all([add(first, 3), add(second, 4), add(first, 5), add(second, 6)]);
    await db.query('DEALLOCATE ALL');
    await add(second, 7);
    expect((await first.findLicense('SEN-TWO'))?.version).toBe(8);
  });
});
