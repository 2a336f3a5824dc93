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
  StorageGetOptions,
  StorageListQuery,
} from '@license-contacts/core';
import { LicenseContactsError, ROLES } from '@license-contacts/core';
import { migrate } from './migrations';
import type { PGliteLike, PgPoolLike, Queryable, Statement } from './queryable';
import { fromPGlite, fromPool, storageError } from './queryable';

/** Options shared by both drivers. */
interface CommonOptions {
  /** The PostgreSQL schema holding the tables; created by `migrate()`. Default `license_contacts`. */
  schema?: string;
  /**
   * Prepare statements once per connection (pg only; PGlite ignores it). Default true; set false
   * behind a pooler that does not keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  prepare?: boolean;
  /**
   * How many licenses' last seen contact rows to keep, so a write changes only the rows that differ
   * (0: always rewrite a license's rows by comparison in SQL). Default 1000.
   */
  knownVersions?: number;
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
    const person = people.get(email) ?? {
      joined: Number(c.joined),
      name: c.name as string,
      roles: new Set<Role>(),
    };
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

/** One contact row as stored: a person in one role's list. */
interface ContactRow {
  role: Role;
  email: string;
  /** Place in the role's list; 0 is the main contact. */
  position: number;
  /** The person's place in the license's contact list. */
  joined: number;
  name: string;
}

/** The contact rows of a license, one per person per role. */
function rowsOf(license: Pick<License, 'contacts' | Role>): ContactRow[] {
  const people = new Map(
    license.contacts.map((contact, joined) => [contact.email, { joined, name: contact.name }]),
  );
  return ROLES.flatMap((role) =>
    license[role].map((email, position) => {
      const person = people.get(email);
      return { role, email, position, joined: person?.joined ?? 0, name: person?.name ?? email };
    }),
  );
}

const rowKey = (row: Pick<ContactRow, 'role' | 'email'>) => `${row.role} ${row.email}`;

/** The contact rows of a license version the storage has read or written. */
interface KnownVersion {
  version: number;
  updatedAt: string;
  rows: ContactRow[];
}

/**
 * Contact rows of recently read or written license versions, so a write can change only the rows that
 * differ. Only one commit can produce a given version of a license, so a version's rows never change:
 * a write uses them only when it expects exactly that version (and its `updated_at`), and its
 * compare-and-set proves they are still the stored ones.
 */
class KnownVersions {
  private readonly versions = new Map<string, KnownVersion>();

  constructor(private readonly capacity: number) {}

  remember(license: License): void {
    if (this.capacity <= 0) return;
    this.versions.delete(license.id);
    this.versions.set(license.id, {
      version: license.version,
      updatedAt: license.updatedAt,
      rows: rowsOf(license),
    });
    if (this.versions.size > this.capacity) this.versions.delete(this.versions.keys().next().value as string);
  }

  get(id: string, version: number): KnownVersion | undefined {
    const known = this.versions.get(id);
    return known?.version === version ? known : undefined;
  }

  forget(id: string): void {
    this.versions.delete(id);
  }
}

/** A short stable name for a statement text, to prepare it once per connection. */
function statementName(text: string): string {
  // cyrb53: a 53-bit string hash, plenty for the few dozen statement shapes of one schema.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `lc_${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

/** A statement with its prepared-statement name. */
function named(text: string, values: unknown[]): Statement {
  return { text, values, name: statementName(text) };
}

/**
 * Rows as a derived table `alias (columns…)`: scalar parameters for one row (cheapest to plan), one
 * array parameter per column through `unnest` for more.
 */
function rowSource<T>(
  rows: readonly T[],
  columns: readonly [name: string, type: string, pick: (row: T) => unknown][],
  p: (value: unknown) => string,
  alias: string,
): string {
  if (rows.length === 1) {
    const row = rows[0] as T;
    return `(SELECT ${columns.map(([name, type, pick]) => `${p(pick(row))}::${type} AS ${name}`).join(', ')}) AS ${alias}`;
  }
  const arrays = columns.map(([, type, pick]) => `${p(rows.map(pick))}::${type}[]`);
  return `unnest(${arrays.join(', ')}) AS ${alias} (${columns.map(([name]) => name).join(', ')})`;
}

const CONTACT_COLUMNS: readonly [string, string, (row: ContactRow) => unknown][] = [
  ['role', 'text', (r) => r.role],
  ['email', 'text', (r) => r.email],
  ['position', 'integer', (r) => r.position],
  ['joined', 'integer', (r) => r.joined],
  ['name', 'text', (r) => r.name],
];

const AUDIT_COLUMNS: readonly [string, string, (entry: AuditEntry) => unknown][] = [
  ['license_id', 'text', (e) => e.licenseId],
  ['version', 'integer', (e) => e.version],
  ['at', 'text', (e) => e.at],
  ['actor', 'text', (e) => e.actor],
  ['staff', 'boolean', (e) => e.staff],
  ['action', 'text', (e) => e.action],
  ['email', 'text', (e) => e.email ?? null],
  ['role', 'text', (e) => e.role ?? null],
  ['successor', 'text', (e) => e.successor ?? null],
  // Sent as text and cast in SQL, so every driver's parameter serializers treat them alike.
  ['before', 'text', (e) => (e.before === null ? null : JSON.stringify(e.before))],
  ['after', 'text', (e) => JSON.stringify(e.after)],
];

/** The audit columns as inserted from a row source `alias`, the license id aside. */
const auditValues = (alias: string) =>
  `${alias}.version, ${alias}.at::timestamptz, ${alias}.actor, ${alias}.staff, ${alias}.action, ${alias}.email, ` +
  `${alias}.role, ${alias}.successor, ${alias}.before::jsonb, ${alias}.after::jsonb`;

const AUDIT_COLUMN_LIST = AUDIT_COLUMNS.map(([name]) => name).join(', ');
const CONTACT_COLUMN_LIST = CONTACT_COLUMNS.map(([name]) => name).join(', ');

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
  if (options.pool !== undefined)
    db = fromPool(options.pool, { close: true, prepare: options.prepare ?? true });
  else if (options.pglite !== undefined) db = fromPGlite(options.pglite, { close: true });
  else
    throw new LicenseContactsError('VALIDATION', 'postgresStorage needs a pool or a pglite', {
      field: 'pool',
    });
  const known = new KnownVersions(options.knownVersions ?? 1000);

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

  /** Licenses read from rows, remembered as known versions. */
  function read(rows: readonly LicenseRow[]): License[] {
    const found = assemble(rows);
    for (const license of found) known.remember(license);
    return found;
  }

  /**
   * One statement writing one license: the compare-and-set of its row (an update guarded by the
   * version read, or an insert that does nothing when the id exists), its contact rows, and its audit
   * entries. Every part hangs off the license row it wrote, so nothing is written when the
   * compare-and-set fails; the statement answers how many license rows it wrote (0 or 1).
   *
   * Contact rows: all inserted for a new license; for a known previous version only the rows that
   * differ are deleted, inserted or updated; otherwise SQL compares the stored rows with the new ones.
   */
  function writeStatement(write: LicenseWrite, entries: readonly AuditEntry[]): Statement {
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
    const rows = rowsOf(license);
    const previous = expectedVersion === null ? undefined : known.get(license.id, expectedVersion);
    const parts: string[] = [];
    const insertRows = (name: string, inserted: readonly ContactRow[]) =>
      parts.push(`${name} AS (INSERT INTO ${contacts} (license_id, ${CONTACT_COLUMN_LIST})
        SELECT l.id, c.* FROM l CROSS JOIN ${rowSource(inserted, CONTACT_COLUMNS, p, 'c')})`);

    if (expectedVersion === null) {
      parts.push(`l AS (INSERT INTO ${licenses} (id, product, edition, seats, expires_at, version, updated_at)
        VALUES (${id}, ${fields.join(', ')}) ON CONFLICT (id) DO NOTHING RETURNING id)`);
      insertRows('i', rows);
    } else {
      const guard = previous ? ` AND updated_at = ${p(previous.updatedAt)}::timestamptz` : '';
      parts.push(`l AS (UPDATE ${licenses} SET (product, edition, seats, expires_at, version, updated_at) =
        (${fields.join(', ')}) WHERE id = ${id} AND version = ${p(expectedVersion)}${guard} RETURNING id)`);
      if (previous) {
        const before = new Map(previous.rows.map((row) => [rowKey(row), row]));
        const after = new Set(rows.map(rowKey));
        const deleted = previous.rows.filter((row) => !after.has(rowKey(row)));
        const inserted = rows.filter((row) => !before.has(rowKey(row)));
        const changed = rows.filter((row) => {
          const old = before.get(rowKey(row));
          return (
            old !== undefined &&
            (old.position !== row.position || old.joined !== row.joined || old.name !== row.name)
          );
        });
        if (deleted.length > 0) {
          parts.push(`d AS (DELETE FROM ${contacts} x USING l, ${rowSource(deleted, CONTACT_COLUMNS.slice(0, 2), p, 'c')}
            WHERE x.license_id = l.id AND x.role = c.role AND x.email = c.email)`);
        }
        if (inserted.length > 0) insertRows('i', inserted);
        if (changed.length > 0) {
          parts.push(`m AS (UPDATE ${contacts} x SET position = c.position, joined = c.joined, name = c.name
            FROM l, ${rowSource(changed, CONTACT_COLUMNS, p, 'c')}
            WHERE x.license_id = l.id AND x.role = c.role AND x.email = c.email)`);
        }
      } else {
        parts.push(`c AS (SELECT * FROM ${rowSource(rows, CONTACT_COLUMNS, p, 'r')})`);
        parts.push(`d AS (DELETE FROM ${contacts} x USING l WHERE x.license_id = l.id
          AND NOT EXISTS (SELECT 1 FROM c WHERE c.role = x.role AND c.email = x.email))`);
        parts.push(`u AS (INSERT INTO ${contacts} AS x (license_id, ${CONTACT_COLUMN_LIST})
          SELECT l.id, c.* FROM l CROSS JOIN c
          ON CONFLICT (license_id, role, email) DO UPDATE SET position = excluded.position, joined = excluded.joined,
            name = excluded.name
          WHERE (x.position, x.joined, x.name) IS DISTINCT FROM (excluded.position, excluded.joined, excluded.name))`);
      }
    }
    if (entries.length > 0) {
      parts.push(`a AS (INSERT INTO ${audit} (${AUDIT_COLUMN_LIST})
        SELECT l.id, ${auditValues('e')} FROM l CROSS JOIN ${rowSource(entries, AUDIT_COLUMNS, p, 'e')})`);
    }
    return named(`WITH ${parts.join(',\n')}\nSELECT count(*)::integer AS n FROM l`, values);
  }

  /** Audit entries of licenses the commit does not write (allowed by the contract, unusual). */
  function looseAuditStatement(entries: readonly AuditEntry[]): Statement {
    const { values, p } = parameters();
    return named(
      `INSERT INTO ${audit} (${AUDIT_COLUMN_LIST})
       SELECT e.license_id, ${auditValues('e')} FROM ${rowSource(entries, AUDIT_COLUMNS, p, 'e')}`,
      values,
    );
  }

  function conflict(id: string): LicenseContactsError {
    return new LicenseContactsError('CONFLICT', `License ${id} was changed by someone else`);
  }

  return {
    schema,

    migrate: () => guarded(() => migrate(db, schema, s)),

    close: () => guarded(() => db.close()),

    getLicense: (id, options?: StorageGetOptions) =>
      guarded(async () => {
        const contact = options?.ifContact;
        // The email index decides first: for anyone else the license rows are never read.
        const only =
          contact === undefined
            ? ''
            : ` AND EXISTS (SELECT 1 FROM ${contacts} m WHERE m.email = $2 AND m.license_id = $1)`;
        const { rows } = await db.query<LicenseRow>(
          named(
            `SELECT ${licenseColumns} FROM ${licenses} l LEFT JOIN ${contacts} c ON c.license_id = l.id WHERE l.id = $1${only}`,
            contact === undefined ? [id] : [id, contact],
          ),
        );
        return read(rows)[0] ?? null;
      }),

    listLicenses: (query: StorageListQuery) =>
      guarded(async (): Promise<Page<License>> => {
        const { values, p } = parameters();
        const where: string[] = [];
        if (query.email !== undefined) {
          where.push(
            `l.id IN (SELECT m.license_id FROM ${contacts} m WHERE m.email = ${p(query.email.toLowerCase())})`,
          );
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
          named(
            `WITH page AS (
               SELECT l.* FROM ${licenses} l ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
               ORDER BY l.id LIMIT ${limit}
             )
             SELECT ${licenseColumns} FROM page l LEFT JOIN ${contacts} c ON c.license_id = l.id ORDER BY l.id`,
            values,
          ),
        );
        const items = read(rows);
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
          statement: writeStatement(
            write,
            batch.audit.filter((e) => e.licenseId === write.license.id),
          ),
        }));
        const run = async (on: Queryable) => {
          for (const { id, statement } of statements) {
            const { rows } = await on.query<{ n: number }>(statement);
            if (Number(rows[0]?.n ?? 0) !== 1) throw conflict(id);
          }
          if (loose.length > 0) await on.query(looseAuditStatement(loose));
        };
        try {
          // A single statement is a transaction of its own: one round trip for the common case.
          if (statements.length + (loose.length > 0 ? 1 : 0) <= 1) await run(db);
          else await db.transaction(run);
        } catch (error) {
          // Whatever happened, the next write of these licenses compares rows in SQL after a fresh read.
          for (const id of ids) known.forget(id);
          throw error;
        }
        for (const write of writes) known.remember(write.license);
      }),

    listAudit: (licenseId: string, query: StorageAuditQuery) =>
      guarded(async (): Promise<Page<AuditEntry>> => {
        const { values, p } = parameters();
        const before = query.beforeVersion === undefined ? '' : `AND version < ${p(query.beforeVersion)}`;
        const { rows } = await db.query<AuditRow>(
          named(
            `SELECT license_id, version, ${iso('at')} AS at, actor, staff, action, email, role, successor,
               before::text AS before, after::text AS after
             FROM ${audit} WHERE license_id = ${p(licenseId)} ${before}
             ORDER BY version DESC LIMIT ${p(query.limit + 1)}`,
            values,
          ),
        );
        const items = rows.map(toAuditEntry);
        if (items.length <= query.limit) return { items };
        items.length = query.limit;
        return { items, nextCursor: String((items.at(-1) as AuditEntry).version) };
      }),
  };
}
