import type { Queryable } from './queryable';

/** One step of the schema, applied once, in order, inside the migration transaction. */
export interface Migration {
  version: number;
  name: string;
  /** Single statements (no multi-statement strings: PGlite's extended protocol refuses them). */
  statements: (schema: string) => string[];
}

/** The schema's history. Append new steps; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'licenses, contacts by role, audit entries',
    statements: (s) => [
      `CREATE TABLE ${s}.licenses (
        id text PRIMARY KEY,
        product text NOT NULL,
        edition text,
        seats bigint,
        expires_at text,
        version integer NOT NULL CHECK (version > 0),
        updated_at timestamptz NOT NULL
      )`,
      // One row per person per role. `position` orders a role's list (0 is the main contact);
      // `joined` is the person's place in the license's contact list, the same on both of their rows.
      `CREATE TABLE ${s}.license_contacts (
        license_id text NOT NULL REFERENCES ${s}.licenses (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('technical', 'billing')),
        email text NOT NULL CHECK (email = lower(email)),
        position integer NOT NULL CHECK (position >= 0),
        joined integer NOT NULL CHECK (joined >= 0),
        name text NOT NULL,
        PRIMARY KEY (license_id, role, email)
      )`,
      // "Licenses of this person": an index-only lookup, already in license id order.
      `CREATE INDEX license_contacts_email_idx ON ${s}.license_contacts (email, license_id)`,
      // A record, kept apart from the live lists: no foreign key, the snapshots as JSON.
      `CREATE TABLE ${s}.audit_entries (
        license_id text NOT NULL,
        version integer NOT NULL,
        at timestamptz NOT NULL,
        actor text,
        staff boolean NOT NULL,
        action text NOT NULL,
        email text,
        role text,
        successor text,
        before jsonb,
        after jsonb NOT NULL,
        PRIMARY KEY (license_id, version)
      )`,
    ],
  },
];

/** The high 32 bits of this library's advisory lock keys ("LC"); the low 32 come from the schema name. */
const LOCK_CLASS = 0x4c43n;

/** A 32-bit FNV-1a hash, for the advisory lock key. */
function lockKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/**
 * Brings the schema up to date: creates it and the migrations table when missing and applies every
 * step not yet recorded, all in one transaction under an advisory lock, so concurrent callers wait
 * for each other and each step runs once.
 */
export async function migrate(db: Queryable, schemaName: string, quoted: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query({
      // The one-bigint form: the most widely implemented among Postgres-compatible engines.
      text: 'SELECT pg_advisory_xact_lock($1::bigint)',
      values: [String((LOCK_CLASS << 32n) | BigInt(lockKey(schemaName) >>> 0))],
    });
    await tx.query({ text: `CREATE SCHEMA IF NOT EXISTS ${quoted}` });
    await tx.query({
      text: `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    });
    const { rows } = await tx.query<{ version: number }>({
      text: `SELECT version FROM ${quoted}.schema_migrations`,
    });
    const applied = new Set(rows.map((row) => Number(row.version)));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const text of migration.statements(quoted)) await tx.query({ text });
      await tx.query({
        text: `INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`,
        values: [migration.version, migration.name],
      });
    }
  });
}
