// @vitest-environment node
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLicenseContacts } from '@license-contacts/core';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { Webhook } from 'svix';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServer, dropSchema, uniqueSchema } from '../postgres/server';
import type { Child } from './processes';
import { start } from './processes';

const SECRET = `whsec_${Buffer.from('thirty-two bytes of secret here!').toString('base64')}`;
const KILLS = 100;

describeWithServer('webhook sender processes killed at random moments', (url) => {
  const schema = uniqueSchema('hooks');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const storage = postgresStorage({ pool, schema });
  const service = createLicenseContacts({ storage });
  const verifier = new Webhook(SECRET);
  /** Each verified delivery's webhook-id, in the order they arrived. */
  const deliveries: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let rejected = 0;
  let receiver: Server;

  beforeAll(async () => {
    await storage.migrate();
    receiver = createServer((req, res) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          verifier.verify(Buffer.concat(chunks).toString('utf8'), {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          });
          deliveries.push(String(req.headers['webhook-id']));
        } catch {
          rejected++;
        }
        // Takes a moment, so that kills land during deliveries too.
        setTimeout(() => {
          inFlight--;
          res.writeHead(204).end();
        }, Math.random() * 20);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await storage.close();
    await dropSchema(url, schema);
  });

  it(`delivers every entry at least once, in order, one delivery at a time, through ${KILLS} kill -9s`, async () => {
    const env = {
      DATABASE_URL: url,
      LC_SCHEMA: schema,
      WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      WEBHOOK_SECRET: SECRET,
    };
    // Entries keep coming while the senders die: 40 licenses, then a change every few milliseconds.
    for (let i = 0; i < 40; i++) {
      await service.createLicense({
        id: `SEN-${i}`,
        product: 'Jira',
        technical: { email: `t${i}@acme.test`, name: `T${i}` },
        billing: { email: 'bill@acme.test', name: 'Bill' },
      });
    }
    let writing = true;
    const writer = (async () => {
      for (let k = 0; writing && k < 400; k++) {
        await service
          .as({ email: 'ops@vendor.test', staff: true })
          .addContact(`SEN-${k % 40}`, { email: `p${k}@acme.test`, name: `P${k}`, roles: ['technical'] });
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    // Senders run side by side; one at a time is killed at a random moment and a new one started
    // without waiting for it, so kills land while others start, hold the lease or deliver.
    const senders: Child[] = await Promise.all([1, 2].map(() => start('webhookWorker.ts', env, /^ready$/)));
    const starting: Promise<void>[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 150));
      while (senders.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const victim = senders.splice(Math.floor(Math.random() * senders.length), 1)[0] as Child;
      await victim.kill('SIGKILL');
      starting.push(start('webhookWorker.ts', env, /^ready$/).then((child) => void senders.push(child)));
    }
    await Promise.all(starting);
    writing = false;
    await writer;
    const entries = await allEntries();
    const deadline = Date.now() + 60_000;
    while (new Set(deliveries).size < entries.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(senders.map((sender) => sender.kill('SIGKILL')));

    expect(rejected).toBe(0);
    expect(mostInFlight).toBe(1);
    const ids = entries.map((e) => e.id);
    expect([...new Set(deliveries)]).toEqual(ids); // every entry, first deliveries in seq order
    // At least once: a repeat is only ever the entry delivered just before (its cursor move was lost).
    let repeats = 0;
    for (let i = 1; i < deliveries.length; i++) {
      const previous = deliveries[i - 1] as string;
      const current = deliveries[i] as string;
      if (current === previous) repeats++;
      else expect(ids.indexOf(current)).toBe(ids.indexOf(previous) + 1);
    }
    console.log(
      `[webhooks] ${ids.length} entries, ${deliveries.length} deliveries (${repeats} repeats) through ${KILLS} kills`,
    );
  }, 600_000);

  async function allEntries() {
    const entries = [];
    let after: string | undefined;
    for (;;) {
      const page = await service.changes({ limit: 200, ...(after === undefined ? {} : { after }) });
      entries.push(...page.items);
      if (page.nextCursor === undefined) return entries;
      after = page.nextCursor;
    }
  }
});
