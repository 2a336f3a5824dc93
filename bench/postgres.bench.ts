/**
 * `pnpm bench postgres`: the PostgreSQL / PGlite storage adapter against hand-written SQL doing the
 * same work, measured in the same run.
 *
 * 1. Commands per second (addContact then removeContact, on licenses with three contacts) through
 *    the service and the adapter, against one hand-written transaction per command changing the same
 *    rows (the license row, one contact row, one audit entry): on PGlite and on a real server.
 * 2. Latency of "licenses of this person" at 100,000 licenses through the adapter, against a raw
 *    indexed SELECT returning the same rows.
 *
 * The real server is DATABASE_URL, or a throwaway PostgreSQL 15 this file starts; when neither is
 * possible it prints why and measures PGlite only.
 */
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import type { ContactsState, License } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { PgPoolLike, PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import type { Runs } from '../tests/postgres/seed';
import { seededId, seededLicense, seedLicenses, TECH_PEOPLE } from '../tests/postgres/seed';
import type { ThrowawayServer } from '../tests/postgres/server';
import { startThrowawayServer } from '../tests/postgres/server';

/** Licenses each side of the command benchmark works on (disjoint sets, so they never meet). */
const LICENSES_PER_SIDE = 100;
/** Commands per round and side, rounds alternate between the two sides; every round also stops at its time budget. */
const COMMANDS_PER_ROUND = 400;
const ROUNDS = 3;
const ROUND_BUDGET_MS = 4_000;
const LOOKUP_LICENSES = 100_000;
const LOOKUPS = 1_500;

const staff = { email: 'ops@vendor.test', staff: true };
const at = () => new Date().toISOString();

/** Runs one hand-written statement (prepared by name where the driver can, as the adapter does). */
type Sql = (text: string, values: unknown[]) => Promise<unknown>;

interface Driver {
  label: string;
  /** For seeding. */
  runs: Runs;
  storage: () => PostgresStorage;
  /** One hand-written statement outside a transaction. */
  sql: Sql;
  /** One transaction on one connection, for the hand-written baseline. */
  transaction: (fn: (sql: Sql) => Promise<void>) => Promise<void>;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function state(license: License): ContactsState {
  return { contacts: license.contacts, technical: license.technical, billing: license.billing };
}

/** A prepared-statement name for a hand-written statement. */
function statementName(text: string): string {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return `bench_${(hash >>> 0).toString(36)}`;
}

/** Runs `step(i)` for up to `count` steps or `budgetMs`, whichever comes first; answers steps per second. */
async function rate(
  count: number,
  budgetMs: number,
  step: (i: number) => Promise<void>,
): Promise<{ ops: number; perSecond: number }> {
  const start = performance.now();
  let ops = 0;
  while (ops < count && performance.now() - start < budgetMs) await step(ops++);
  return { ops, perSecond: (ops * 1000) / (performance.now() - start) };
}

/** Commands/s through service + adapter against the hand-written SQL baseline, on one driver. */
async function commands(driver: Driver, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const service = createLicenseContacts({ storage: driver.storage() });
  const api = service.as(staff);
  // Licenses 1..100 for the service, 101..200 for the baseline; the model of each baseline license.
  const models = new Map<string, License>();
  for (let i = LICENSES_PER_SIDE + 1; i <= 2 * LICENSES_PER_SIDE; i++)
    models.set(seededId(i), seededLicense(i));

  let subjectStep = 0;
  const subject = async () => {
    const k = subjectStep++;
    const id = seededId(1 + (k % LICENSES_PER_SIDE));
    const email = `bench${k}@company1.test`;
    await api.addContact(id, { email, name: `Bench ${k}`, roles: ['technical'] });
    await api.removeContact(id, email);
  };

  const readLicense = `SELECT l.id, l.product, l.edition, l.seats, l.expires_at, l.version, l.updated_at,
      c.role, c.email, c.position, c.joined, c.name
    FROM ${s}.licenses l LEFT JOIN ${s}.license_contacts c ON c.license_id = l.id WHERE l.id = $1`;
  let baselineStep = 0;
  /** The same writes by hand; with `read`, each command first reads its license as the service must. */
  const baseline = async (read: boolean) => {
    const k = baselineStep++;
    const id = seededId(LICENSES_PER_SIDE + 1 + (k % LICENSES_PER_SIDE));
    const before = models.get(id) as License;
    if (read) await driver.sql(readLicense, [id]);
    const email = `bench${k}@company1.test`;
    const added: License = {
      ...before,
      contacts: [...before.contacts, { email, name: `Bench ${k}`, roles: ['technical'] }],
      technical: [...before.technical, email],
      version: before.version + 1,
      updatedAt: at(),
    };
    const audit = `INSERT INTO ${s}.audit_entries (license_id, version, at, actor, staff, action, email, role, successor, before, after)
      VALUES ($1, $2, $3::timestamptz, $4, true, $5, $6, $7, NULL, $8::jsonb, $9::jsonb)`;
    await driver.transaction(async (sql) => {
      await sql(
        `UPDATE ${s}.licenses SET version = $2, updated_at = $3::timestamptz WHERE id = $1 AND version = $4`,
        [id, added.version, added.updatedAt, before.version],
      );
      await sql(
        `INSERT INTO ${s}.license_contacts (license_id, role, email, position, joined, name) VALUES ($1, 'technical', $2, $3, $4, $5)`,
        [id, email, before.technical.length, before.contacts.length, `Bench ${k}`],
      );
      await sql(audit, [
        id,
        added.version,
        added.updatedAt,
        staff.email,
        'addContact',
        email,
        'technical',
        JSON.stringify(state(before)),
        JSON.stringify(state(added)),
      ]);
    });
    const removed: License = { ...before, version: added.version + 1, updatedAt: at() };
    if (read) await driver.sql(readLicense, [id]);
    await driver.transaction(async (sql) => {
      await sql(
        `UPDATE ${s}.licenses SET version = $2, updated_at = $3::timestamptz WHERE id = $1 AND version = $4`,
        [id, removed.version, removed.updatedAt, added.version],
      );
      await sql(
        `DELETE FROM ${s}.license_contacts WHERE license_id = $1 AND role = 'technical' AND email = $2`,
        [id, email],
      );
      await sql(audit, [
        id,
        removed.version,
        removed.updatedAt,
        staff.email,
        'removeContact',
        email,
        null,
        JSON.stringify(state(added)),
        JSON.stringify(state(removed)),
      ]);
    });
    models.set(id, removed);
  };

  // Warm up every path (plans, caches, connections), then alternate rounds so drift hits all alike.
  const sides = [subject, () => baseline(false), () => baseline(true)];
  const totals = sides.map(() => ({ ops: 0, ms: 0 }));
  for (const side of sides) await rate(50, 2_000, side);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, side] of sides.entries()) {
      const r = await rate(COMMANDS_PER_ROUND / 2, ROUND_BUDGET_MS, side);
      const total = totals[i] as { ops: number; ms: number };
      total.ops += r.ops * 2;
      total.ms += (r.ops * 1000) / r.perSecond;
    }
  }
  const [subjectRate, writeRate, readWriteRate] = totals.map((t) => (t.ops * 1000) / t.ms) as [
    number,
    number,
    number,
  ];

  // The two sides changed the same rows the same number of times: check before reporting.
  const check = await driver.storage().getLicense(seededId(1));
  if (check?.contacts.length !== 3) throw new Error('the service left a license in an unexpected state');

  console.log(
    `${driver.label}: commands/s (addContact, removeContact) service+adapter ${fmt(subjectRate)} (${totals[0]?.ops} commands); ` +
      `hand-written transaction ${fmt(writeRate)}, ratio ${fmt(subjectRate / writeRate, 2)}; ` +
      `hand-written read + transaction ${fmt(readWriteRate)}, ratio ${fmt(subjectRate / readWriteRate, 2)}`,
  );
}

/** Mean latency of "licenses of this person" through the adapter against a raw indexed SELECT. */
async function lookups(driver: Driver, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const storage = driver.storage();
  const person = (k: number) => {
    const p = (k * 7_919) % TECH_PEOPLE;
    return `tech${p}@company${p % 500}.test`;
  };
  const raw = `SELECT l.id, l.product, l.edition, l.seats, l.expires_at, l.version, l.updated_at,
      c.role, c.email, c.position, c.joined, c.name
    FROM ${s}.license_contacts m
    JOIN ${s}.licenses l ON l.id = m.license_id
    JOIN ${s}.license_contacts c ON c.license_id = l.id
    WHERE m.email = $1 ORDER BY l.id LIMIT 150`;
  const adapter = async (k: number) => {
    const page = await storage.listLicenses({ email: person(k), limit: 50 });
    if (page.items.length !== LOOKUP_LICENSES / TECH_PEOPLE) throw new Error('unexpected page size');
  };
  const baseline = async (k: number) => {
    await driver.sql(raw, [person(k)]);
  };
  await rate(200, 2_000, adapter);
  await rate(200, 2_000, baseline);
  let adapterMs = 0;
  let baselineMs = 0;
  let n = 0;
  for (let round = 0; round < 3; round++) {
    const a = await rate(LOOKUPS / 3, 5_000, (i) => adapter(round * LOOKUPS + i));
    const b = await rate(LOOKUPS / 3, 5_000, (i) => baseline(round * LOOKUPS + i));
    adapterMs += 1000 / a.perSecond;
    baselineMs += 1000 / b.perSecond;
    n++;
  }
  const adapterMean = adapterMs / n;
  const baselineMean = baselineMs / n;
  console.log(
    `${driver.label}: licenses of a person at ${fmt(LOOKUP_LICENSES)} licenses: adapter ${fmt(adapterMean * 1000)} µs, ` +
      `raw indexed SELECT ${fmt(baselineMean * 1000)} µs, ratio (raw/adapter) ${fmt(baselineMean / adapterMean, 2)}`,
  );
}

async function onPGlite(): Promise<void> {
  const db = await PGlite.create();
  try {
    const schema = 'bench';
    const driver: Driver = {
      label: 'PGlite',
      runs: db,
      storage: () => postgresStorage({ pglite: db, schema }),
      sql: (text, values) => db.query(text, values),
      transaction: (fn) => db.transaction((tx) => fn((text, values) => tx.query(text, values))),
    };
    await driver.storage().migrate();
    await seedLicenses(db, schema, 2 * LICENSES_PER_SIDE);
    await commands(driver, schema);
    const big = 'bench_big';
    await postgresStorage({ pglite: db, schema: big }).migrate();
    await seedLicenses(db, big, LOOKUP_LICENSES);
    await lookups({ ...driver, storage: () => postgresStorage({ pglite: db, schema: big }) }, big);
  } finally {
    await db.close();
  }
}

async function onServer(): Promise<void> {
  let server: ThrowawayServer | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    try {
      server = await startThrowawayServer();
      url = server.url;
    } catch (error) {
      console.log(
        `PostgreSQL: skipped, DATABASE_URL is unset and no throwaway server could start (${(error as Error).message.split('\n')[0]})`,
      );
      return;
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const schema = `lc_bench_${process.pid}`;
  // Storages over the bench's pool that leave ending it to the bench.
  const shared: PgPoolLike = {
    query: (config) => pool.query(config),
    connect: () => pool.connect(),
    end: async () => {},
  };
  const big = `${schema}_big`;
  try {
    const driver: Driver = {
      label: `PostgreSQL ${server ? '15 (throwaway)' : '(DATABASE_URL)'}`,
      runs: pool,
      storage: () => postgresStorage({ pool: shared, schema }),
      sql: (text, values) => pool.query({ name: statementName(text), text, values }),
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await fn((text, values) => client.query({ name: statementName(text), text, values }));
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    };
    await driver.storage().migrate();
    await seedLicenses(pool, schema, 2 * LICENSES_PER_SIDE);
    await commands(driver, schema);
    const bigStorage = postgresStorage({ pool: shared, schema: big });
    await bigStorage.migrate();
    await seedLicenses(pool, big, LOOKUP_LICENSES);
    await lookups({ ...driver, storage: () => bigStorage }, big);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pool.query(`DROP SCHEMA IF EXISTS "${big}" CASCADE`).catch(() => {});
    await pool.end();
    await server?.destroy();
  }
}

/** Prints commands/s and lookup latency of the adapter against hand-written SQL, on PGlite and a server. */
export default async function (): Promise<void> {
  console.log('goal: ratio >= 0.70 of the hand-written SQL baseline (higher is better)');
  console.log(
    'note: the service starts a command from the version it last saw (the compare-and-set catches a stale ' +
      'one); the first baseline only writes, the second also reads the license first',
  );
  await onPGlite();
  await onServer();
}
