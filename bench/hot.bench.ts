/**
 * `pnpm bench hot`: one hot license on a real PostgreSQL, twenty instances (each its own pool of four
 * connections) adding distinct people at once, through the service on the row-lock path against
 * hand-written transactions doing the same on the same pools:
 *
 * - `BEGIN; SELECT … FOR UPDATE; INSERT contact; UPDATE license; COMMIT` (the baseline), and
 * - the same with the audit entry and the change feed's part, as the adapter writes them.
 *
 * The service runs the commands queued behind a license's turn in one instance together, in one
 * transaction; the bench prints how many transactions its rounds took. Rounds alternate the sides,
 * each on a fresh license; every ratio is min / median / max over the rounds. The server is DATABASE_URL, or a throwaway PostgreSQL 15 this file starts.
 */
import { performance } from 'node:perf_hooks';
import type { LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { feedAuditStatement } from './postgres.bench';
import { benchDatabase, formatSpread, inTransaction, spread } from './util';

const INSTANCES = 20;
const ADDS = 200;
const ROUNDS = 5;
const alice = { email: 'alice@acme.test', name: 'Alice' };
const bob = { email: 'bob@acme.test', name: 'Bob' };

/** Adds per second when `add(instance, i)` runs ADDS times at once, spread over the instances. */
async function burst(add: (instance: number, i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: ADDS }, (_, i) => add(i % INSTANCES, i)));
  return ADDS / ((performance.now() - start) / 1000);
}

export default async function (): Promise<void> {
  const database = await benchDatabase('hot license');
  if (!database) return;
  const url = database.url;
  const schema = `lc_hot_${process.pid}`;
  const s = `"${schema}"`;
  const pools = Array.from({ length: INSTANCES }, () => new pg.Pool({ connectionString: url, max: 4 }));
  /** Transactions the services began (each checks a connection out). */
  let transactions = 0;
  const storages: PostgresStorage[] = pools.map((pool) =>
    postgresStorage({
      pool: {
        query: (c) => pool.query(c),
        connect: () => {
          transactions++;
          return pool.connect();
        },
        end: async () => {},
      },
      schema,
    }),
  );
  try {
    await (storages[0] as PostgresStorage).migrate();
    const services: LicenseContacts[] = storages.map((storage) => createLicenseContacts({ storage }));
    const setup = services[0] as LicenseContacts;
    let licenses = 0;
    const fresh = async () => {
      const id = `SEN-HOT-${++licenses}`;
      await setup.createLicense({ id, product: 'Jira', technical: alice, billing: bob });
      return id;
    };

    /** Transactions of each service round: commands queued behind a license's turn share one. */
    const serviceTransactions: number[] = [];
    const subject = async () => {
      const id = await fresh();
      const before = transactions;
      const rate = await burst(async (instance, i) => {
        await (services[instance] as LicenseContacts)
          .as(alice)
          .addContact(id, { email: `p${i}@acme.test`, name: `P ${i}`, roles: ['technical'] });
      });
      serviceTransactions.push(transactions - before);
      return rate;
    };

    const feedAudit = feedAuditStatement(s);
    /** The same add by hand: the row locked, the contact row, the license row (and the entry). */
    const handWritten = (withEntry: boolean) => async () => {
      const id = await fresh();
      return burst(async (instance, i) => {
        await inTransaction(pools[instance] as pg.Pool, async (client) => {
          const q = (text: string, values: unknown[]) =>
            client.query({ name: `hot_${text.length}_${text.charCodeAt(20)}`, text, values });
          const { rows } = await q(`SELECT version FROM ${s}.licenses WHERE id = $1 FOR UPDATE`, [id]);
          const version = Number(rows[0].version);
          const email = `p${i}@acme.test`;
          // Positions follow from the version: each add is one technical contact more.
          await q(
            `INSERT INTO ${s}.license_contacts (license_id, role, email, position, joined, name) VALUES ($1, 'technical', $2, $3, $4, $5)`,
            [id, email, version, version + 1, `P ${i}`],
          );
          const at = new Date().toISOString();
          if (withEntry) {
            const change = {
              email,
              name: `P ${i}`,
              before: null,
              after: { roles: ['technical'], technical: version },
            };
            await q(feedAudit, [
              id,
              version + 1,
              at,
              alice.email,
              'addContact',
              email,
              'technical',
              JSON.stringify([change]),
              true,
              false,
            ]);
          }
          await q(`UPDATE ${s}.licenses SET version = $2, updated_at = $3::timestamptz WHERE id = $1`, [
            id,
            version + 1,
            at,
          ]);
        });
      });
    };

    const sides = { service: subject, bare: handWritten(false), entry: handWritten(true) };
    for (const side of Object.values(sides)) await side(); // warm up: connections, plans, caches
    const rates: Record<keyof typeof sides, number[]> = { service: [], bare: [], entry: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const names = Object.keys(sides) as (keyof typeof sides)[];
      const order = round % 2 === 0 ? names : names.reverse();
      for (const name of order) rates[name].push(await sides[name]());
    }
    // Every side made exactly ADDS versions of its license: check the last one before reporting.
    const check = await setup.findLicense(`SEN-HOT-${licenses}`);
    if (check?.version !== ADDS + 1)
      throw new Error(`a round left version ${check?.version}, not ${ADDS + 1}`);

    const ratio = (a: number[], b: number[]) => a.map((x, i) => x / (b[i] as number));
    const median = (values: number[]) => spread(values).median.toFixed(0);
    console.log(
      `hot license, ${INSTANCES} instances x 4 connections, ${ADDS} concurrent adds per round, ${ROUNDS} interleaved rounds: ` +
        `adds/s (median) service ${median(rates.service)}; hand-written FOR UPDATE ${median(rates.bare)}; ` +
        `hand-written FOR UPDATE with the entry and the feed's part ${median(rates.entry)}`,
    );
    console.log(
      `hot license: ratio (min / median / max) service vs hand-written FOR UPDATE ${formatSpread(ratio(rates.service, rates.bare))}; ` +
        `vs the same with the entry ${formatSpread(ratio(rates.service, rates.entry))}`,
    );
    const measured = serviceTransactions.slice(1); // the rounds, not the warm-up
    console.log(
      `hot license: the service's transactions per round of ${ADDS} adds (min / median / max) ${formatSpread(measured, 0)} ` +
        `(the hand-written sides: ${ADDS}, one per add)`,
    );
    console.log('goal: service >= 0.80 of hand-written BEGIN; SELECT … FOR UPDATE; INSERT; UPDATE; COMMIT');
  } finally {
    await pools[0]?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
    await Promise.all(pools.map((pool) => pool.end()));
    await database.release();
  }
}
