import type { License } from '@license-contacts/core';

/** Anything that runs a parameterised statement: a `pg` pool or client, or PGlite. */
export interface Runs {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

const PRODUCTS = ['Jira Software', 'Confluence', 'Bitbucket', 'Jira Service Management', 'Bamboo'];
/** How many distinct main technical and main billing people the seed spreads over the licenses. */
export const TECH_PEOPLE = 25_000;
export const BILLING_PEOPLE = 10_000;

/** The id of seeded license number `i` (1-based). */
export const seededId = (i: number) => `SEN-${String(i).padStart(7, '0')}`;

/**
 * License `i` as the seed writes it: a main technical person shared by every TECH_PEOPLE-th license,
 * a main billing person shared by every BILLING_PEOPLE-th, and a second technical contact of its own.
 * The model the tests and benchmarks check the database against.
 */
export function seededLicense(i: number): License {
  const tech = `tech${i % TECH_PEOPLE}@company${i % 500}.test`;
  const bill = `bill${i % BILLING_PEOPLE}@company${i % 500}.test`;
  const own = `own${i}@company${i % 500}.test`;
  return {
    id: seededId(i),
    product: PRODUCTS[i % PRODUCTS.length] as string,
    edition: 'Data Center',
    seats: 10 + (i % 1000),
    expiresAt: '2027-03-01',
    contacts: [
      { email: tech, name: `Tech ${i % TECH_PEOPLE}`, roles: ['technical'] },
      { email: bill, name: `Bill ${i % BILLING_PEOPLE}`, roles: ['billing'] },
      { email: own, name: `Own ${i}`, roles: ['technical'] },
    ],
    technical: [tech, own],
    billing: [bill],
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/**
 * Seeds `count` licenses and three contact rows each with set-based SQL (generate_series), exactly as
 * `seededLicense` describes them, then refreshes the planner's statistics.
 */
export async function seedLicenses(db: Runs, schema: string, count: number): Promise<void> {
  const s = `"${schema}"`;
  const products = `ARRAY[${PRODUCTS.map((p) => `'${p}'`).join(', ')}]`;
  await db.query(
    `INSERT INTO ${s}.licenses (id, product, edition, seats, expires_at, version, updated_at)
     SELECT 'SEN-' || lpad(i::text, 7, '0'), (${products})[1 + i % ${PRODUCTS.length}], 'Data Center', 10 + i % 1000,
       '2027-03-01', 1, '2026-01-01T00:00:00Z'::timestamptz
     FROM generate_series(1, $1::integer) AS i`,
    [count],
  );
  await db.query(
    `INSERT INTO ${s}.license_contacts (license_id, role, email, position, joined, name)
     SELECT 'SEN-' || lpad(i::text, 7, '0'), r.role, r.email, r.position, r.joined, r.name
     FROM generate_series(1, $1::integer) AS i
     CROSS JOIN LATERAL (VALUES
       ('technical', 'tech' || (i % ${TECH_PEOPLE}) || '@company' || (i % 500) || '.test', 0, 0, 'Tech ' || (i % ${TECH_PEOPLE})),
       ('billing', 'bill' || (i % ${BILLING_PEOPLE}) || '@company' || (i % 500) || '.test', 0, 1, 'Bill ' || (i % ${BILLING_PEOPLE})),
       ('technical', 'own' || i || '@company' || (i % 500) || '.test', 1, 2, 'Own ' || i)
     ) AS r (role, email, position, joined, name)`,
    [count],
  );
  await db.query(`ANALYZE ${s}.licenses`);
  await db.query(`ANALYZE ${s}.license_contacts`);
}
