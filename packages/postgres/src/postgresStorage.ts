import type {
  AddressWrite,
  AuditEntry,
  Contact,
  ContactChange,
  ContactsState,
  FeedCursor,
  IdempotencyClaim,
  KeptResponse,
  License,
  LicenseStorage,
  LicenseWrite,
  LockedWork,
  NewAuditEntry,
  Page,
  RequestSummary,
  RequestWrite,
  Role,
  StorageAuditQuery,
  StorageChangesQuery,
  StorageCommit,
  StorageGetOptions,
  StorageListQuery,
  StorageRequestQuery,
  StorageWatch,
  StorageWatchOptions,
  StoredAddress,
  StoredRequest,
} from '@license-contacts/core';
import { applyChanges, formatSeq, LicenseContactsError, ROLES } from '@license-contacts/core';
import type { ContactRow } from './contactRows';
import { rowChanges, rowsOf } from './contactRows';
import { migrate } from './migrations';
import type { PGliteLike, PgClientLike, PgPoolLike, Queryable, Statement } from './queryable';
import { fromPGlite, fromPool, storageError } from './queryable';

/** Options shared by both drivers. */
interface CommonOptions {
  /** The PostgreSQL schema holding the tables; created by `migrate()`. Default `license_contacts`. */
  schema?: string;
  /**
   * Prepare statements once: per connection with pg, per instance with PGlite (`PREPARE`, then
   * `EXECUTE`); with pg, transactions then send `BEGIN` and `COMMIT` with their prepared statements,
   * on generic plans. Default true; set false behind PgBouncer or another pooler.
   */
  prepare?: boolean;
  /**
   * How many licenses' last seen versions to keep, so a write changes only the rows that differ and a
   * read under the row lock brings only the changes since (0: always rewrite a license's rows by
   * comparison in SQL, and read them whole). Default 1000.
   */
  knownVersions?: number;
  /**
   * Where `watch` holds its `LISTEN` connection (one, for as long as it watches): a pool that
   * reaches PostgreSQL directly. Default: `pool`. Behind a transaction-mode pooler (PgBouncer), pass
   * a pool of direct connections here: `LISTEN` does not work through such a pooler.
   */
  listenPool?: PgPoolLike;
  /**
   * A watch reads the feed at most once per this many milliseconds: commits notified meanwhile come
   * in one read, so a busy feed costs each watching instance tens of reads a second, not one per
   * commit; while such a burst lasts a server's watch stops listening and reads every this many
   * milliseconds, until a read finds nothing. Adds at most this much to the time an entry takes to
   * arrive. Default 10; 0 reads on every notification.
   */
  watchGapMs?: number;
}

/** A watch's hold on the feed's channel: `pause` and `resume` stop and restart its notifications. */
interface Listening {
  stop(): Promise<void>;
  pause?(): Promise<void>;
  resume?(): Promise<void>;
}

/** Options of `postgresStorage`: a `pg` pool for a server, or a PGlite instance. */
export type PostgresStorageOptions = CommonOptions &
  ({ pool: PgPoolLike; pglite?: never } | { pglite: PGliteLike; pool?: never });

/** A `LicenseStorage` on PostgreSQL or PGlite, with its schema migrations. */
export interface PostgresStorage extends LicenseStorage {
  /** The schema name the tables live in. */
  readonly schema: string;
  /**
   * Creates or upgrades the tables; idempotent, safe when several processes call it at once. `to`
   * stops at that version of `MIGRATIONS` (default: the newest).
   */
  migrate(options?: { to?: number }): Promise<void>;
  /** Stops its running watches, then ends the pool or closes the PGlite instance the storage was given. */
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

/** The columns of a license row itself, without a contact row's. */
type LicenseFields = Omit<LicenseRow, 'role' | 'email' | 'position' | 'joined' | 'name'>;

/** A license row as `locked_license_rows` (migration 7) reads it: one per license. */
interface LicenseDocumentRow extends LicenseFields {
  /** The version known to the reader that `changes` start after, or null. */
  since: number | null;
  /** The `changes` of every entry after `since`, oldest first, as JSON; null when not read. */
  changes: string | null;
  /** `[role, email, position, joined, name]` per contact row, by `joined`; null without contacts. */
  contacts: string | null;
}

interface AuditRow {
  seq: string;
  license_id: string;
  version: number;
  at: string;
  actor: string | null;
  staff: boolean;
  action: AuditEntry['action'];
  email: string | null;
  role: Role | null;
  successor: string | null;
  changes: string;
  requests: string | null;
}

interface RequestRow {
  id: string;
  kind: StoredRequest['kind'];
  license_id: string;
  product: string;
  email: string;
  name: string;
  roles: string;
  requested_by: string;
  decided_by: string;
  created_at: string;
  expires_at: string;
  state: StoredRequest['state'];
  current_main: string | null;
  closed_by: string | null;
  closed_at: string | null;
  version: number;
}

interface AddressRow {
  email: string;
  bounces: number;
  permanent: boolean;
  reason: string | null;
  bounced_at: string | null;
  confirmed_at: string | null;
  version: number;
}

/** ISO-8601 in UTC with milliseconds, as `Date#toISOString` writes it, whatever the driver's type parsers. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Reports what a caller's callback threw, where the runtime has `reportError`; the watch goes on. */
const reportError = (error: unknown) =>
  (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error);

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
  return withFields(row, { contacts, technical: ordered('technical'), billing: ordered('billing') });
}

/**
 * The license of a row read by `locked_license_rows`. Its contact rows come by `joined`, so a person's
 * rows are next to each other (they share `joined`), and each row names its place in its role's list.
 */
function fromDocument(row: LicenseDocumentRow, base?: License): License {
  if (row.changes !== null) {
    // Changes without the copy they apply to would make a license without contacts.
    if (!base) throw new LicenseContactsError('STORAGE', `License ${row.id} was read without its contacts`);
    let state: ContactsState = base;
    const entries: ContactChange[][] = JSON.parse(row.changes);
    for (let i = 0; i < entries.length; i++) state = applyChanges(state, entries[i] as ContactChange[]);
    return withFields(row, state);
  }
  const tuples: [Role, string, number, number, string][] =
    row.contacts === null ? [] : JSON.parse(row.contacts);
  const contacts: Contact[] = [];
  const lists: Record<Role, string[]> = { technical: [], billing: [] };
  const counts: Record<Role, number> = { technical: 0, billing: 0 };
  let last: Contact | undefined;
  for (let i = 0; i < tuples.length; i++) {
    const [role, email, position, , name] = tuples[i] as [Role, string, number, number, string];
    if (last !== undefined && last.email === email) {
      (last.roles as Role[]).push(role);
      (last.roles as Role[]).sort((x, y) => ROLES.indexOf(x) - ROLES.indexOf(y));
    } else {
      last = { email, name, roles: [role] };
      contacts.push(last);
    }
    lists[role][position] = email;
    counts[role]++;
  }
  for (let r = 0; r < ROLES.length; r++) {
    const role = ROLES[r] as Role;
    // Positions are 0…n-1 as written; anything else keeps the stored order of positions.
    if (lists[role].length !== counts[role] || lists[role].includes(undefined as unknown as string)) {
      lists[role] = tuples
        .filter((t) => t[0] === role)
        .sort((x, y) => x[2] - y[2])
        .map((t) => t[1]);
    }
  }
  return withFields(row, { contacts, technical: lists.technical, billing: lists.billing });
}

/** A license of its row's fields and the given contact lists. */
function withFields(row: LicenseFields, lists: ContactsState): License {
  const license: License = {
    id: row.id,
    product: row.product,
    contacts: lists.contacts,
    technical: lists.technical,
    billing: lists.billing,
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
    seq: formatSeq(row.seq),
    licenseId: row.license_id,
    version,
    at: row.at,
    actor: row.actor,
    staff: row.staff,
    action: row.action,
    changes: JSON.parse(row.changes) as ContactChange[],
  };
  if (row.email !== null) entry.email = row.email;
  if (row.role !== null) entry.role = row.role;
  if (row.successor !== null) entry.successor = row.successor;
  if (row.requests !== null) entry.requests = JSON.parse(row.requests) as RequestSummary[];
  return entry;
}

function toRequest(row: RequestRow): StoredRequest {
  const request: StoredRequest = {
    id: row.id,
    kind: row.kind,
    licenseId: row.license_id,
    product: row.product,
    email: row.email,
    name: row.name,
    roles: JSON.parse(row.roles) as Role[],
    requestedBy: row.requested_by,
    decidedBy: JSON.parse(row.decided_by) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    state: row.state,
    version: Number(row.version),
  };
  if (row.current_main !== null) request.currentMain = row.current_main;
  if (row.closed_by !== null) request.closedBy = row.closed_by;
  if (row.closed_at !== null) request.closedAt = row.closed_at;
  return request;
}

function toAddress(row: AddressRow): StoredAddress {
  const address: StoredAddress = {
    email: row.email,
    bounces: Number(row.bounces),
    permanent: row.permanent,
    version: Number(row.version),
  };
  if (row.reason !== null) address.reason = row.reason;
  if (row.bounced_at !== null) address.bouncedAt = row.bounced_at;
  if (row.confirmed_at !== null) address.confirmedAt = row.confirmed_at;
  return address;
}

interface CursorRow {
  cursor: string | null;
  holder: string | null;
  expires_at: string | null;
  live: boolean;
}

const CURSOR_COLUMNS = `c.cursor::text AS cursor, c.holder, ${iso('c.expires_at')} AS expires_at,
  coalesce(c.expires_at > clock_timestamp(), false) AS live`;

/** A cursor row as the library's `FeedCursor`: the lease only while it runs. */
function toCursor(row: CursorRow): FeedCursor {
  const cursor = row.cursor === null ? undefined : formatSeq(row.cursor);
  if (!row.live || row.holder === null || row.expires_at === null) return { cursor };
  return { cursor, holder: row.holder, expiresAt: row.expires_at };
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
 * Recently read or written license versions, so a write can change only the contact rows that differ
 * and a read under the row lock can bring only the changes since. Only one commit can produce a given
 * version of a license, so a version never changes: a write uses it only when it expects exactly that
 * version (and its `updated_at`), and its compare-and-set proves its rows are still the stored ones.
 */
class KnownVersions {
  private readonly versions = new Map<string, License>();

  constructor(private readonly capacity: number) {}

  remember(license: License): void {
    if (this.capacity <= 0) return;
    this.versions.delete(license.id);
    this.versions.set(license.id, license);
    if (this.versions.size > this.capacity) this.versions.delete(this.versions.keys().next().value as string);
  }

  /** The license at exactly `version`, if known. */
  get(id: string, version: number): License | undefined {
    const known = this.versions.get(id);
    return known?.version === version ? known : undefined;
  }

  /** The last version known of the license, if any. */
  latest(id: string): License | undefined {
    return this.versions.get(id);
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

/** An entry to insert, with its place in the commit (its seq is the commit's first seq + `ord`). */
interface NewEntry {
  entry: NewAuditEntry;
  ord: number;
}

const AUDIT_COLUMNS: readonly [string, string, (row: NewEntry) => unknown][] = [
  ['ord', 'integer', (r) => r.ord],
  ['license_id', 'text', (r) => r.entry.licenseId],
  ['version', 'integer', (r) => r.entry.version],
  ['at', 'text', (r) => r.entry.at],
  ['actor', 'text', (r) => r.entry.actor],
  ['staff', 'boolean', (r) => r.entry.staff],
  ['action', 'text', (r) => r.entry.action],
  ['email', 'text', (r) => r.entry.email ?? null],
  ['role', 'text', (r) => r.entry.role ?? null],
  ['successor', 'text', (r) => r.entry.successor ?? null],
  // Sent as text and cast in SQL, so every driver's parameter serializers treat it alike.
  ['changes', 'text', (r) => JSON.stringify(r.entry.changes)],
  ['requests', 'text', (r) => (r.entry.requests === undefined ? null : JSON.stringify(r.entry.requests))],
];

/** A person joining (`joined`) or leaving a license in the entry at `ord`. */
interface MembershipRow {
  ord: number;
  license_id: string;
  email: string;
}

const MEMBERSHIP_COLUMNS: readonly [string, string, (row: MembershipRow) => unknown][] = [
  ['ord', 'integer', (r) => r.ord],
  ['license_id', 'text', (r) => r.license_id],
  ['email', 'text', (r) => r.email],
];

/** A person joining a license in the entry at `ord` and, within the same commit, leaving at `until`. */
interface JoinedRow extends MembershipRow {
  until: number | null;
}

const JOINED_COLUMNS: readonly [string, string, (row: JoinedRow) => unknown][] = [
  ...MEMBERSHIP_COLUMNS,
  ['until', 'integer', (r) => r.until],
];

/**
 * Who joined and who left a license in each entry: the stretches `listChanges` by email follows. One
 * who joins and leaves within the commit (several commands in one transaction) gets a closed stretch:
 * the commit's update of open stretches cannot see the rows it inserts.
 */
function membershipsOf(entries: readonly NewEntry[]): { joined: JoinedRow[]; left: MembershipRow[] } {
  const joined: JoinedRow[] = [];
  const left: MembershipRow[] = [];
  /** The stretches this commit opened and has not closed, by license and email. */
  const opened = new Map<string, JoinedRow>();
  for (const { entry, ord } of entries) {
    for (const change of entry.changes) {
      const key = `${entry.licenseId}\n${change.email}`;
      if (change.before === null && change.after !== null) {
        const row = { ord, license_id: entry.licenseId, email: change.email, until: null };
        joined.push(row);
        opened.set(key, row);
      }
      if (change.before !== null && change.after === null) {
        const open = opened.get(key);
        if (open) {
          open.until = ord;
          opened.delete(key);
        } else left.push({ ord, license_id: entry.licenseId, email: change.email });
      }
    }
  }
  return { joined, left };
}

const AUDIT_SELECT = (alias: string) =>
  `${alias}.seq::text AS seq, ${alias}.license_id, ${alias}.version, ${iso(`${alias}.at`)} AS at, ${alias}.actor,
   ${alias}.staff, ${alias}.action, ${alias}.email, ${alias}.role, ${alias}.successor, ${alias}.changes::text AS changes,
   ${alias}.requests::text AS requests`;

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
  const watchGapMs = options.watchGapMs ?? 10;
  if (typeof watchGapMs !== 'number' || !(watchGapMs >= 0)) {
    throw new LicenseContactsError('VALIDATION', 'watchGapMs must be a number, 0 or more', {
      field: 'watchGapMs',
    });
  }
  let db: Queryable;
  if (options.pool !== undefined)
    db = fromPool(options.pool, { close: true, prepare: options.prepare ?? true });
  else if (options.pglite !== undefined)
    db = fromPGlite(options.pglite, { close: true, prepare: options.prepare ?? true });
  else
    throw new LicenseContactsError('VALIDATION', 'postgresStorage needs a pool or a pglite', {
      field: 'pool',
    });
  const known = new KnownVersions(options.knownVersions ?? 1000);

  const s = `"${schema}"`;
  const licenses = `${s}.licenses`;
  const contacts = `${s}.license_contacts`;
  const audit = `${s}.audit_entries`;
  const feedPosition = `${s}.feed_position`;
  // Commits notify this channel with the seq before their first entry; `watch` listens to it.
  const channel = `lc_feed_${statementName(schema)}`;
  const memberships = `${s}.license_memberships`;
  const requestsTable = `${s}.requests`;
  const addressesTable = `${s}.addresses`;
  const requestColumns = `r.id, r.kind, r.license_id, r.product, r.email, r.name, array_to_json(r.roles)::text AS roles,
    r.requested_by, array_to_json(r.decided_by)::text AS decided_by, ${iso('r.created_at')} AS created_at,
    ${iso('r.expires_at')} AS expires_at, r.state, r.current_main, r.closed_by,
    CASE WHEN r.closed_at IS NULL THEN NULL ELSE ${iso('r.closed_at')} END AS closed_at, r.version`;
  const cursors = `${s}.feed_cursors`;
  const keys = `${s}.idempotency_keys`;
  let claims = 0;
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
  function writeStatement(write: LicenseWrite, entries: readonly NewEntry[]): Statement {
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
    const previous = expectedVersion === null ? undefined : known.get(license.id, expectedVersion);
    const parts: string[] = [];
    const insertRows = (name: string, inserted: readonly ContactRow[]) =>
      parts.push(`${name} AS (INSERT INTO ${contacts} (license_id, ${CONTACT_COLUMN_LIST})
        SELECT l.id, c.* FROM l CROSS JOIN ${rowSource(inserted, CONTACT_COLUMNS, p, 'c')})`);

    if (expectedVersion === null) {
      parts.push(`l AS (INSERT INTO ${licenses} (id, product, edition, seats, expires_at, version, updated_at)
        VALUES (${id}, ${fields.join(', ')}) ON CONFLICT (id) DO NOTHING RETURNING id)`);
      insertRows('i', rowsOf(license));
    } else {
      const guard = previous ? ` AND updated_at = ${p(previous.updatedAt)}::timestamptz` : '';
      parts.push(`l AS (UPDATE ${licenses} SET (product, edition, seats, expires_at, version, updated_at) =
        (${fields.join(', ')}) WHERE id = ${id} AND version = ${p(expectedVersion)}${guard} RETURNING id)`);
      if (previous) {
        const { deleted, inserted, changed } = rowChanges(previous, license);
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
        parts.push(`c AS (SELECT * FROM ${rowSource(rowsOf(license), CONTACT_COLUMNS, p, 'r')})`);
        parts.push(`d AS (DELETE FROM ${contacts} x USING l WHERE x.license_id = l.id
          AND NOT EXISTS (SELECT 1 FROM c WHERE c.role = x.role AND c.email = x.email))`);
        parts.push(`u AS (INSERT INTO ${contacts} AS x (license_id, ${CONTACT_COLUMN_LIST})
          SELECT l.id, c.* FROM l CROSS JOIN c
          ON CONFLICT (license_id, role, email) DO UPDATE SET position = excluded.position, joined = excluded.joined,
            name = excluded.name
          WHERE (x.position, x.joined, x.name) IS DISTINCT FROM (excluded.position, excluded.joined, excluded.name))`);
      }
    }
    if (entries.length > 0) feedParts(entries, p, 'l', parts);
    const base = entries.length > 0 ? '(SELECT base FROM s)::text' : 'NULL::text';
    const notify =
      entries.length > 0 ? `, (SELECT pg_notify(${p(channel)}, base::text) FROM s) AS notified` : '';
    return named(
      `WITH ${parts.join(',\n')}\nSELECT count(*)::integer AS n, ${base} AS base${notify} FROM l`,
      values,
    );
  }

  /**
   * The feed's part of a commit: takes `entries.length` seqs from the one feed position row and inserts
   * the entries under them, with the stretches of who joined and left. The row stays locked until the
   * commit ends, so commits take seqs in the order they commit and a reader that saw seq n has seen
   * every seq below it: paging with `after` never skips a late committer. It is taken last (`after`,
   * the license CTE, is joined in so its rows are locked first), so commits cannot deadlock on it.
   */
  function feedParts(
    entries: readonly NewEntry[],
    p: (value: unknown) => string,
    after: string | null,
    parts: string[],
  ): void {
    const n = p(entries.length);
    parts.push(`s AS (UPDATE ${feedPosition} f SET seq = f.seq + ${n}::bigint ${after === null ? '' : `FROM ${after}`}
      WHERE f.id RETURNING f.seq - ${n}::bigint AS base)`);
    parts.push(`a AS (INSERT INTO ${audit} (seq, license_id, version, at, actor, staff, action, email, role,
        successor, changes, requests)
      SELECT s.base + e.ord, e.license_id, e.version, e.at::timestamptz, e.actor, e.staff, e.action, e.email,
        e.role, e.successor, e.changes::json, e.requests::json
      FROM s CROSS JOIN ${rowSource(entries, AUDIT_COLUMNS, p, 'e')})`);
    const { joined, left } = membershipsOf(entries);
    if (joined.length > 0) {
      // A stretch closed within the commit is rare: the usual statement stays as it was.
      const closed = joined.some((row) => row.until !== null);
      parts.push(
        closed
          ? `j AS (INSERT INTO ${memberships} (email, license_id, from_seq, to_seq)
        SELECT m.email, m.license_id, s.base + m.ord, s.base + m.until
        FROM s CROSS JOIN ${rowSource(joined, JOINED_COLUMNS, p, 'm')})`
          : `j AS (INSERT INTO ${memberships} (email, license_id, from_seq)
        SELECT m.email, m.license_id, s.base + m.ord FROM s CROSS JOIN ${rowSource(joined, MEMBERSHIP_COLUMNS, p, 'm')})`,
      );
    }
    if (left.length > 0) {
      parts.push(`x AS (UPDATE ${memberships} t SET to_seq = s.base + m.ord
        FROM s, ${rowSource(left, MEMBERSHIP_COLUMNS, p, 'm')}
        WHERE t.email = m.email AND t.license_id = m.license_id AND t.to_seq IS NULL)`);
    }
  }

  /** The feed's part of a commit of several statements, run last in its transaction. */
  function feedStatement(entries: readonly NewEntry[]): Statement {
    const { values, p } = parameters();
    const parts: string[] = [];
    feedParts(entries, p, null, parts);
    return named(
      `WITH ${parts.join(',\n')}\nSELECT base::text AS base, pg_notify(${p(channel)}, base::text) AS notified FROM s`,
      values,
    );
  }

  /** A commit's writes in id order (rows are locked in that order: commits cannot deadlock), and its entries. */
  /** The request and address writes (§7) of a commit. */
  type ConsentWrites = { requests: RequestWrite[]; addresses: AddressWrite[] };

  function prepare(batch: StorageCommit) {
    const ids = new Set(batch.writes.map((w) => w.license.id));
    const consent: ConsentWrites = { requests: batch.requests ?? [], addresses: batch.addresses ?? [] };
    if (
      ids.size !== batch.writes.length ||
      new Set(consent.requests.map((w) => w.request.id)).size !== consent.requests.length ||
      new Set(consent.addresses.map((w) => w.address.email)).size !== consent.addresses.length
    ) {
      throw new LicenseContactsError('CONFLICT', 'A commit may write each license, request and address once');
    }
    const writes = [...batch.writes].sort((a, b) => (a.license.id < b.license.id ? -1 : 1));
    const entries: NewEntry[] = batch.audit.map((entry, i) => ({ entry, ord: i + 1 }));
    const single =
      writes.length === 1 &&
      consent.requests.length === 0 &&
      consent.addresses.length === 0 &&
      entries.every((e) => ids.has(e.entry.licenseId));
    return { writes, entries, ids, single, consent };
  }

  /**
   * Writes every license (its compare-and-set, CONFLICT on a mismatch) and the entries on `on`; one
   * license with its entries is one statement. Answers the seq before the commit's first entry.
   */
  async function writeAll(
    on: Queryable,
    writes: readonly LicenseWrite[],
    entries: readonly NewEntry[],
    single: boolean,
    consent: ConsentWrites = { requests: [], addresses: [] },
  ): Promise<string | null> {
    if (single) {
      const write = writes[0] as LicenseWrite;
      const { rows } = await on.query<{ n: number; base: string | null }>(writeStatement(write, entries), {
        last: true,
      });
      if (Number(rows[0]?.n ?? 0) !== 1) throw conflict(write.license.id);
      return rows[0]?.base ?? null;
    }
    for (const write of writes) {
      const { rows } = await on.query<{ n: number }>(writeStatement(write, []));
      if (Number(rows[0]?.n ?? 0) !== 1) throw conflict(write.license.id);
    }
    // After the licenses they belong to: a request is written under its license's row lock.
    for (const write of consent.requests) {
      const { rowCount } = await on.query(requestStatement(write));
      if (rowCount !== 1) {
        throw new LicenseContactsError('CONFLICT', `Request ${write.request.id} was changed by someone else`);
      }
    }
    for (const write of consent.addresses) {
      const { rowCount } = await on.query(addressStatement(write));
      if (rowCount !== 1) {
        throw new LicenseContactsError(
          'CONFLICT',
          `Address ${write.address.email} was changed by someone else`,
        );
      }
    }
    if (entries.length === 0) return null;
    const { rows } = await on.query<{ base: string }>(feedStatement(entries), { last: true });
    return rows[0]?.base ?? null;
  }

  /** After a commit: what it wrote is known, and its entries have their seqs. */
  function committed(
    writes: readonly LicenseWrite[],
    entries: readonly NewEntry[],
    base: string | null,
  ): AuditEntry[] {
    for (const write of writes) known.remember(write.license);
    const first = BigInt(base ?? 0);
    return entries.map(({ entry, ord }) => ({ ...entry, seq: formatSeq(first + BigInt(ord)) }));
  }

  /**
   * Locks the licenses' rows in id order (`FOR UPDATE`, waiting for whoever holds one) and reads them
   * as they are once locked, in one round trip (`locked_license_rows`, migration 7). With `ifContact`,
   * one the person is not a contact of is neither locked nor read.
   */
  async function readLocked(
    tx: Queryable,
    ids: readonly string[],
    ifContact: string | undefined,
  ): Promise<Map<string, License | null>> {
    const found = new Map<string, License | null>(ids.map((id) => [id, null]));
    // With ifContact the email index names the licenses to lock: a hidden one is not even read.
    const wanted =
      ifContact === undefined
        ? '$1::text[]'
        : `ARRAY(SELECT m.license_id FROM ${contacts} m WHERE m.email = $2::text AND m.license_id = ANY($1::text[]))`;
    // The versions this storage knows: for those, only the entries' changes since are read.
    const knownIds: string[] = [];
    const knownVersions: number[] = [];
    for (const id of ids) {
      const version = known.latest(id)?.version;
      if (version !== undefined) {
        knownIds.push(id);
        knownVersions.push(version);
      }
    }
    const lockAndRead = (withKnown: boolean) =>
      tx.query<LicenseDocumentRow>(
        named(`SELECT * FROM ${s}.locked_license_rows(${wanted}, $2::text, $3::text[], $4::integer[])`, [
          ids,
          ifContact ?? null,
          withKnown ? knownIds : [],
          withKnown ? knownVersions : [],
        ]),
      );
    let { rows } = await lockAndRead(knownIds.length > 0);
    /** The copy each row's changes apply to; all found before any is remembered (which may evict one). */
    const basesOf = (read: LicenseDocumentRow[]) =>
      read.map((row) => {
        if (row.changes === null) return undefined;
        const base = known.get(row.id, Number(row.since));
        // The same version must be the same license: one rewritten behind the storage is read whole.
        if (base && Number(row.since) === Number(row.version) && base.updatedAt !== row.updated_at) {
          return undefined;
        }
        return base;
      });
    let bases = basesOf(rows);
    // A known version forgotten meanwhile (another command of this instance), or not the one stored:
    // read the rows whole; they are locked already.
    if (rows.some((row, i) => row.changes !== null && bases[i] === undefined)) {
      rows = (await lockAndRead(false)).rows;
      bases = basesOf(rows);
    }
    for (let i = 0; i < rows.length; i++) {
      const license = fromDocument(rows[i] as LicenseDocumentRow, bases[i]);
      known.remember(license);
      found.set(license.id, license);
    }
    return found;
  }

  /** The seq of the last entry committed, read from the feed position. */
  async function position(): Promise<string | undefined> {
    const { rows } = await db.query<{ seq: string }>(
      named(`SELECT seq::text AS seq FROM ${feedPosition}`, []),
    );
    const seq = rows[0]?.seq;
    return seq === undefined || seq === '0' ? undefined : formatSeq(seq);
  }

  /** How to stop each watch running now (`close()` stops them before the pool). */
  const watches = new Set<() => Promise<void>>();

  /**
   * Follows the feed: LISTEN on a dedicated connection, and on each notification (or after a lost
   * connection comes back) reads every entry after the last one told, so none is missed or told twice.
   * A notification carries only its commit's seq: anyone who can connect may LISTEN and NOTIFY on a
   * channel, so what is told is what the storage answers, read with the storage's own rights.
   */
  async function startWatch(
    listener: (entry: AuditEntry) => void,
    opts: StorageWatchOptions,
  ): Promise<StorageWatch> {
    let last = opts.after;
    let closed = false;
    // Reads wait until where to start from is known (a notification may come before).
    let started = () => {};
    let reading = new Promise<void>((resolve) => {
      started = resolve;
    });
    let pending = false;
    /** When the last read started (`performance.now()`). */
    let readAt = Number.NEGATIVE_INFINITY;
    const report = (error: unknown) => {
      try {
        opts.onError?.(storageError(error));
      } catch (thrown) {
        // The reporter's failure is not the watch's: it goes on reading.
        reportError(thrown);
      }
    };

    function tell(entry: AuditEntry): void {
      last = entry.seq;
      try {
        listener(entry);
      } catch (error) {
        reportError(error);
      }
    }

    /** Tells every entry after the last one told; answers how many. */
    async function read(): Promise<number> {
      let count = 0;
      for (;;) {
        const page = await listChanges({ limit: 500, ...(last === undefined ? {} : { after: last }) });
        for (const entry of page.items) {
          if (closed) return count;
          tell(entry);
          count++;
        }
        if (page.nextCursor === undefined) return count;
      }
    }
    async function readRetrying(): Promise<number> {
      for (let attempt = 0; !closed; attempt++) {
        try {
          return await read();
        } catch (error) {
          report(error);
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
        }
      }
      return 0;
    }
    /**
     * A burst of commits is being read by polling, LISTEN paused: each commit's notification wakes
     * this process and its listening backend, which on a busy server costs the committers more than
     * a read every `watchGapMs` does.
     */
    let polling = false;
    /**
     * Reads once more after the read running now (notifications arriving meanwhile are one read). A
     * notification that comes within `watchGapMs` of the last read starts a burst: notifications
     * stop (UNLISTEN) and a read comes every `watchGapMs` until one finds nothing; then LISTEN again,
     * and one more read tells what committed before it took effect.
     */
    function wake(notified: boolean): void {
      if (pending || closed) return;
      pending = true;
      reading = reading.then(async () => {
        const wait = readAt + watchGapMs - performance.now();
        if (wait > 0 && notified && !polling && listening.pause) {
          polling = true;
          void listening.pause();
        }
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pending = false;
        readAt = performance.now();
        const told = await readRetrying();
        if (!polling || closed) return;
        if (told > 0) return wake(false);
        polling = false;
        await listening.resume?.();
        await readRetrying();
      });
    }

    const listening = options.pglite
      ? await listenOnPGlite(options.pglite, () => wake(true))
      : await listenOnPool(options.listenPool ?? (options.pool as PgPoolLike), wake, report, () => closed);
    if (last === undefined) {
      try {
        last = await guarded(position);
      } catch (error) {
        // Not started: nothing listens on.
        closed = true;
        started();
        await listening.stop().catch(() => {});
        throw error;
      }
    }
    const from = last;
    started();
    if (opts.after !== undefined) wake(false);
    const stop = async () => {
      if (closed) return;
      closed = true;
      watches.delete(stop);
      await listening.stop().catch(() => {});
    };
    watches.add(stop);
    return {
      position: from,
      close() {
        void stop();
      },
    };
  }

  /** PGlite runs in this process: its notifications cost a call each, and it always listens. */
  async function listenOnPGlite(pglite: PGliteLike, wake: () => void): Promise<Listening> {
    if (!pglite.listen)
      throw new LicenseContactsError('STORAGE', 'This PGlite cannot listen for notifications');
    const stop = await guarded(() => (pglite.listen as NonNullable<PGliteLike['listen']>)(channel, wake));
    return { stop };
  }

  /**
   * LISTEN on a connection of its own, taken out of `pool` for as long as it listens. A lost
   * connection is replaced (after a growing pause) and a read after it catches up.
   */
  async function listenOnPool(
    pool: PgPoolLike,
    wake: (notified: boolean) => void,
    report: (error: unknown) => void,
    isClosed: () => boolean,
  ): Promise<Listening> {
    const notified = () => wake(true);
    let client:
      | { connection: PgClientLike; drop: (error?: unknown) => void; lost: (error?: unknown) => void }
      | undefined;
    const connect = async (): Promise<void> => {
      const connection = await pool.connect();
      let released = false;
      /** Gives the connection back to the pool once (a broken one to be discarded). */
      const drop = (error?: unknown) => {
        if (released) return;
        released = true;
        connection.off?.('notification', notified);
        connection.off?.('error', lost);
        connection.off?.('end', lost);
        connection.release(error === undefined ? undefined : error instanceof Error ? error : true);
      };
      const lost = (error?: unknown) => {
        drop(error ?? new Error('the listening connection ended'));
        if (client?.connection !== connection || isClosed()) return;
        client = undefined;
        report(error ?? new Error('the listening connection ended'));
        void reconnect();
      };
      connection.on?.('notification', notified);
      connection.on?.('error', lost);
      connection.on?.('end', lost);
      try {
        await connection.query({ text: `LISTEN "${channel}"` });
      } catch (error) {
        drop(error);
        throw error;
      }
      client = { connection, drop, lost };
    };
    const reconnect = async () => {
      for (let attempt = 0; !isClosed() && client === undefined; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
        if (isClosed()) return;
        try {
          await connect();
          if (isClosed()) {
            // Closed while connecting: the connection, still listening, is discarded.
            const opened = client as { drop: (error?: unknown) => void } | undefined;
            client = undefined;
            opened?.drop(new Error('the watch closed'));
            return;
          }
          wake(false); // whatever committed while the connection was down
        } catch (error) {
          report(error);
        }
      }
    };
    await guarded(connect);
    /**
     * Sends `statement` on the listening connection, if there is one (a replacement LISTENs anew).
     * A connection that refused it (a timeout, a cancel) may still be up, not listening: it is
     * replaced, as a lost one is, and its replacement LISTENs and reads what it missed.
     */
    const send = async (statement: 'LISTEN' | 'UNLISTEN') => {
      const current = client;
      try {
        await current?.connection.query({ text: `${statement} "${channel}"` });
      } catch (error) {
        current?.lost(error);
      }
    };
    return {
      pause: () => send('UNLISTEN'),
      resume: () => send('LISTEN'),
      async stop() {
        const current = client;
        client = undefined;
        if (!current) return;
        try {
          await current.connection.query({ text: `UNLISTEN "${channel}"` });
          current.drop();
        } catch (error) {
          current.drop(error);
        }
      },
    };
  }

  /** A request's compare-and-set: an insert that does nothing when the id exists, or an update guarded by its version. */
  function requestStatement(write: RequestWrite): Statement {
    const { request: r, expectedVersion } = write;
    const { values, p } = parameters();
    const fields = [
      p(r.kind),
      p(r.licenseId),
      p(r.product),
      p(r.email),
      p(r.name),
      `${p(r.roles)}::text[]`,
      p(r.requestedBy),
      `${p(r.decidedBy)}::text[]`,
      `${p(r.createdAt)}::timestamptz`,
      `${p(r.expiresAt)}::timestamptz`,
      p(r.state),
      p(r.currentMain ?? null),
      p(r.closedBy ?? null),
      `${p(r.closedAt ?? null)}::timestamptz`,
      p(r.version),
    ];
    const columns = `kind, license_id, product, email, name, roles, requested_by, decided_by, created_at,
      expires_at, state, current_main, closed_by, closed_at, version`;
    const text =
      expectedVersion === null
        ? `INSERT INTO ${requestsTable} (id, ${columns}) VALUES (${p(r.id)}, ${fields.join(', ')})
           ON CONFLICT (id) DO NOTHING`
        : `UPDATE ${requestsTable} SET (${columns}) = (${fields.join(', ')})
           WHERE id = ${p(r.id)} AND version = ${p(expectedVersion)}`;
    return named(text, values);
  }

  /** An address record's compare-and-set, like a request's. */
  function addressStatement(write: AddressWrite): Statement {
    const { address: a, expectedVersion } = write;
    const { values, p } = parameters();
    const fields = [
      p(a.bounces),
      p(a.permanent),
      p(a.reason ?? null),
      `${p(a.bouncedAt ?? null)}::timestamptz`,
      `${p(a.confirmedAt ?? null)}::timestamptz`,
      p(a.version),
    ];
    const columns = 'bounces, permanent, reason, bounced_at, confirmed_at, version';
    const text =
      expectedVersion === null
        ? `INSERT INTO ${addressesTable} (email, ${columns}) VALUES (${p(a.email)}, ${fields.join(', ')})
           ON CONFLICT (email) DO NOTHING`
        : `UPDATE ${addressesTable} SET (${columns}) = (${fields.join(', ')})
           WHERE email = ${p(a.email)} AND version = ${p(expectedVersion)}`;
    return named(text, values);
  }

  function conflict(id: string): LicenseContactsError {
    return new LicenseContactsError('CONFLICT', `License ${id} was changed by someone else`);
  }

  return {
    schema,

    migrate: (opts) => guarded(() => migrate(db, schema, s, opts?.to)),

    close: () =>
      guarded(async () => {
        // A running watch holds a connection of the pool: it ends first, or the pool would wait for it.
        await Promise.all([...watches].map((stop) => stop()));
        await db.close();
      }),

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
      guarded(async (): Promise<AuditEntry[]> => {
        const { writes, entries, ids, single, consent } = prepare(batch);
        let base: string | null;
        try {
          // One statement is a transaction of its own: one round trip for the common case.
          base = single
            ? await writeAll(db, writes, entries, true)
            : await db.transaction((tx) => writeAll(tx, writes, entries, false, consent));
        } catch (error) {
          // Whatever happened, the next write of these licenses compares rows in SQL after a fresh read.
          for (const id of ids) known.forget(id);
          throw error;
        }
        return committed(writes, entries, base);
      }),

    multiVersionWrites: true,

    async locked<T>(
      wanted: readonly string[],
      work: (read: ReadonlyMap<string, License | null>) => LockedWork<T> | Promise<LockedWork<T>>,
      options?: StorageGetOptions,
    ): Promise<{ value: T; entries: AuditEntry[] }> {
      const ids = [...new Set(wanted)].sort();
      let batch: ReturnType<typeof prepare> | undefined;
      const refusal: { error?: unknown } = {};
      try {
        const { value, base } = await guarded(() =>
          db.transaction(async (tx) => {
            const found = await readLocked(tx, ids, options?.ifContact);
            let answer: LockedWork<T>;
            try {
              answer = await work(found);
            } catch (error) {
              refusal.error = error;
              throw error;
            }
            if (!answer.commit) return { value: answer.value, base: null };
            batch = prepare(answer.commit);
            return {
              value: answer.value,
              base: await writeAll(tx, batch.writes, batch.entries, batch.single, batch.consent),
            };
          }),
        );
        return { value, entries: batch ? committed(batch.writes, batch.entries, base) : [] };
      } catch (error) {
        for (const id of ids) known.forget(id);
        // What the work threw is its answer, passed on as it is (rolled back, nothing written).
        throw 'error' in refusal ? refusal.error : error;
      }
    },

    listAudit: (licenseId: string, query: StorageAuditQuery) =>
      guarded(async (): Promise<Page<AuditEntry>> => {
        const { values, p } = parameters();
        const before = query.beforeVersion === undefined ? '' : `AND version < ${p(query.beforeVersion)}`;
        const { rows } = await db.query<AuditRow>(
          named(
            `SELECT ${AUDIT_SELECT('a')} FROM ${audit} a WHERE license_id = ${p(licenseId)} ${before}
             ORDER BY version DESC LIMIT ${p(query.limit + 1)}`,
            values,
          ),
        );
        const items = rows.map(toAuditEntry);
        if (items.length <= query.limit) return { items };
        items.length = query.limit;
        return { items, nextCursor: String((items.at(-1) as AuditEntry).version) };
      }),

    getRequest: (id: string) =>
      guarded(async () => {
        const { rows } = await db.query<RequestRow>(
          named(`SELECT ${requestColumns} FROM ${requestsTable} r WHERE r.id = $1`, [id]),
        );
        return rows[0] ? toRequest(rows[0]) : null;
      }),

    listRequests: (query: StorageRequestQuery) =>
      guarded(async (): Promise<Page<StoredRequest>> => {
        const { values, p } = parameters();
        const where: string[] = [];
        const party = (email: string) => {
          const e = p(email);
          return `(r.requested_by = ${e} OR r.email = ${e} OR r.decided_by @> ARRAY[${e}::text])`;
        };
        if (query.licenseId !== undefined) where.push(`r.license_id = ${p(query.licenseId)}`);
        if (query.kind !== undefined) where.push(`r.kind = ${p(query.kind)}`);
        if (query.subject !== undefined) where.push(`r.email = ${p(query.subject)}`);
        if (query.party !== undefined) where.push(party(query.party));
        if (query.email !== undefined) {
          where.push(`(${party(query.email)} OR r.license_id IN (
            SELECT c.license_id FROM ${contacts} c WHERE c.email = ${p(query.email)}))`);
        }
        if (query.state === 'pending' || query.state === 'expired') {
          const op = query.state === 'pending' ? '>' : '<=';
          where.push(`r.state = 'pending' AND r.expires_at ${op} ${p(query.now)}::timestamptz`);
        } else if (query.state !== undefined) {
          where.push(`r.state = ${p(query.state)}`);
        }
        if (query.after !== undefined) where.push(`r.id > ${p(query.after)}`);
        const { rows } = await db.query<RequestRow>(
          named(
            `SELECT ${requestColumns} FROM ${requestsTable} r
             ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY r.id LIMIT ${p(query.limit + 1)}`,
            values,
          ),
        );
        const items = rows.map(toRequest);
        if (items.length <= query.limit) return { items };
        items.length = query.limit;
        return { items, nextCursor: (items.at(-1) as StoredRequest).id };
      }),

    getAddresses: (emails: readonly string[]) =>
      guarded(async () => {
        if (emails.length === 0) return [];
        const { rows } = await db.query<AddressRow>(
          named(
            `SELECT email, bounces, permanent, reason,
               CASE WHEN bounced_at IS NULL THEN NULL ELSE ${iso('bounced_at')} END AS bounced_at,
               CASE WHEN confirmed_at IS NULL THEN NULL ELSE ${iso('confirmed_at')} END AS confirmed_at, version
             FROM ${addressesTable} WHERE email = ANY($1::text[])`,
            [[...new Set(emails)]],
          ),
        );
        return rows.map(toAddress);
      }),

    headSeq: () => guarded(position),

    watch: (listener, opts) => startWatch(listener, opts ?? {}),

    idempotencyKeys: {
      claim: (actor, key, fingerprint, limits) =>
        guarded(async (): Promise<IdempotencyClaim> => {
          // Now and then, whatever expired goes (every actor's; a claim only replaces its own).
          if (++claims % 200 === 0) {
            await db.query(named(`DELETE FROM ${keys} WHERE expires_at <= clock_timestamp()`, []));
          }
          const claimed = await db.query(
            named(
              `INSERT INTO ${keys} AS k (actor, key, fingerprint, created_at, expires_at)
               VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + $4::bigint * interval '1 millisecond')
               ON CONFLICT (actor, key) DO UPDATE SET fingerprint = excluded.fingerprint, response = NULL,
                 created_at = excluded.created_at, expires_at = excluded.expires_at
               WHERE k.expires_at <= clock_timestamp()
               RETURNING 1 AS claimed`,
              [actor, key, fingerprint, Math.max(1, Math.round(limits.runningMs))],
            ),
          );
          if (claimed.rowCount === 1) {
            // The actor's own oldest keys make room; no one else's.
            await db.query(
              named(
                `DELETE FROM ${keys} WHERE actor = $1 AND key IN (
                   SELECT key FROM ${keys} WHERE actor = $1 ORDER BY created_at DESC OFFSET $2)`,
                [actor, Math.max(1, limits.maxPerActor)],
              ),
            );
            return { state: 'claimed' };
          }
          const { rows } = await db.query<{ fingerprint: string; response: string | null }>(
            named(
              `SELECT fingerprint, response::text AS response FROM ${keys} WHERE actor = $1 AND key = $2`,
              [actor, key],
            ),
          );
          const row = rows[0];
          // Gone between the two statements (expired, or made room for): claim it again.
          if (!row) return { state: 'running', fingerprint };
          return row.response === null
            ? { state: 'running', fingerprint: row.fingerprint }
            : {
                state: 'done',
                fingerprint: row.fingerprint,
                response: JSON.parse(row.response) as KeptResponse,
              };
        }),
      keep: (actor, key, fingerprint, response, ttlMs) =>
        guarded(async () => {
          await db.query(
            named(
              `UPDATE ${keys} SET response = $4::json,
                 expires_at = clock_timestamp() + $5::bigint * interval '1 millisecond'
               WHERE actor = $1 AND key = $2 AND fingerprint = $3`,
              [actor, key, fingerprint, JSON.stringify(response), Math.max(1, Math.round(ttlMs))],
            ),
          );
        }),
      release: (actor, key, fingerprint) =>
        guarded(async () => {
          await db.query(
            named(
              `DELETE FROM ${keys} WHERE actor = $1 AND key = $2 AND fingerprint = $3 AND response IS NULL`,
              [actor, key, fingerprint],
            ),
          );
        }),
    },

    feedCursors: {
      lease: (name, holder, ttlMs) =>
        guarded(async () => {
          const { rows } = await db.query<CursorRow>(
            named(
              `INSERT INTO ${cursors} AS c (name, holder, expires_at)
               VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
               ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
               WHERE c.holder IS NULL OR c.holder = excluded.holder OR c.expires_at <= clock_timestamp()
               RETURNING ${CURSOR_COLUMNS}`,
              [name, holder, Math.max(1, Math.round(ttlMs))],
            ),
          );
          return rows[0] ? toCursor(rows[0]) : null;
        }),
      advance: (name, holder, cursor) =>
        guarded(async () => {
          const { rowCount } = await db.query(
            named(
              `UPDATE ${cursors} SET cursor = $3::bigint
               WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()`,
              [name, holder, String(Number(cursor))],
            ),
          );
          return rowCount === 1;
        }),
      release: (name, holder) =>
        guarded(async () => {
          await db.query(
            named(`UPDATE ${cursors} SET holder = NULL, expires_at = NULL WHERE name = $1 AND holder = $2`, [
              name,
              holder,
            ]),
          );
        }),
      read: (name) =>
        guarded(async () => {
          const { rows } = await db.query<CursorRow>(
            named(`SELECT ${CURSOR_COLUMNS} FROM ${cursors} c WHERE name = $1`, [name]),
          );
          return rows[0] ? toCursor(rows[0]) : null;
        }),
    },

    listChanges,
  };

  function listChanges(query: StorageChangesQuery): Promise<Page<AuditEntry>> {
    return guarded(async (): Promise<Page<AuditEntry>> => {
      const { values, p } = parameters();
      const after = p(query.after === undefined ? '0' : String(Number(query.after)));
      const limit = p(query.limit + 1);
      // By email: the entries of each stretch the person was a contact, from joining to leaving.
      const text =
        query.email === undefined
          ? `SELECT ${AUDIT_SELECT('a')} FROM ${audit} a WHERE a.seq > ${after}::bigint ORDER BY a.seq LIMIT ${limit}`
          : `SELECT ${AUDIT_SELECT('a')} FROM ${memberships} m
                 JOIN ${audit} a ON a.license_id = m.license_id AND a.seq >= m.from_seq
                   AND (m.to_seq IS NULL OR a.seq <= m.to_seq)
               WHERE m.email = ${p(query.email)} AND a.seq > ${after}::bigint
               ORDER BY a.seq LIMIT ${limit}`;
      const { rows } = await db.query<AuditRow>(named(text, values));
      const items = rows.map(toAuditEntry);
      if (items.length <= query.limit) return { items };
      items.length = query.limit;
      return { items, nextCursor: (items.at(-1) as AuditEntry).seq };
    });
  }
}
