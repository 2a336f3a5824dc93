// @vitest-environment node

import type { License } from '@license-contacts/core';
import { createLicenseContacts, matchesQuery } from '@license-contacts/core';
import type { PgPoolLike, PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { BILLING_PEOPLE, seededId, seededLicense, seedLicenses, TECH_PEOPLE } from './seed';
import { describeWithServer, dropSchema, testPool, uniqueSchema } from './server';

const LICENSES = 100_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** Seeded licenses matching a predicate, in id order: the model of a query. */
function seeded(predicate: (license: License) => boolean, limit = Number.POSITIVE_INFINITY): License[] {
  const found: License[] = [];
  for (let i = 1; i <= LICENSES && found.length < limit; i++) {
    const license = seededLicense(i);
    if (predicate(license)) found.push(license);
  }
  return found;
}

describeWithServer(`PostgreSQL server with ${LICENSES.toLocaleString('en')} licenses`, (url) => {
  const schema = uniqueSchema('scale');
  let pool: pg.Pool;
  let storage: PostgresStorage;
  /** The statements the adapter sent since the last test began, with their parameters. */
  const sent: { text: string; params: unknown[] }[] = [];

  beforeAll(async () => {
    pool = testPool(url);
    // The same pool, recording what the adapter sends, so the tests can EXPLAIN exactly that.
    const recording: PgPoolLike = {
      query: (config) => {
        sent.push({ text: config.text, params: config.values ?? [] });
        return pool.query(config);
      },
      connect: () => pool.connect(),
      end: () => pool.end(),
    };
    storage = postgresStorage({ pool: recording, schema });
    await storage.migrate();
    await seedLicenses(pool, schema, LICENSES);
  }, 120_000);

  beforeEach(() => {
    sent.length = 0;
  });

  afterAll(async () => {
    await pool.end();
    await dropSchema(url, schema);
  });

  /** The plan nodes of the statement the adapter sent last. */
  async function planOfLast(): Promise<PlanNode[]> {
    const last = sent.at(-1) ?? expect.unreachable();
    const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${last.text}`,
      last.params,
    );
    return nodesOf((rows[0] ?? expect.unreachable())['QUERY PLAN'][0].Plan);
  }

  function expectNoSeqScan(nodes: PlanNode[]): void {
    const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
    expect(seqScans.filter((r) => r === 'licenses' || r === 'license_contacts')).toEqual([]);
  }

  it('holds the seeded rows', async () => {
    const { rows } = await pool.query<{ licenses: number; contacts: number }>(
      `SELECT (SELECT count(*) FROM "${schema}".licenses)::integer AS licenses,
              (SELECT count(*) FROM "${schema}".license_contacts)::integer AS contacts`,
    );
    expect(rows[0]).toEqual({ licenses: LICENSES, contacts: 3 * LICENSES });
  });

  it('finds the licenses of a person through the email index, whole and in id order', async () => {
    const email = `tech123@company123.test`;
    const page = await storage.listLicenses({ email, limit: 50 });
    const expected = seeded((l) => l.technical[0] === email);
    expect(expected.length).toBe(LICENSES / TECH_PEOPLE);
    expect(JSON.parse(JSON.stringify(page.items))).toEqual(expected);
    expect(page.nextCursor).toBeUndefined();

    const nodes = await planOfLast();
    expectNoSeqScan(nodes);
    expect(nodes.some((n) => n['Index Name'] === 'license_contacts_email_idx')).toBe(true);
  });

  it('pages through the licenses of a person completely', async () => {
    const email = `bill77@company77.test`;
    const ids: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await storage.listLicenses({ email, limit: 3, ...(after === undefined ? {} : { after }) });
      ids.push(...page.items.map((l) => l.id));
      after = page.nextCursor;
      if (after === undefined) break;
    }
    expect(ids).toEqual(seeded((l) => l.billing[0] === email).map((l) => l.id));
    expect(ids).toHaveLength(LICENSES / BILLING_PEOPLE);
    expectNoSeqScan(await planOfLast());
  });

  it('reads one license through the primary key and the contacts key', async () => {
    const license = await storage.getLicense(seededId(54_321));
    expect(JSON.parse(JSON.stringify(license))).toEqual(seededLicense(54_321));
    const nodes = await planOfLast();
    expectNoSeqScan(nodes);
    expect(nodes.some((n) => n['Index Name'] === 'licenses_pkey')).toBe(true);
    expect(nodes.some((n) => n['Index Name'] === 'license_contacts_pkey')).toBe(true);
  });

  it('pages through every license (staff) along the primary key', async () => {
    const page = await storage.listLicenses({ limit: 50, after: seededId(70_000) });
    expect(page.items.map((l) => l.id)).toEqual(Array.from({ length: 50 }, (_, i) => seededId(70_001 + i)));
    expect(page.nextCursor).toBe(seededId(70_050));
    const nodes = await planOfLast();
    expectNoSeqScan(nodes);
    expect(nodes.some((n) => n['Index Name'] === 'licenses_pkey')).toBe(true);
  });

  it('answers a search by id or product with the right rows (a filtered scan: no trigram index)', async () => {
    const byId = await storage.listLicenses({ query: 'sen-0004321', limit: 10 });
    expect(byId.items.map((l) => l.id)).toEqual(
      seeded((l) => l.id.toLowerCase().includes('sen-0004321')).map((l) => l.id),
    );
    expect(byId.items.map((l) => l.id)).toContain('SEN-0004321');

    const byProduct = await storage.listLicenses({ query: 'BAMBOO', limit: 5 });
    expect(byProduct.items.map((l) => l.id)).toEqual(
      seeded((l) => l.product === 'Bamboo', 5).map((l) => l.id),
    );
    expect(byProduct.nextCursor).toBe(byProduct.items.at(-1)?.id);

    const email = 'bill4242@company242.test';
    const mine = await storage.listLicenses({ email, query: 'OWN14242', limit: 50 });
    const expected = seeded((l) => l.billing[0] === email && matchesQuery(l, 'own14242')).map((l) => l.id);
    expect(expected).toEqual(['SEN-0014242']);
    expect(mine.items.map((l) => l.id)).toEqual(expected);
    // Within one person's licenses the search still starts from the email index.
    expectNoSeqScan(await planOfLast());
  });

  it('writes through the service at scale and the new contact finds the license at once', async () => {
    const service = createLicenseContacts({ storage });
    const id = seededId(99_999);
    const owner = seededLicense(99_999).technical[0] as string;
    await service
      .as({ email: owner })
      .addContact(id, { email: 'newbie@company499.test', name: 'Newbie', roles: ['billing'] });
    const page = await storage.listLicenses({ email: 'newbie@company499.test', limit: 10 });
    expect(page.items.map((l) => l.id)).toEqual([id]);
    expect(page.items[0]?.billing).toEqual([seededLicense(99_999).billing[0], 'newbie@company499.test']);
    expect(page.items[0]?.version).toBe(2);
  });
});
