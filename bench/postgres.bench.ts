/**
 * `pnpm bench postgres`: the PostgreSQL / PGlite storage adapter against hand-written SQL doing the
 * same work, measured in the same run.
 *
 * 1. Commands per second (addContact then removeContact, on licenses with three contacts) through
 *    the service and the adapter, against one hand-written transaction per command changing the same
 *    rows (the license row, one contact row, one audit entry): on PGlite and on a real server.
 *    A third baseline adds the change feed's part by hand (the seq from the position row, the
 *    stretch of who joined or left): with/without is what the feed costs.
 * 2. The change feed read through `listChanges`, against a raw indexed SELECT of the same rows.
 * 3. Latency of "licenses of this person" at 100,000 licenses through the adapter, against a raw
 *    indexed SELECT returning the same rows.
 * 4. Bytes of one audit entry (one add to a license of 1,000 contacts) against the first version's.
 *
 * The real server is DATABASE_URL, or a throwaway PostgreSQL 15 this file starts; when neither is
 * possible it prints why and measures PGlite only.
 */
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import type { ContactChange, ContactsState, License } from '@license-contacts/core';
import { applyCommand, createLicenseContacts, defaultPolicy } from '@license-contacts/core';
import { licenseWithContacts } from '@license-contacts/core/testing';
import type { PgPoolLike, PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import type { Runs } from '../tests/postgres/seed';
import { seededId, seededLicense, seedLicenses, TECH_PEOPLE } from '../tests/postgres/seed';
import { benchDatabase, formatSpread, inTransaction, spread } from './util';

/** Licenses each side of the command benchmark works on (disjoint sets, so they never meet). */
const LICENSES_PER_SIDE = 100;
/** Commands per round and side, rounds alternate between the two sides; every round also stops at its time budget. */
const COMMANDS_PER_ROUND = 400;
const ROUNDS = 3;
const ROUND_BUDGET_MS = 4_000;
const LOOKUP_LICENSES = 100_000;
const LOOKUPS = 1_500;
/** Entries the feed read benchmark pages through. */
const FEED_ENTRIES = 4_000;

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

/** Commands/s through service + adapter against the hand-written SQL baselines, on one driver. */
/**
 * The feed's part by hand, in the audit statement: the next seq from the position row (held to
 * commit), the entry under it, and the stretch of who joined ($9) or left ($10). Parameters: license
 * id, version, at, actor, action, email, role, changes (json), joined, left.
 */
export function feedAuditStatement(s: string): string {
  return `WITH s AS (UPDATE ${s}.feed_position SET seq = seq + 1 WHERE id RETURNING seq),
    a AS (INSERT INTO ${s}.audit_entries (seq, license_id, version, at, actor, staff, action, email, role, successor, changes)
      SELECT s.seq, $1, $2, $3::timestamptz, $4, true, $5, $6, $7, NULL, $8::json FROM s),
    j AS (INSERT INTO ${s}.license_memberships (email, license_id, from_seq) SELECT $6, $1, s.seq FROM s WHERE $9::boolean),
    x AS (UPDATE ${s}.license_memberships m SET to_seq = s.seq FROM s
      WHERE $10::boolean AND m.email = $6 AND m.license_id = $1 AND m.to_seq IS NULL)
    SELECT seq FROM s`;
}

async function commands(driver: Driver, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const service = createLicenseContacts({ storage: driver.storage() });
  const api = service.as(staff);
  // Licenses 1..100 for the service, 101..200 for the baselines; the model of each baseline license.
  const models = new Map<string, License>();
  for (let i = LICENSES_PER_SIDE + 1; i <= 2 * LICENSES_PER_SIDE; i++)
    models.set(seededId(i), seededLicense(i));
  // What an audit row was before the change feed: the same columns, no seq, no stretches.
  await driver.sql(
    `CREATE TABLE IF NOT EXISTS ${s}.bench_plain_audit (LIKE ${s}.audit_entries INCLUDING DEFAULTS)`,
    [],
  );
  await driver.sql(`ALTER TABLE ${s}.bench_plain_audit ALTER COLUMN seq DROP NOT NULL`, []);

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
  const plainAudit = `INSERT INTO ${s}.bench_plain_audit (license_id, version, at, actor, staff, action, email, role, successor, changes)
    VALUES ($1, $2, $3::timestamptz, $4, true, $5, $6, $7, NULL, $8::json)`;
  const feedAudit = feedAuditStatement(s);
  let baselineStep = 0;
  /**
   * The same writes by hand: with `read`, each command first reads its license as the service must;
   * with `feed`, each also takes its seq and records who joined or left, as the adapter does.
   */
  const baseline = async (read: boolean, feed: boolean) => {
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
    const entry = (action: string, license: License, role: string | null, change: ContactChange) => [
      id,
      license.version,
      license.updatedAt,
      staff.email,
      action,
      email,
      role,
      JSON.stringify([change]),
    ];
    const person = { email, name: `Bench ${k}` };
    const position = { roles: ['technical' as const], technical: before.technical.length };
    await driver.transaction(async (sql) => {
      await sql(
        `UPDATE ${s}.licenses SET version = $2, updated_at = $3::timestamptz WHERE id = $1 AND version = $4`,
        [id, added.version, added.updatedAt, before.version],
      );
      await sql(
        `INSERT INTO ${s}.license_contacts (license_id, role, email, position, joined, name) VALUES ($1, 'technical', $2, $3, $4, $5)`,
        [id, email, before.technical.length, before.contacts.length, `Bench ${k}`],
      );
      const values = entry('addContact', added, 'technical', { ...person, before: null, after: position });
      await (feed ? sql(feedAudit, [...values, true, false]) : sql(plainAudit, values));
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
      const values = entry('removeContact', removed, null, { ...person, before: position, after: null });
      await (feed ? sql(feedAudit, [...values, false, true]) : sql(plainAudit, values));
    });
    models.set(id, removed);
  };

  // Warm up every path (plans, caches, connections), then alternate rounds so drift hits all alike.
  const sides = [
    subject,
    () => baseline(false, false),
    () => baseline(true, false),
    () => baseline(false, true),
  ];
  for (const side of sides) await rate(50, 2_000, side);
  const rounds: number[][] = sides.map(() => []);
  let subjectOps = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, side] of sides.entries()) {
      const r = await rate(COMMANDS_PER_ROUND / 2, ROUND_BUDGET_MS, side);
      (rounds[i] as number[]).push(r.perSecond * 2);
      if (i === 0) subjectOps += r.ops * 2;
    }
  }
  const [subjectRates, writeRates, readWriteRates, feedRates] = rounds as [
    number[],
    number[],
    number[],
    number[],
  ];
  const ratio = (a: number[], b: number[]) => a.map((x, i) => x / (b[i] as number));

  // The two sides changed the same rows the same number of times: check before reporting.
  const check = await driver.storage().getLicense(seededId(1));
  if (check?.contacts.length !== 3) throw new Error('the service left a license in an unexpected state');

  const median = (values: number[]) => fmt(spread(values).median);
  console.log(
    `${driver.label}: commands/s (addContact, removeContact; median of ${ROUNDS} interleaved rounds): ` +
      `service+adapter ${median(subjectRates)} (${subjectOps} commands); hand-written transaction ${median(writeRates)}; ` +
      `hand-written read + transaction ${median(readWriteRates)}; hand-written transaction with the feed's part ${median(feedRates)}`,
  );
  console.log(
    `${driver.label}: ratio (min / median / max) service vs hand-written transaction ${formatSpread(ratio(subjectRates, writeRates))}; ` +
      `vs read + transaction ${formatSpread(ratio(subjectRates, readWriteRates))}; ` +
      `what the feed costs hand-written SQL (with / without) ${formatSpread(ratio(feedRates, writeRates))}`,
  );
}

/** Reading the change feed through the adapter against a raw indexed SELECT of the same rows. */
async function feedReads(driver: Driver, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const storage = driver.storage();
  const service = createLicenseContacts({ storage });
  const staffApi = service.as(staff);
  // Entries to read: a few thousand commits over the seeded licenses.
  for (let k = 0; k < FEED_ENTRIES / 2; k++) {
    const id = seededId(1 + (k % LICENSES_PER_SIDE));
    const email = `feed${k}@company1.test`;
    await staffApi.addContact(id, { email, name: `Feed ${k}`, roles: ['billing'] });
    await staffApi.removeContact(id, email);
  }
  const raw = `SELECT seq, license_id, version, at, actor, staff, action, email, role, successor, changes
    FROM ${s}.audit_entries WHERE seq > $1 ORDER BY seq LIMIT 201`;
  const page = 200;
  const adapter = async () => {
    let read = 0;
    let after: string | undefined;
    for (;;) {
      const result = await storage.listChanges({ limit: page, ...(after === undefined ? {} : { after }) });
      read += result.items.length;
      if (result.nextCursor === undefined) return read;
      after = result.nextCursor;
    }
  };
  const baseline = async () => {
    let read = 0;
    let after = '0';
    for (;;) {
      const { rows } = (await driver.sql(raw, [after])) as { rows: { seq: string }[] };
      const items = rows.slice(0, page);
      read += items.length;
      if (rows.length <= page) return read;
      after = String((items.at(-1) as { seq: string }).seq);
    }
  };
  await adapter();
  await baseline();
  const adapterRates: number[] = [];
  const baselineRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [side, rates] of [
      [adapter, adapterRates],
      [baseline, baselineRates],
    ] as const) {
      const start = performance.now();
      const read = await side();
      rates.push((read * 1000) / (performance.now() - start));
    }
  }
  const ratios = adapterRates.map((x, i) => x / (baselineRates[i] as number));
  console.log(
    `${driver.label}: change feed read, entries/s (median of ${ROUNDS} rounds over ${fmt(FEED_ENTRIES)} entries, pages of ${page}): ` +
      `listChanges ${fmt(spread(adapterRates).median)}, raw indexed SELECT ${fmt(spread(baselineRates).median)}; ` +
      `ratio (min / median / max) ${formatSpread(ratios)} (goal >= 0.70)`,
  );
}

/** Bytes of one audit entry for one add to a license of 1,000 contacts, against the first version's shape. */
function entryBytes(): void {
  const license = licenseWithContacts('SEN-BYTES', 1000);
  const applied = applyCommand(
    license,
    { type: 'addContact', input: { email: 'new@acme.test', name: 'New Person', roles: ['technical'] } },
    staff,
    defaultPolicy,
    at(),
  );
  if (!applied) throw new Error('the add changed nothing');
  const entry = { ...applied.entry, seq: '0000000000000001' };
  const { changes: _, ...rest } = entry;
  const before = { ...rest, before: state(license), after: state(applied.license) };
  const bytes = Buffer.byteLength(JSON.stringify(entry));
  const old = Buffer.byteLength(JSON.stringify(before));
  console.log(
    `audit entry of one add to a license of 1,000 contacts: ${fmt(bytes)} bytes; the first version's entry ` +
      `(two copies of the contacts) ${fmt(old)} bytes; ratio ${(bytes / old).toFixed(4)} (goal <= 5,000 bytes)`,
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
    await feedReads(driver, schema);
    const big = 'bench_big';
    await postgresStorage({ pglite: db, schema: big }).migrate();
    await seedLicenses(db, big, LOOKUP_LICENSES);
    await lookups({ ...driver, storage: () => postgresStorage({ pglite: db, schema: big }) }, big);
  } finally {
    await db.close();
  }
}

async function onServer(): Promise<void> {
  const database = await benchDatabase('PostgreSQL');
  if (!database) return;
  const url = database.url;
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
      label: `PostgreSQL ${database.throwaway ? '15 (throwaway)' : '(DATABASE_URL)'}`,
      runs: pool,
      storage: () => postgresStorage({ pool: shared, schema }),
      sql: (text, values) => pool.query({ name: statementName(text), text, values }),
      transaction: (fn) =>
        inTransaction(pool, (client) =>
          fn((text, values) => client.query({ name: statementName(text), text, values })),
        ),
    };
    await driver.storage().migrate();
    await seedLicenses(pool, schema, 2 * LICENSES_PER_SIDE);
    await commands(driver, schema);
    await feedReads(driver, schema);
    const bigStorage = postgresStorage({ pool: shared, schema: big });
    await bigStorage.migrate();
    await seedLicenses(pool, big, LOOKUP_LICENSES);
    await lookups({ ...driver, storage: () => bigStorage }, big);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pool.query(`DROP SCHEMA IF EXISTS "${big}" CASCADE`).catch(() => {});
    await pool.end();
    await database.release();
  }
}

/** Prints commands/s and lookup latency of the adapter against hand-written SQL, on PGlite and a server. */
export default async function (): Promise<void> {
  entryBytes();
  console.log('goal: ratio >= 0.70 of the hand-written SQL baseline (higher is better)');
  console.log(
    'note: the service starts a command from the version it last saw (the compare-and-set catches a stale ' +
      'one); the first baseline only writes, the second also reads the license first',
  );
  await onPGlite();
  await onServer();
}
