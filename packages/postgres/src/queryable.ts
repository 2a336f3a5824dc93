import { LicenseContactsError } from '@license-contacts/core';

/** One statement: its text with `$1…` placeholders, their values, and a name to prepare it under. */
export interface Statement {
  text: string;
  values?: readonly unknown[];
  /** Drivers that can keep prepared statements per connection (pg) prepare it once under this name. */
  name?: string;
}

/** How a statement runs. */
export interface QueryOptions {
  /** The transaction's last statement: once it succeeds, the transaction may already be committed. */
  last?: boolean;
}

/** The rows of one statement and how many rows it wrote or returned. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * What the adapter needs from a driver: parameterised statements and transactions. One SQL code path
 * runs on every driver through it.
 */
export interface Queryable {
  /**
   * Runs one statement. Inside a transaction, `last` says nothing else runs in it: a driver may send
   * the COMMIT with it.
   */
  query<R = Record<string, unknown>>(statement: Statement, options?: QueryOptions): Promise<QueryResult<R>>;
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Releases the driver's connections. */
  close(): Promise<void>;
}

/** A statement as `pg` takes it (a `QueryConfig`). */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  name?: string;
}

/** The part of a `pg` client the adapter uses (a `PoolClient`). */
export interface PgClientLike {
  query(config: PgQueryConfig): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
  /** Notifications and connection loss, for `watch` (a `pg` client has it). */
  // biome-ignore lint/suspicious/noExplicitAny: pg's EventEmitter signature
  on?(event: 'notification' | 'error' | 'end', listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: pg's EventEmitter signature
  off?(event: 'notification' | 'error' | 'end', listener: (...args: any[]) => void): unknown;
}

/** The part of a `pg` `Pool` the adapter uses; a `pg.Pool` (or a compatible pool) satisfies it. */
export interface PgPoolLike {
  query(config: PgQueryConfig): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a PGlite instance the adapter uses. */
export interface PGliteLike {
  query<R>(
    text: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount?: number; affectedRows?: number }>;
  transaction<T>(fn: (tx: { query: PGliteLike['query'] }) => Promise<T>): Promise<T>;
  /** Notifications on a channel (PGlite has it), for `watch`. */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly closed?: boolean;
}

/** SQLSTATEs after which the same work may succeed when re-read and re-applied. */
const RETRYABLE = new Set(['40001', '40P01']);

/** The SQLSTATE a driver error carries (`pg` and PGlite both name it `code`), if any. */
function sqlState(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * A driver failure as the library's error: serialization failures and deadlocks are CONFLICT (the
 * service re-reads and retries them), anything else STORAGE with the driver error as `cause`. The
 * message never carries SQL or driver text.
 */
export function storageError(error: unknown): LicenseContactsError {
  if (error instanceof LicenseContactsError) return error;
  const code = sqlState(error);
  if (typeof code === 'string' && RETRYABLE.has(code)) {
    return new LicenseContactsError('CONFLICT', 'A concurrent change got in the way; nothing was changed', {
      cause: error,
    });
  }
  return new LicenseContactsError('STORAGE', 'The storage is unavailable; nothing was changed', {
    cause: error,
  });
}

/** The statement as `pg` takes it: named (prepared once per connection) only when preparing is on. */
function pgConfig(statement: Statement, prepare: boolean): PgQueryConfig {
  const config: PgQueryConfig = { text: statement.text };
  if (statement.values !== undefined) config.values = [...statement.values];
  if (prepare && statement.name !== undefined) config.name = statement.name;
  return config;
}

/** Pools that already carry the listener below (several storages may share one pool). */
const listened = new WeakSet<PgPoolLike>();

/** The statements a `pg` connection has prepared, by name (`pg` keeps them on its connection). */
function preparedOnClient(client: PgClientLike): Record<string, string> | undefined {
  return (client as { connection?: { parsedStatements?: Record<string, string> } }).connection
    ?.parsedStatements;
}

/**
 * A `Queryable` over a `pg` pool: statements on any pooled connection, transactions on one checked out.
 *
 * A transaction saves round trips with statements its connection has prepared already: the `BEGIN` goes
 * with the first one, the `COMMIT` with the `last`, as one simple query (`BEGIN; EXECUTE name(…)`), the
 * values written as literals. A row lock taken by the first is then held for one round trip only.
 * With `prepare`, a transaction runs its statements on their generic plans (`plan_cache_mode`, set
 * for the transaction only).
 */
export function fromPool(pool: PgPoolLike, options: { close: boolean; prepare: boolean }): Queryable {
  // An idle connection the server drops (restart, failover) makes the pool emit 'error'; without a
  // listener that would end the process. The pool discards that connection and opens a new one later.
  if (!listened.has(pool)) {
    listened.add(pool);
    pool.on?.('error', () => {});
  }

  // With prepared statements, a transaction's statements run on their generic plans: its writes run
  // under row locks, where planning anew for each set of values (a custom plan, which PostgreSQL
  // prefers for statements with many parameters) would keep every other writer waiting.
  const beginText = options.prepare ? 'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan' : 'BEGIN';
  const beginStatements = options.prepare ? 2 : 1;

  // Off for good once a server did not know a statement its client had prepared: a pooler such as
  // PgBouncer 1.21+ keeps protocol-level prepared statements under names of its own, which SQL
  // `EXECUTE` cannot reach. Messages then go as `pg` sends them.
  let folding = options.prepare;

  /** `EXECUTE` of the statement when `client` has prepared it under its name, else undefined. */
  function executeOn(client: PgClientLike, statement: Statement): string | undefined {
    const name = statement.name;
    if (!folding || name === undefined || preparedOnClient(client)?.[name] !== statement.text) {
      return undefined;
    }
    const values = statement.values ?? [];
    return values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${values.map(sqlLiteral).join(', ')})`;
  }

  /** A transaction on `client`: begun with its first statement, committed by `finish` or its `last`. */
  function inTransaction(client: PgClientLike) {
    let state: 'idle' | 'open' | 'committed' = 'idle';
    const queryable: Queryable = {
      async query<R>(statement: Statement, queryOptions?: QueryOptions) {
        if (state === 'committed') throw new Error('The transaction is already committed');
        const begin = state === 'idle';
        const commit = queryOptions?.last === true;
        // From here on a failure leaves a transaction to roll back.
        state = 'open';
        const execute = begin || commit ? executeOn(client, statement) : undefined;
        if (execute === undefined) {
          if (begin) await client.query({ text: beginText });
          const result = await client.query(pgConfig(statement, options.prepare));
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        }
        const text = `${begin ? `${beginText}; ` : ''}${execute}${commit ? '; COMMIT' : ''}`;
        let results:
          | { rows: unknown[]; rowCount: number | null }
          | { rows: unknown[]; rowCount: number | null }[];
        try {
          results = (await client.query({ text })) as unknown as typeof results;
        } catch (error) {
          if (sqlState(error) !== '26000') throw error;
          // Rolled back (the transaction is aborted): answered as CONFLICT, so the command runs again.
          folding = false;
          throw new LicenseContactsError(
            'CONFLICT',
            'A prepared statement was not found; nothing was changed',
            {
              cause: error,
            },
          );
        }
        if (commit) state = 'committed';
        const result = Array.isArray(results) ? results[begin ? beginStatements : 0] : results;
        return { rows: (result?.rows ?? []) as R[], rowCount: result?.rowCount ?? 0 };
      },
      transaction: (fn) => fn(queryable),
      close: async () => {},
    };
    return {
      queryable,
      /** Commits what is still open. */
      async finish() {
        if (state === 'open') await client.query({ text: 'COMMIT' });
        state = 'committed';
      },
      /** Whether a failure leaves a transaction to roll back. */
      open: () => state === 'open',
    };
  }

  return {
    async query<R>(statement: Statement) {
      const result = await pool.query(pgConfig(statement, options.prepare));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },

    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx = inTransaction(client);
      let broken: Error | undefined;
      try {
        const result = await fn(tx.queryable);
        await tx.finish();
        return result;
      } catch (error) {
        if (tx.open()) {
          try {
            await client.query({ text: 'ROLLBACK' });
          } catch (rollbackError) {
            // The connection is unusable: the pool must not hand it out again.
            broken = rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
          }
        }
        throw error;
      } finally {
        client.release(broken ?? false);
      }
    },

    async close() {
      if (options.close) await pool.end();
    },
  };
}

/**
 * A parameter as SQL text for `EXECUTE name(…)`, which takes no bound parameters: a quoted literal of
 * unknown type, which the prepared statement's parameter type then reads as `pg` would send it (arrays
 * as array text, objects as JSON). An escape string (`E'…'`, `\` and `'` escaped) reads the same whatever
 * `standard_conforming_strings` says.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const quote = (text: string) => `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return quote(String(value));
  }
  if (value instanceof Date) return quote(value.toISOString());
  if (Array.isArray(value)) {
    const element = (item: unknown): string =>
      item === null || item === undefined
        ? 'NULL'
        : Array.isArray(item)
          ? `{${item.map(element).join(',')}}`
          : `"${(typeof item === 'object' ? JSON.stringify(item) : String(item)).replace(/[\\"]/g, '\\$&')}"`;
    return quote(`{${value.map(element).join(',')}}`);
  }
  return quote(JSON.stringify(value));
}

/** What is prepared on a PGlite instance (one session each), shared by every storage on it. */
interface PreparedNames {
  done: Set<string>;
  /** PREPAREs sent and not answered yet. */
  pending: Map<string, Promise<void>>;
}

const preparedOn = new WeakMap<PGliteLike, PreparedNames>();

/**
 * A `Queryable` over PGlite: one connection, so transactions run exclusively. With `prepare`, a named
 * statement is planned once (`PREPARE`, which outlives a rolled-back transaction) and then run by
 * `EXECUTE`: PGlite otherwise parses and plans every statement anew, a good part of a write's time.
 */
export function fromPGlite(db: PGliteLike, options: { close: boolean; prepare: boolean }): Queryable {
  let found = preparedOn.get(db);
  if (!found) {
    found = { done: new Set(), pending: new Map() };
    preparedOn.set(db, found);
  }
  const names = found;

  /**
   * Whether the statement is prepared, preparing it when nobody has yet. Inside a transaction, a
   * PREPARE sent from outside it would wait for the transaction to end: the statement runs unprepared.
   */
  async function ready(target: Pick<PGliteLike, 'query'>, inside: boolean, statement: Statement) {
    const name = statement.name as string;
    if (names.done.has(name)) return true;
    const pending = names.pending.get(name);
    if (pending) {
      if (inside) return false;
      await pending.catch(() => {});
      return names.done.has(name);
    }
    // Inside a transaction a PREPARE that fails (prepared meanwhile by another handle on the same
    // session) would abort it: a savepoint keeps the failure to itself.
    const prepare = inside
      ? (async () => {
          await target.query('SAVEPOINT lc_prepare');
          try {
            await target.query(`PREPARE ${name} AS ${statement.text}`);
          } catch (error) {
            await target.query('ROLLBACK TO SAVEPOINT lc_prepare');
            throw error;
          } finally {
            await target.query('RELEASE SAVEPOINT lc_prepare');
          }
        })()
      : target.query(`PREPARE ${name} AS ${statement.text}`);
    const attempt = prepare
      .then(
        () => {
          names.done.add(name);
        },
        (error: unknown) => {
          // Prepared meanwhile (an earlier call, or another handle on the same session): fine.
          if (sqlState(error) !== '42P05') throw error;
          names.done.add(name);
        },
      )
      .finally(() => names.pending.delete(name));
    names.pending.set(name, attempt);
    await attempt;
    return true;
  }

  function on(target: Pick<PGliteLike, 'query'>, inside: boolean): Queryable['query'] {
    return async <R>(statement: Statement) => {
      const values = statement.values === undefined ? [] : [...statement.values];
      let result: Awaited<ReturnType<PGliteLike['query']>>;
      if (options.prepare && statement.name !== undefined && (await ready(target, inside, statement))) {
        const args = values.length === 0 ? '' : `(${values.map(sqlLiteral).join(', ')})`;
        try {
          result = await target.query<R>(`EXECUTE ${statement.name}${args}`);
        } catch (error) {
          // Deallocated behind our back (DEALLOCATE ALL, DISCARD ALL): every name is prepared anew on
          // its next use. Outside a transaction it runs unprepared now; inside one the error aborted
          // the transaction, answered as CONFLICT so the service runs it again.
          if (sqlState(error) !== '26000') throw error;
          names.done.clear();
          if (inside) {
            throw new LicenseContactsError(
              'CONFLICT',
              'A prepared statement was dropped; nothing was changed',
              {
                cause: error,
              },
            );
          }
          result = await target.query<R>(statement.text, values);
        }
      } else {
        result = await target.query<R>(statement.text, values);
      }
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.affectedRows ?? 0 };
    };
  }

  function inTransaction(tx: Pick<PGliteLike, 'query'>): Queryable {
    const queryable: Queryable = {
      query: on(tx, true),
      transaction: (fn) => fn(queryable),
      close: async () => {},
    };
    return queryable;
  }

  return {
    query: on(db, false),
    transaction: (fn) => db.transaction((tx) => fn(inTransaction(tx))),
    async close() {
      if (options.close && !db.closed) await db.close();
    },
  };
}
