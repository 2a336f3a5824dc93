// @vitest-environment node

import type { Command } from '@license-contacts/core';
import { applyCommand, createLicenseContacts, defaultPolicy } from '@license-contacts/core';
import type { PgClientLike, PgPoolLike, PgQueryConfig } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Queryable } from '../../packages/postgres/src/queryable';
import { fromPool } from '../../packages/postgres/src/queryable';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

/** A pool of one connection that records the text of every query sent on a checked-out client. */
function recording(pool: pg.Pool): { pool: PgPoolLike; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    pool: {
      query: (config: PgQueryConfig) => pool.query(config),
      end: async () => {},
      async connect(): Promise<PgClientLike> {
        const client = await pool.connect();
        // The client itself (with its connection), only its query recorded.
        const query = client.query.bind(client);
        return Object.assign(Object.create(client) as pg.PoolClient, {
          query: (config: PgQueryConfig) => {
            sent.push(config.text);
            return query(config);
          },
          release: (error?: Error | boolean) => client.release(error),
        }) as unknown as PgClientLike;
      },
    },
  };
}

describeWithServer('transactions on pg: BEGIN and COMMIT ride with prepared statements', (url) => {
  const schema = uniqueSchema('transactions');
  const s = `"${schema}"`;
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = testPool(url, 1);
    await pool.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id integer PRIMARY KEY, note text)`);
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE ${s}.t`);
  });

  afterAll(async () => {
    await pool.end();
    await dropSchema(url, schema);
  });

  const insert = (id: number, note: string) => ({
    text: `INSERT INTO ${s}.t (id, note) VALUES ($1, $2) RETURNING id`,
    values: [id, note],
    name: 'lc_test_insert',
  });
  const count = { text: `SELECT count(*)::integer AS n FROM ${s}.t`, values: [], name: 'lc_test_count' };
  /** One transaction counting then inserting row 1: after it, the connection has both prepared. */
  const warm = (db: Queryable) =>
    db.transaction(async (tx) => {
      await tx.query(count);
      await tx.query(insert(1, 'warm'), { last: true });
    });

  it('sends BEGIN with the first prepared statement and COMMIT with the last: two round trips', async () => {
    const { pool: recorded, sent } = recording(pool);
    const db = fromPool(recorded, { close: false, prepare: true });
    // The first time, the connection prepares both statements: BEGIN and COMMIT go on their own.
    await db.transaction(async (tx) => {
      await tx.query(count);
      await tx.query(insert(1, "O'Brien \\ {a,b}"), { last: true });
    });
    expect(sent).toEqual([
      'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan',
      count.text,
      insert(1, '').text,
      'COMMIT',
    ]);
    sent.length = 0;
    const rows = await db.transaction(async (tx) => {
      const before = await tx.query<{ n: number }>(count);
      const inserted = await tx.query<{ id: number }>(insert(2, 'second'), { last: true });
      return { before: before.rows, inserted: inserted.rows, rowCount: inserted.rowCount };
    });
    expect(sent).toEqual([
      'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; EXECUTE lc_test_count',
      "EXECUTE lc_test_insert(E'2', E'second'); COMMIT",
    ]);
    expect(rows).toEqual({ before: [{ n: 1 }], inserted: [{ id: 2 }], rowCount: 1 });
    const { rows: stored } = await pool.query(`SELECT id, note FROM ${s}.t ORDER BY id`);
    expect(stored).toEqual([
      { id: 1, note: "O'Brien \\ {a,b}" },
      { id: 2, note: 'second' },
    ]);
    // The generic plans were for that transaction only: the connection is as it was.
    const { rows: setting } = await pool.query('SHOW plan_cache_mode');
    expect(setting).toEqual([{ plan_cache_mode: 'auto' }]);
  });

  it('rolls everything back when the statement sent with COMMIT fails, and the connection stays usable', async () => {
    const db = fromPool(pool, { close: false, prepare: true });
    await warm(db);
    const failed = db.transaction(async (tx) => {
      await tx.query(count);
      await tx.query(insert(2, 'kept?'));
      await tx.query(insert(1, 'duplicate'), { last: true });
    });
    await expect(failed).rejects.toMatchObject({ code: '23505' });
    const { rows } = await pool.query(`SELECT id FROM ${s}.t ORDER BY id`);
    expect(rows).toEqual([{ id: 1 }]);
    // Not left inside an aborted transaction: the next statement on the one connection works.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('is committed once the last statement succeeds: a later throw undoes nothing, and nothing may follow', async () => {
    const db = fromPool(pool, { close: false, prepare: true });
    await warm(db);
    const thrown = db.transaction(async (tx) => {
      await tx.query(count);
      await tx.query(insert(2, 'committed'), { last: true });
      await expect(tx.query(count)).rejects.toThrow('already committed');
      throw new Error('after the commit');
    });
    await expect(thrown).rejects.toThrow('after the commit');
    const { rows } = await pool.query(`SELECT id FROM ${s}.t ORDER BY id`);
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('answers CONFLICT, and stops sending EXECUTE, when the server does not know a statement pg prepared', async () => {
    const { pool: recorded, sent } = recording(pool);
    const db = fromPool(recorded, { close: false, prepare: true });
    await warm(db);
    // As behind a pooler that keeps prepared statements under names of its own: pg still thinks it
    // prepared the statement on this connection, the server has no such name.
    await pool.query('DEALLOCATE lc_test_count');
    const failed = db.transaction(async (tx) => {
      await tx.query(count);
      await tx.query(insert(2, 'lost'), { last: true });
    });
    await expect(failed).rejects.toMatchObject({ code: 'CONFLICT', cause: { code: '26000' } });
    sent.length = 0;
    await db.transaction(async (tx) => {
      await tx.query(insert(3, 'plain'), { last: true });
    });
    expect(sent).toEqual([
      'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan',
      insert(3, '').text,
      'COMMIT',
    ]);
    expect((await pool.query(`SELECT id FROM ${s}.t ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 3 }]);
    // The connection is usable and outside any transaction.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.query(`PREPARE lc_test_count AS ${count.text}`); // as pg believes it is, for what follows
  });

  it('keeps BEGIN and COMMIT apart with prepare: false (no EXECUTE, no plan setting)', async () => {
    const { pool: recorded, sent } = recording(pool);
    const db = fromPool(recorded, { close: false, prepare: false });
    for (let i = 1; i <= 2; i++) {
      await db.transaction(async (tx) => {
        await tx.query(count);
        await tx.query(insert(i, 'plain'), { last: true });
      });
    }
    expect(sent.filter((text) => text.includes('EXECUTE') || text.includes('plan_cache_mode'))).toEqual([]);
    expect(sent.filter((text) => text === 'BEGIN' || text === 'COMMIT')).toHaveLength(4);
    expect((await pool.query(`SELECT count(*)::integer AS n FROM ${s}.t`)).rows).toEqual([{ n: 2 }]);
  });

  it('runs a command on the row-lock path in two round trips once its statements are prepared', async () => {
    const { pool: recorded, sent } = recording(pool);
    const storageSchema = `${schema}_storage`;
    const storage = postgresStorage({ pool: recorded, schema: storageSchema });
    try {
      await storage.migrate();
      const service = createLicenseContacts({ storage });
      await service.createLicense({ id: 'SEN-1', product: 'Jira', technical: alice, billing: bob });
      const locked = storage.locked?.bind(storage);
      if (!locked) throw new Error('postgresStorage declares locked');
      /** Adds one person under the row lock, as the service's row-lock path does. */
      const add = (email: string) =>
        locked(['SEN-1'], (found) => {
          const license = found.get('SEN-1');
          if (!license) throw new Error('SEN-1 is missing');
          const command: Command = { type: 'addContact', input: { email, name: 'C', roles: ['technical'] } };
          const applied = applyCommand(license, command, alice, defaultPolicy, new Date().toISOString());
          if (!applied) throw new Error('nothing to add');
          return {
            value: applied.license,
            commit: {
              writes: [{ license: applied.license, expectedVersion: license.version }],
              audit: [applied.entry],
            },
          };
        });
      // The first two prepare the lock-and-read and the one-person write on the one connection.
      await add('c1@acme.test');
      await add('c2@acme.test');
      sent.length = 0;
      const added = await add('c3@acme.test');
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatch(/^BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; EXECUTE lc_\w+\(/);
      expect(sent[1]).toMatch(/^EXECUTE lc_\w+\(.*\); COMMIT$/s);
      expect(added.entries.map((entry) => entry.version)).toEqual([4]);
      const stored = await service.findLicense('SEN-1');
      expect(stored?.technical).toEqual([alice.email, 'c1@acme.test', 'c2@acme.test', 'c3@acme.test']);
      expect(stored).toEqual(added.value);
    } finally {
      await dropSchema(url, storageSchema);
    }
  });
});
