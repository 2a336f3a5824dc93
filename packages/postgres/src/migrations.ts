import type { ContactsState } from '@license-contacts/core';
import { diffContacts } from '@license-contacts/core';
import type { Queryable } from './queryable';

/** One step of the schema, applied once, in order, inside the migration transaction. */
export interface Migration {
  version: number;
  name: string;
  /** Single statements (no multi-statement strings: PGlite's extended protocol refuses them). */
  statements: (schema: string) => string[];
  /** Work that needs more than statements (rewriting rows), run after them in the same transaction. */
  run?: (tx: Queryable, schema: string) => Promise<void>;
}

/** Rows converted per statement when a migration rewrites existing entries. */
const BATCH = 500;

/**
 * Version 2, the change feed: every entry gets its `seq` (in the order the entries were written: by
 * time, each license's versions in order) and its `changes` instead of two whole copies of the
 * contacts, and the stretches each person was a contact of a license are recorded. Nothing is lost:
 * `before` and `after` go only once every entry holds what they differ by.
 */
async function changeFeed(tx: Queryable, s: string): Promise<void> {
  await tx.query({
    text: `UPDATE ${s}.audit_entries a SET seq = o.n FROM (
      SELECT license_id, version, row_number() OVER (ORDER BY at, license_id, version) AS n FROM (
        SELECT license_id, version, max(at) OVER (PARTITION BY license_id ORDER BY version) AS at
        FROM ${s}.audit_entries) ordered) o
      WHERE a.license_id = o.license_id AND a.version = o.version`,
  });
  const open = new Map<string, { email: string; licenseId: string; from: string }>();
  const stretches: { email: string; licenseId: string; from: string; to: string | null }[] = [];
  for (let after = '0'; ; ) {
    const { rows } = await tx.query<{
      seq: string;
      license_id: string;
      before: string | null;
      after: string;
    }>({
      text: `SELECT seq::text AS seq, license_id, before::text AS before, after::text AS after
        FROM ${s}.audit_entries WHERE seq > $1::bigint ORDER BY seq LIMIT ${BATCH}`,
      values: [after],
    });
    if (rows.length === 0) break;
    const changes = rows.map((row) => {
      const items = diffContacts(
        row.before === null ? null : (JSON.parse(row.before) as ContactsState),
        JSON.parse(row.after) as ContactsState,
      );
      for (const item of items) {
        const key = `${item.email} ${row.license_id}`;
        if (item.before === null && item.after !== null) {
          open.set(key, { email: item.email, licenseId: row.license_id, from: row.seq });
        } else if (item.before !== null && item.after === null) {
          const stretch = open.get(key);
          if (stretch) stretches.push({ ...stretch, to: row.seq });
          open.delete(key);
        }
      }
      return JSON.stringify(items);
    });
    await tx.query({
      text: `UPDATE ${s}.audit_entries a SET changes = u.changes::json
        FROM unnest($1::bigint[], $2::text[]) AS u (seq, changes) WHERE a.seq = u.seq`,
      values: [rows.map((row) => row.seq), changes],
    });
    after = (rows.at(-1) as { seq: string }).seq;
  }
  for (const stretch of open.values()) stretches.push({ ...stretch, to: null });
  for (let i = 0; i < stretches.length; i += BATCH) {
    const batch = stretches.slice(i, i + BATCH);
    await tx.query({
      text: `INSERT INTO ${s}.license_memberships (email, license_id, from_seq, to_seq)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`,
      values: [
        batch.map((m) => m.email),
        batch.map((m) => m.licenseId),
        batch.map((m) => m.from),
        batch.map((m) => m.to),
      ],
    });
  }
  for (const text of [
    `ALTER TABLE ${s}.audit_entries ALTER COLUMN seq SET NOT NULL, ALTER COLUMN changes SET NOT NULL,
      DROP COLUMN before, DROP COLUMN after`,
    `CREATE UNIQUE INDEX audit_entries_seq_idx ON ${s}.audit_entries (seq)`,
    // The entries of one license in a stretch of the feed: the feed of one person.
    `CREATE INDEX audit_entries_license_seq_idx ON ${s}.audit_entries (license_id, seq)`,
    `INSERT INTO ${s}.feed_position (id, seq) SELECT true, COALESCE(max(seq), 0) FROM ${s}.audit_entries`,
    // Contacts whose joining no entry records (history written elsewhere) count from the start.
    `INSERT INTO ${s}.license_memberships (email, license_id, from_seq)
      SELECT DISTINCT c.email, c.license_id, 0::bigint FROM ${s}.license_contacts c
      WHERE NOT EXISTS (SELECT 1 FROM ${s}.license_memberships m
        WHERE m.email = c.email AND m.license_id = c.license_id AND m.to_seq IS NULL)`,
  ]) {
    await tx.query({ text });
  }
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
  {
    version: 2,
    name: 'change feed: seq and changes of entries, the feed position, contacts over time',
    statements: (s) => [
      // One row: the last seq taken. Commits lock it last and hold it until they end (the outbox order).
      `CREATE TABLE ${s}.feed_position (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        seq bigint NOT NULL CHECK (seq >= 0)
      )`,
      `ALTER TABLE ${s}.audit_entries ADD COLUMN seq bigint, ADD COLUMN changes json`,
      // Each stretch of time a person was a contact of a license, from the entry adding them to the
      // entry removing them (null: still a contact), in seqs.
      `CREATE TABLE ${s}.license_memberships (
        email text NOT NULL,
        license_id text NOT NULL,
        from_seq bigint NOT NULL,
        to_seq bigint,
        PRIMARY KEY (email, license_id, from_seq)
      )`,
    ],
    run: changeFeed,
  },
  {
    version: 3,
    name: 'feed worker cursors with leases',
    statements: (s) => [
      // One row per feed worker: the seq of the last entry it finished, and who holds it until when.
      `CREATE TABLE ${s}.feed_cursors (
        name text PRIMARY KEY,
        cursor bigint,
        holder text,
        expires_at timestamptz
      )`,
    ],
  },
  {
    version: 4,
    name: 'idempotency keys shared by every instance',
    statements: (s) => [
      // One row per actor and key: while `response` is null the first request is still running.
      `CREATE TABLE ${s}.idempotency_keys (
        actor text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        response json,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (actor, key)
      )`,
      `CREATE INDEX idempotency_keys_expires_idx ON ${s}.idempotency_keys (expires_at)`,
    ],
  },
  {
    version: 5,
    name: 'licenses read under their row locks in one round trip',
    statements: (s) => [
      // Locks the licenses' rows in id order (those `contact` is a contact of, when given), then reads
      // them whole. In a volatile function each statement takes a new snapshot, so the read sees
      // what the writers it waited for committed: a lock and a fresh read in one statement.
      `CREATE FUNCTION ${s}.locked_licenses(ids text[], contact text)
        RETURNS TABLE (id text, product text, edition text, seats text, expires_at text, version integer,
          updated_at text, role text, email text, "position" integer, joined integer, name text)
        LANGUAGE plpgsql VOLATILE AS $$
        #variable_conflict use_column
        BEGIN
          PERFORM 1 FROM ${s}.licenses l WHERE l.id = ANY(ids) AND (contact IS NULL OR EXISTS (
            SELECT 1 FROM ${s}.license_contacts m WHERE m.email = contact AND m.license_id = l.id))
            ORDER BY l.id FOR UPDATE;
          RETURN QUERY SELECT l.id, l.product, l.edition, l.seats::text, l.expires_at, l.version,
            to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            c.role, c.email, c.position, c.joined, c.name
            FROM ${s}.licenses l LEFT JOIN ${s}.license_contacts c ON c.license_id = l.id
            WHERE l.id = ANY(ids) AND (contact IS NULL OR EXISTS (
              SELECT 1 FROM ${s}.license_contacts m WHERE m.email = contact AND m.license_id = l.id))
            ORDER BY l.id;
        END
        $$`,
    ],
  },
  {
    version: 6,
    name: 'consent: invitations and transfer requests, bouncing addresses',
    statements: (s) => [
      // One row per request; `expired` is read from `expires_at`, never stored.
      `CREATE TABLE ${s}.requests (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('invitation', 'transfer')),
        license_id text NOT NULL,
        product text NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        roles text[] NOT NULL,
        requested_by text NOT NULL,
        decided_by text[] NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
        current_main text,
        closed_by text,
        closed_at timestamptz,
        version integer NOT NULL CHECK (version > 0)
      )`,
      `CREATE INDEX requests_license_idx ON ${s}.requests (license_id, id)`,
      `CREATE INDEX requests_email_idx ON ${s}.requests (email, id)`,
      `CREATE INDEX requests_requested_by_idx ON ${s}.requests (requested_by, id)`,
      `CREATE INDEX requests_decided_by_idx ON ${s}.requests USING gin (decided_by)`,
      `CREATE TABLE ${s}.addresses (
        email text PRIMARY KEY,
        bounces integer NOT NULL CHECK (bounces >= 0),
        permanent boolean NOT NULL,
        reason text,
        bounced_at timestamptz,
        confirmed_at timestamptz,
        version integer NOT NULL CHECK (version > 0)
      )`,
      // The requests an entry opened, decided or cancelled, as they stood after it.
      `ALTER TABLE ${s}.audit_entries ADD COLUMN requests json`,
    ],
  },
  {
    version: 7,
    name: 'licenses read under their row locks as one row each',
    statements: (s) => [
      // As locked_licenses (migration 5), but one row per license. `known_ids` and `known_versions`
      // give the versions the caller has: when every entry since it is there (at most 64), the row brings those
      // entries' changes (a JSON array of their `changes`, oldest first) and no contact rows; otherwise
      // its contact rows as one JSON text ([role, email, position, joined, name], by joined).
      `CREATE FUNCTION ${s}.locked_license_rows(ids text[], contact text, known_ids text[], known_versions integer[])
        RETURNS TABLE (id text, product text, edition text, seats text, expires_at text, version integer,
          updated_at text, since integer, changes text, contacts text)
        LANGUAGE plpgsql VOLATILE AS $$
        #variable_conflict use_column
        BEGIN
          PERFORM 1 FROM ${s}.licenses l WHERE l.id = ANY(ids) AND (contact IS NULL OR EXISTS (
            SELECT 1 FROM ${s}.license_contacts m WHERE m.email = contact AND m.license_id = l.id))
            ORDER BY l.id FOR UPDATE;
          RETURN QUERY SELECT l.id, l.product, l.edition, l.seats::text, l.expires_at, l.version,
            to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            k.v, d.changes,
            CASE WHEN d.changes IS NULL THEN (
              SELECT json_agg(json_build_array(c.role, c.email, c.position, c.joined, c.name)
                  ORDER BY c.joined, c.email, c.role)::text
                FROM ${s}.license_contacts c WHERE c.license_id = l.id) END
            FROM ${s}.licenses l
            LEFT JOIN unnest(known_ids, known_versions) AS k (id, v) ON k.id = l.id
            LEFT JOIN LATERAL (
              SELECT coalesce(json_agg(a.changes ORDER BY a.version), '[]'::json)::text AS changes
                FROM ${s}.audit_entries a
                WHERE a.license_id = l.id AND a.version > k.v
                HAVING count(*) = l.version - k.v
            ) d ON k.v IS NOT NULL AND l.version - k.v BETWEEN 0 AND 64
            WHERE l.id = ANY(ids) AND (contact IS NULL OR EXISTS (
              SELECT 1 FROM ${s}.license_contacts m WHERE m.email = contact AND m.license_id = l.id))
            ORDER BY l.id;
        END
        $$`,
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
export async function migrate(
  db: Queryable,
  schemaName: string,
  quoted: string,
  target = Number.POSITIVE_INFINITY,
): Promise<void> {
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
      if (applied.has(migration.version) || migration.version > target) continue;
      for (const text of migration.statements(quoted)) await tx.query({ text });
      await migration.run?.(tx, quoted);
      await tx.query({
        text: `INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`,
        values: [migration.version, migration.name],
      });
    }
  });
}
