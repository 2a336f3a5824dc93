import { LicenseContactsError, ROLES } from '@license-contacts/core';
import type {
  AuditEntry,
  Contact,
  ContactsState,
  License,
  LicenseStorage,
  LicenseWrite,
  Page,
  Role,
  StorageAuditQuery,
  StorageCommit,
  StorageListQuery,
} from '@license-contacts/core';
import { migrate } from './migrations';
import { fromPGlite, fromPool, storageError } from './queryable';
import type { PGliteLike, PgPoolLike, Queryable } from './queryable';

/** Where the tables live and how to close the connection; shared by both drivers. */
interface CommonOptions {
  /** The PostgreSQL schema holding the tables; created by `migrate()`. Default `license_contacts`. */
  schema?: string;
}

/** Options of `postgresStorage`: a `pg` pool for a server, or a PGlite instance. */
export type PostgresStorageOptions = CommonOptions &
  ({ pool: PgPoolLike; pglite?: never } | { pglite: PGliteLike; pool?: never });

/** A `LicenseStorage` on PostgreSQL or PGlite, with its schema migrations. */
export interface PostgresStorage extends LicenseStorage {
  /** The schema name the tables live in. */
  readonly schema: string;
  /** Creates or upgrades the tables; idempotent, safe when several processes call it at once. */
  migrate(): Promise<void>;
  /** Ends the pool or closes the PGlite instance the storage was given. */
  close(): Promise<void>;
}

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'license_contacts';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A row of a license joined with one of its contact rows (all contact columns null when it has none). */
interface LicenseRow {
  id: string;
  product: string;
  edition: string | null;
  seats: string | null;
  expires_at: string | null;
  version: number;
  updated_at: string;
  role: Role | null;
  email: string | null;
  position: number | null;
  joined: number | null;
  name: string | null;
}

interface AuditRow {
  license_id: string;
  version: number;
  at: string;
  actor: string | null;
  staff: boolean;
  action: AuditEntry['action'];
  email: string | null;
  role: Role | null;
  successor: string | null;
  before: string | null;
  after: string;
}

/** ISO-8601 in UTC with milliseconds, as `Date#toISOString` writes it, whatever the driver's type parsers. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Builds the licenses of rows ordered by license id, each with its contact rows. */
function assemble(rows: readonly LicenseRow[]): License[] {
  const licenses: License[] = [];
  let current: { row: LicenseRow; contacts: LicenseRow[] } | undefined;
  const flush = () => {
    if (current) licenses.push(toLicense(current.row, current.contacts));
  };
  for (const row of rows) {
    if (current?.row.id !== row.id) {
      flush();
      current = { row, contacts: [] };
    }
    if (row.email !== null) current.contacts.push(row);
  }
  flush();
  return licenses;
}

function toLicense(row: LicenseRow, contactRows: LicenseRow[]): License {
  const people = new Map<string, { joined: number; name: string; roles: Set<Role> }>();
  const byRole: Record<Role, { email: string; position: number }[]> = { technical: [], billing: [] };
  for (const c of contactRows) {
    const email = c.email as string;
    const role = c.role as Role;
    const person = people.get(email) ?? { joined: Number(c.joined), name: c.name as string, roles: new Set<Role>() };
    person.roles.add(role);
    people.set(email, person);
    byRole[role].push({ email, position: Number(c.position) });
  }
  const contacts: Contact[] = [...people.entries()]
    .sort((a, b) => a[1].joined - b[1].joined)
    .map(([email, p]) => ({ email, name: p.name, roles: ROLES.filter((role) => p.roles.has(role)) }));
  const ordered = (role: Role) => byRole[role].sort((a, b) => a.position - b.position).map((c) => c.email);
  const license: License = {
    id: row.id,
    product: row.product,
    contacts,
    technical: ordered('technical'),
    billing: ordered('billing'),
    version: Number(row.version),
    updatedAt: row.updated_at,
  };
  if (row.edition !== null) license.edition = row.edition;
  if (row.seats !== null) license.seats = Number(row.seats);
  if (row.expires_at !== null) license.expiresAt = row.expires_at;
  return license;
}

function toAuditEntry(row: AuditRow): AuditEntry {
  const version = Number(row.version);
  const entry: AuditEntry = {
    id: `${row.license_id}:${version}`,
    licenseId: row.license_id,
    version,
    at: row.at,
    actor: row.actor,
    staff: row.staff,
    action: row.action,
    before: null,
    after: JSON.parse(row.after) as ContactsState,
  };
  if (row.email !== null) entry.email = row.email;
  if (row.role !== null) entry.role = row.role;
  if (row.successor !== null) entry.successor = row.successor;
  entry.before = row.before === null ? null : (JSON.parse(row.before) as ContactsState);
  return entry;
}

/** `LIKE` pattern for a case-insensitive substring: the text lower-cased, its wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
}

/** Numbered statement parameters: `p(value)` appends a value and returns its placeholder. */
function parameters(): { values: unknown[]; p: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, p: (value) => `$${values.push(value)}` };
}

/**
 * Storage on PostgreSQL (through a `pg` pool) or PGlite, with one SQL code path for both. Call
 * `migrate()` once before use.
 * @example
 * const storage = postgresStorage({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) });
 * await storage.migrate();
 * const service = createLicenseContacts({ storage });
 */
export function postgresStorage(options: PostgresStorageOptions): PostgresStorage {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new LicenseContactsError(
      'VALIDATION',
      'schema must be 1–63 letters, digits or underscores, not starting with a digit',
      { field: 'schema' },
    );
  }
  let db: Queryable;
  if (options.pool !== undefined) db = fromPool(options.pool, { close: true });
  else if (options.pglite !== undefined) db = fromPGlite(options.pglite, { close: true });
  else throw new LicenseContactsError('VALIDATION', 'postgresStorage needs a pool or a pglite', { field: 'pool' });

  const s = `"${schema}"`;
  const licenses = `${s}.licenses`;
  const contacts = `${s}.license_contacts`;
  const audit = `${s}.audit_entries`;
  const licenseColumns = `l.id, l.product, l.edition, l.seats::text AS seats, l.expires_at, l.version,
    ${iso('l.updated_at')} AS updated_at, c.role, c.email, c.position, c.joined, c.name`;

  /** Runs `call`, turning every driver failure into the library's error. */
  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storageError(error);
    }
  }

  /** `unnest` of the audit entries' columns, as `alias (version, at, …)`. */
  function auditSource(entries: readonly AuditEntry[], p: (value: unknown) => string, alias: string): string {
    const column = <T>(pick: (entry: AuditEntry) => T) => entries.map(pick);
    return `unnest(
      ${p(column((e) => e.licenseId))}::text[], ${p(column((e) => e.version))}::integer[], ${p(column((e) => e.at))}::text[],
      ${p(column((e) => e.actor))}::text[], ${p(column((e) => e.staff))}::boolean[],
      ${p(column((e) => e.action))}::text[], ${p(column((e) => e.email ?? null))}::text[],
      ${p(column((e) => e.role ?? null))}::text[], ${p(column((e) => e.successor ?? null))}::text[],
      ${p(column((e) => (e.before === null ? null : JSON.stringify(e.before))))}::text[],
      ${p(column((e) => JSON.stringify(e.after)))}::text[]
    ) AS ${alias} (license_id, version, at, actor, staff, action, email, role, successor, before, after)`;
  }

  const auditColumns = 'license_id, version, at, actor, staff, action, email, role, successor, before, after';
  const auditValues = (alias: string) =>
    `${alias}.version, ${alias}.at::timestamptz, ${alias}.actor, ${alias}.staff, ${alias}.action, ${alias}.email,
     ${alias}.role, ${alias}.successor, ${alias}.before::jsonb, ${alias}.after::jsonb`;

  /**
   * One statement writing one license: the compare-and-set of its row (an update guarded by the
   * version read, or an insert that does nothing when the id exists), the difference of its contact
   * rows, and its audit entries. Every part hangs off the license row it wrote, so nothing is written
   * when the compare-and-set fails; the statement answers how many license rows it wrote (0 or 1).
   */
  function writeStatement(write: LicenseWrite, entries: readonly AuditEntry[]): { text: string; values: unknown[] } {
    const { license, expectedVersion } = write;
    const { values, p } = parameters();
    const id = p(license.id);
    const fields = [
      p(license.product),
      p(license.edition ?? null),
      p(license.seats ?? null),
      p(license.expiresAt ?? null),
      p(license.version),
      `${p(license.updatedAt)}::timestamptz`,
    ];
    const row =
      expectedVersion === null
        ? `INSERT INTO ${licenses} (id, product, edition, seats, expires_at, version, updated_at)
           VALUES (${id}, ${fields.join(', ')}) ON CONFLICT (id) DO NOTHING RETURNING id`
        : `UPDATE ${licenses} SET (product, edition, seats, expires_at, version, updated_at) = (${fields.join(', ')})
           WHERE id = ${id} AND version = ${p(expectedVersion)} RETURNING id`;

    const joined = new Map(license.contacts.map((contact, index) => [contact.email, index]));
    const nameOf = new Map(license.contacts.map((contact) => [contact.email, contact.name]));
    const rows = ROLES.flatMap((role) =>
      license[role].map((email, position) => ({ role, email, position, joined: joined.get(email) ?? 0 })),
    );
    const contactRows = `unnest(${p(rows.map((r) => r.role))}::text[], ${p(rows.map((r) => r.email))}::text[],
      ${p(rows.map((r) => r.position))}::integer[], ${p(rows.map((r) => r.joined))}::integer[],
      ${p(rows.map((r) => nameOf.get(r.email) ?? r.email))}::text[]) AS c (role, email, position, joined, name)`;

    const parts = [`l AS (${row})`, `c AS (SELECT * FROM ${contactRows})`];
    if (expectedVersion !== null) {
      parts.push(`d AS (DELETE FROM ${contacts} x USING l WHERE x.license_id = l.id
        AND NOT EXISTS (SELECT 1 FROM c WHERE c.role = x.role AND c.email = x.email))`);
    }
    parts.push(`u AS (INSERT INTO ${contacts} AS x (license_id, role, email, position, joined, name)
      SELECT l.id, c.role, c.email, c.position, c.joined, c.name FROM l CROSS JOIN c
      ON CONFLICT (license_id, role, email) DO UPDATE SET position = excluded.position, joined = excluded.joined,
        name = excluded.name
      WHERE (x.position, x.joined, x.name) IS DISTINCT FROM (excluded.position, excluded.joined, excluded.name))`);
    if (entries.length > 0) {
      parts.push(`a AS (INSERT INTO ${audit} (${auditColumns})
        SELECT l.id, ${auditValues('e')} FROM l CROSS JOIN ${auditSource(entries, p, 'e')})`);
    }
    return { text: `WITH ${parts.join(',\n')}\nSELECT count(*)::integer AS n FROM l`, values };
  }

  /** Audit entries of licenses the commit does not write (allowed by the contract, unusual). */
  function looseAuditStatement(entries: readonly AuditEntry[]): { text: string; values: unknown[] } {
    const { values, p } = parameters();
    return {
      text: `INSERT INTO ${audit} (${auditColumns}) SELECT e.license_id, ${auditValues('e')} FROM ${auditSource(entries, p, 'e')}`,
      values,
    };
  }

  function conflict(id: string): LicenseContactsError {
    return new LicenseContactsError('CONFLICT', `License ${id} was changed by someone else`);
  }

  return {
    schema,

    migrate: () => guarded(() => migrate(db, schema, s)),

    close: () => guarded(() => db.close()),

    getLicense: (id) =>
      guarded(async () => {
        const { rows } = await db.query<LicenseRow>(
          `SELECT ${licenseColumns} FROM ${licenses} l LEFT JOIN ${contacts} c ON c.license_id = l.id WHERE l.id = $1`,
          [id],
        );
        return assemble(rows)[0] ?? null;
      }),

    listLicenses: (query: StorageListQuery) =>
      guarded(async (): Promise<Page<License>> => {
        const { values, p } = parameters();
        const where: string[] = [];
        if (query.email !== undefined) {
          where.push(`l.id IN (SELECT m.license_id FROM ${contacts} m WHERE m.email = ${p(query.email.toLowerCase())})`);
        }
        if (query.after !== undefined) where.push(`l.id > ${p(query.after)}`);
        if (query.query !== undefined) {
          const like = p(containsPattern(query.query));
          where.push(`(lower(l.id) LIKE ${like} OR lower(l.product) LIKE ${like} OR EXISTS (
            SELECT 1 FROM ${contacts} q WHERE q.license_id = l.id AND (q.email LIKE ${like} OR lower(q.name) LIKE ${like})))`);
        }
        const limit = p(query.limit + 1);
        // The page and its contact rows in one statement: one round trip, one snapshot, no N+1.
        const { rows } = await db.query<LicenseRow>(
          `WITH page AS (
             SELECT l.* FROM ${licenses} l ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY l.id LIMIT ${limit}
           )
           SELECT ${licenseColumns} FROM page l LEFT JOIN ${contacts} c ON c.license_id = l.id ORDER BY l.id`,
          values,
        );
        const items = assemble(rows);
        if (items.length <= query.limit) return { items };
        items.length = query.limit;
        return { items, nextCursor: (items.at(-1) as License).id };
      }),

    commit: (batch: StorageCommit) =>
      guarded(async () => {
        const ids = new Set(batch.writes.map((w) => w.license.id));
        if (ids.size !== batch.writes.length) {
          throw new LicenseContactsError('CONFLICT', 'A commit may write each license once');
        }
        // Rows are locked in id order, so two commits over the same licenses cannot deadlock.
        const writes = [...batch.writes].sort((a, b) => (a.license.id < b.license.id ? -1 : 1));
        const loose = batch.audit.filter((e) => !ids.has(e.licenseId));
        const statements = writes.map((write) => ({
          id: write.license.id,
          ...writeStatement(
            write,
            batch.audit.filter((e) => e.licenseId === write.license.id),
          ),
        }));
        const run = async (on: Queryable) => {
          for (const statement of statements) {
            const { rows } = await on.query<{ n: number }>(statement.text, statement.values);
            if (Number(rows[0]?.n ?? 0) !== 1) throw conflict(statement.id);
          }
          if (loose.length > 0) {
            const statement = looseAuditStatement(loose);
            await on.query(statement.text, statement.values);
          }
        };
        // A single statement is a transaction of its own: one round trip for the common case.
        if (statements.length + (loose.length > 0 ? 1 : 0) <= 1) await run(db);
        else await db.transaction(run);
      }),

    listAudit: (licenseId: string, query: StorageAuditQuery) =>
      guarded(async (): Promise<Page<AuditEntry>> => {
        const { values, p } = parameters();
        const before = query.beforeVersion === undefined ? '' : `AND version < ${p(query.beforeVersion)}`;
        const { rows } = await db.query<AuditRow>(
          `SELECT license_id, version, ${iso('at')} AS at, actor, staff, action, email, role, successor,
             before::text AS before, after::text AS after
           FROM ${audit} WHERE license_id = ${p(licenseId)} ${before}
           ORDER BY version DESC LIMIT ${p(query.limit + 1)}`,
          values,
        );
        const items = rows.map(toAuditEntry);
        if (items.length <= query.limit) return { items };
        items.length = query.limit;
        return { items, nextCursor: String((items.at(-1) as AuditEntry).version) };
      }),
  };
}
