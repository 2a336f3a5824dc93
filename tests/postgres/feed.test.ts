// @vitest-environment node
import type { AuditEntry } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { PgPoolLike } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

describeWithServer('PostgreSQL server change feed', (url) => {
  const schema = uniqueSchema('feed');
  const INSTANCES = 20;
  const PER_INSTANCE = 10;
  // Twenty processes: a pool and a service each, all on one database.
  const storages = Array.from({ length: INSTANCES + 1 }, () =>
    postgresStorage({ pool: testPool(url, 2), schema }),
  );
  const staff = { email: 'ops@vendor.test', staff: true };

  beforeAll(async () => {
    await (storages[0] as (typeof storages)[number]).migrate();
  });

  afterAll(async () => {
    await Promise.all(storages.map((storage) => storage.close()));
    await dropSchema(url, schema);
  });

  it(`a reader paging with after while ${INSTANCES} instances commit gets every entry exactly once, in order`, async () => {
    const services = storages.slice(0, INSTANCES).map((storage) => createLicenseContacts({ storage }));
    const reader = storages[INSTANCES] as (typeof storages)[number];
    for (let i = 0; i < INSTANCES; i++) {
      await (services[0] as (typeof services)[number]).createLicense({
        id: `SEN-${i}`,
        product: 'Jira',
        technical: { email: `tech${i}@acme.test`, name: `Tech ${i}` },
        billing: { email: 'bill@acme.test', name: 'Bill' },
      });
    }
    const start = (await reader.listChanges({ limit: 1000 })).items;
    expect(start).toHaveLength(INSTANCES);

    let writing = true;
    const seen: AuditEntry[] = [];
    let after = start.at(-1)?.seq as string;
    let pages = 0;
    const readOnce = async () => {
      const page = await reader.listChanges({ after, limit: 13 });
      pages++;
      seen.push(...page.items);
      if (page.items.length > 0) after = (page.items.at(-1) as AuditEntry).seq;
      return page.items.length;
    };
    const reading = (async () => {
      while (writing) await readOnce();
      while ((await readOnce()) > 0);
    })();
    // Each instance adds people to its own license and to its neighbour's, so commits of different
    // transactions overlap in time and some of them race for the same row.
    const results = await Promise.allSettled(
      services.flatMap((service, i) =>
        Array.from({ length: PER_INSTANCE }, (_, k) =>
          service.as(staff).addContact(`SEN-${(i + (k % 2)) % INSTANCES}`, {
            email: `p${i}-${k}@acme.test`,
            name: `P ${i} ${k}`,
            roles: ['technical'],
          }),
        ),
      ),
    );
    writing = false;
    await reading;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const seqs = seen.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort()).toEqual(seqs);
    expect(seen).toHaveLength(INSTANCES * PER_INSTANCE);
    const everything = [...start, ...seen];
    for (let i = 0; i < INSTANCES; i++) {
      const license = await reader.getLicense(`SEN-${i}`);
      const versions = everything.filter((e) => e.licenseId === `SEN-${i}`).map((e) => e.version);
      expect(versions).toEqual(Array.from({ length: license?.version ?? 0 }, (_, v) => v + 1));
    }
    // The reader really read while the writers wrote: many pages, not one at the end.
    expect(pages).toBeGreaterThan(5);
  }, 120_000);
});

describeWithServer('PostgreSQL server storage close', (url) => {
  const schema = uniqueSchema('close');

  /** Waits until `predicate` holds or 10 s passed (the assertions after it tell which). */
  async function until(predicate: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** A storage writing on `pool` (the schema migrated), its service, and a license `prefix-…` of Tech's. */
  async function licenseOn(pool: pg.Pool, prefix: string) {
    const writer = postgresStorage({ pool, schema });
    await writer.migrate();
    const service = createLicenseContacts({ storage: writer });
    const id = `${prefix}-${Date.now()}`;
    const person = { email: 'tech@acme.test', name: 'Tech' };
    await service.createLicense({ id, product: 'Jira', technical: person, billing: person });
    return { writer, service, id, person };
  }

  /** `pool` as the pool a watch listens through, each connection shown to `prepare` first. */
  function listenPoolOf(pool: pg.Pool, prepare: (client: pg.PoolClient) => void): PgPoolLike {
    return {
      query: (config) => pool.query(config),
      connect: async () => {
        const client = await pool.connect();
        prepare(client);
        return client;
      },
      end: async () => {},
    };
  }

  afterAll(async () => {
    await dropSchema(url, schema);
  });

  it('ends the watches a subscribed service runs, so the pool ends instead of waiting for them', async () => {
    const pool = testPool(url, 2);
    const storage = postgresStorage({ pool, schema });
    await storage.migrate();
    const service = createLicenseContacts({ storage });
    const unsubscribe = service.subscribe(() => {});
    // The service's watch holds one LISTEN connection of the pool until the storage closes.
    await until(() => pool.totalCount - pool.idleCount === 1);
    expect(pool.totalCount - pool.idleCount).toBe(1);
    unsubscribe();
    const closed = await Promise.race([
      storage.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
    ]);
    expect(closed).toBe('closed');
    expect(pool.totalCount).toBe(0);
  });

  it('a notification names only a seq, and a forged one makes a watch tell nothing that is not in the feed', async () => {
    // Its own application name: other test files' watches run on the same server.
    const name = `lc-forged-${process.pid}`;
    const pool = new pg.Pool({ connectionString: url, max: 3, application_name: name });
    const storage = postgresStorage({ pool, schema });
    await storage.migrate();
    const service = createLicenseContacts({ storage });
    const id = `SEN-NOTE-${Date.now()}`;
    await service.createLicense({
      id,
      product: 'Jira',
      technical: { email: 'tech@acme.test', name: 'Tech' },
      billing: { email: 'bill@acme.test', name: 'Bill' },
    });
    const told: AuditEntry[] = [];
    const watch = await (storage.watch as NonNullable<typeof storage.watch>)((entry) => told.push(entry));
    // The channel, as the watch's session listens to it.
    const { rows } = await pool.query(
      `SELECT query FROM pg_stat_activity WHERE query LIKE 'LISTEN "lc_feed_%' AND application_name = $1`,
      [name],
    );
    const channel = /LISTEN "([^"]+)"/.exec(rows[0]?.query ?? '')?.[1] as string;
    // Another session listens too: anyone who can connect may.
    const eavesdropper = await pool.connect();
    const heard: string[] = [];
    eavesdropper.on('notification', (message) => heard.push(message.payload ?? ''));
    await eavesdropper.query(`LISTEN "${channel}"`);
    try {
      const forged = JSON.stringify([
        [
          id,
          2,
          '2026-01-01T00:00:00.000Z',
          'evil@x.test',
          true,
          'removeContact',
          'tech@acme.test',
          'technical',
          null,
          '[]',
          null,
        ],
      ]);
      await pool.query('SELECT pg_notify($1, $2)', [channel, `${watch.position} ${forged}`]);
      await service
        .as({ email: 'tech@acme.test' })
        .addContact(id, { email: 'new@acme.test', name: 'New', roles: ['billing'] });
      await until(() => told.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const feed = await storage.listChanges({ limit: 10, after: watch.position as string });
      expect(told).toEqual(feed.items);
      expect(told.map((e) => [e.action, e.actor])).toEqual([['addContact', 'tech@acme.test']]);
      // What a commit's notification says: its seq, nothing of its entries.
      expect(heard.at(-1)).toMatch(/^\d+$/);
    } finally {
      watch.close();
      eavesdropper.release();
      await storage.close();
    }
  });

  it('a commit notified while a watch reads where it starts is not a reason to tell the feed from its beginning', async () => {
    const pool = testPool(url, 3);
    const { writer, service, id, person } = await licenseOn(pool, 'SEN-GATE');
    // The watching storage's read of where the feed ends waits; a commit lands meanwhile.
    let committing: Promise<unknown> | undefined;
    const watching = postgresStorage({
      pool: {
        query: async (config) => {
          if (/SELECT seq::text AS seq FROM/.test((config as { text: string }).text)) {
            committing = service
              .as(person)
              .addContact(id, { email: 'during@acme.test', name: 'During', roles: ['billing'] });
            await committing;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return pool.query(config);
        },
        connect: () => pool.connect(),
        end: async () => {},
      },
      schema,
    });
    const told: AuditEntry[] = [];
    const watch = await (watching.watch as NonNullable<typeof watching.watch>)((entry) => told.push(entry));
    try {
      await committing;
      await service
        .as(person)
        .addContact(id, { email: 'after@acme.test', name: 'After', roles: ['billing'] });
      await until(() => told.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Only what committed after the position it answered.
      expect(told.map((e) => e.email)).toEqual(['after@acme.test']);
    } finally {
      watch.close();
      await writer.close();
    }
  });

  it('a watch reads a burst of commits by polling, LISTEN paused, tells each entry once in order, then listens again', async () => {
    const pool = testPool(url, 3);
    const { writer, service, id, person } = await licenseOn(pool, 'SEN-BURST');
    // The notifications the watch's own listening connection receives.
    let notifications = 0;
    const watching = postgresStorage({
      pool,
      listenPool: listenPoolOf(pool, (client) => client.on('notification', () => notifications++)),
      schema,
      watchGapMs: 50,
    });
    const told: AuditEntry[] = [];
    const watch = await (watching.watch as NonNullable<typeof watching.watch>)((entry) => told.push(entry));
    try {
      const BURST = 60;
      for (let i = 0; i < BURST; i++) {
        await service
          .as(person)
          .addContact(id, { email: `b${i}@acme.test`, name: `B ${i}`, roles: ['billing'] });
      }
      await until(() => told.length >= BURST);
      const feed = (
        await writer.listChanges({
          limit: 500,
          ...(watch.position === undefined ? {} : { after: watch.position }),
        })
      ).items;
      expect(told.map((e) => e.id)).toEqual(feed.map((e) => e.id));
      expect(told).toHaveLength(BURST);
      // One commit in fifty milliseconds is notified at most: the first and those before the pause took effect.
      expect(notifications).toBeLessThan(BURST / 4);
      // Once a read found nothing, it listens again: a lone commit is notified and told.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = notifications;
      await service.as(person).addContact(id, { email: 'lone@acme.test', name: 'Lone', roles: ['billing'] });
      await until(() => told.length > BURST);
      expect(told.at(-1)?.email).toBe('lone@acme.test');
      expect(notifications).toBe(before + 1);
    } finally {
      watch.close();
      await writer.close();
    }
  });

  it('a watch whose LISTEN after a burst is refused (the connection still up) replaces the connection and goes on telling', async () => {
    const pool = testPool(url, 4);
    const { writer, service, id, person } = await licenseOn(pool, 'SEN-RESUME');
    let listens = 0;
    let connects = 0;
    const errors: unknown[] = [];
    const watching = postgresStorage({
      pool,
      listenPool: listenPoolOf(pool, (client) => {
        connects++;
        const query = client.query.bind(client) as (config: { text: string }) => Promise<unknown>;
        (client as unknown as { query: unknown }).query = (config: { text: string }) => {
          // The second LISTEN (the one after the burst) is refused, as a query timeout or a cancel
          // refuses it; the connection stays up.
          if (config.text.startsWith('LISTEN') && ++listens === 2) {
            return Promise.reject(new Error('Query read timeout'));
          }
          return query(config);
        };
      }),
      schema,
      watchGapMs: 50,
    });
    const told: AuditEntry[] = [];
    const watch = await (watching.watch as NonNullable<typeof watching.watch>)((entry) => told.push(entry), {
      onError: (error) => errors.push(error),
    });
    try {
      for (let i = 0; i < 20; i++) {
        await service
          .as(person)
          .addContact(id, { email: `r${i}@acme.test`, name: `R ${i}`, roles: ['billing'] });
      }
      await until(() => told.length >= 20 && connects === 2);
      expect(told).toHaveLength(20);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await service.as(person).addContact(id, { email: 'lone@acme.test', name: 'Lone', roles: ['billing'] });
      await until(() => told.length > 20);
      expect(told.map((e) => e.email).slice(-1)).toEqual(['lone@acme.test']);
      expect(new Set(told.map((e) => e.id)).size).toBe(21);
      expect({ connects, errors: errors.length }).toEqual({ connects: 2, errors: 1 });
    } finally {
      watch.close();
      await writer.close();
    }
  });

  it('a watch that cannot read where the feed ends fails to start and lets its LISTEN connection go', async () => {
    const name = `lc-unstarted-${process.pid}`;
    const pool = new pg.Pool({ connectionString: url, max: 2, application_name: name });
    const setup = postgresStorage({ pool, schema });
    await setup.migrate();
    // Statements on the pool fail; the listening connection is taken out of it and works.
    const storage = postgresStorage({
      pool: {
        query: () => Promise.reject(new Error('the server is busy')),
        connect: () => pool.connect(),
        end: async () => {},
      },
      listenPool: pool,
      schema,
    });
    const watch = storage.watch as NonNullable<typeof storage.watch>;
    await expect(watch(() => {})).rejects.toMatchObject({ code: 'STORAGE' });
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // Nothing listens on: a commit notifies no one.
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND application_name = $1`,
      [name],
    );
    expect(rows[0].n).toBe(0);
    await pool.end();
  });
});
