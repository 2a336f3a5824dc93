/**
 * The live side of `pnpm bench feed` in a process of its own, as a deployment runs it beside the
 * instance taking commands: another server instance on `postgresStorage` over DATABASE_URL (schema
 * LC_SCHEMA) with an SSE client of its `/events`, and a webhook sender to a receiver of its own.
 * Prints `ready` once a warm-up entry of its own has been told and delivered; on SIGTERM, what it
 * told and received since, the CPU time (µs) it used and the statements it sent since `ready`.
 */
import { createServer } from 'node:http';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpClient, createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { createWebhookSender } from '@license-contacts/core/webhooks';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { authenticate, bearer } from '../tests/http/harness';
import { listen } from './util';

/** Statements this process sent to PostgreSQL (every pool's connections), counted since `ready`. */
let statements = 0;
const open = () => {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
  });
  return postgresStorage({ pool, schema: process.env.LC_SCHEMA as string });
};

const server = createServer(
  toNodeListener(createHttpHandler(createLicenseContacts({ storage: open() }), { authenticate })),
);
const origin = await listen(server);
let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
const hooks = `${await listen(receiver)}/hooks`;
let told = 0;
createHttpClient({
  baseUrl: `${origin}/api`,
  headers: { Authorization: bearer({ email: 'ops@vendor.test', staff: true }) },
}).watch(() => told++);
// An endpoint of its own per start (ENDPOINT_ID), so each starts from the latest entry.
const sender = createWebhookSender({
  service: createLicenseContacts({ storage: open() }),
  endpoints: [
    { id: process.env.ENDPOINT_ID as string, url: hooks, secret: process.env.WEBHOOK_SECRET as string },
  ],
  start: 'latest',
});
// The SSE connection and the sender's first read settle first; then one entry of its own goes all the
// way (told over SSE, delivered as a webhook), so what is measured is the running side, not its start
// (the modules a first delivery loads, the code it first compiles).
await new Promise((resolve) => setTimeout(resolve, 500));
await createLicenseContacts({ storage: open() }).createLicense({
  id: `SEN-WARM-${process.env.ENDPOINT_ID}`,
  product: 'Warm-up',
  technical: { email: 'warm@acme.test', name: 'Warm' },
  billing: { email: 'warm@acme.test', name: 'Warm' },
});
for (let waited = 0; told === 0 || received === 0; waited += 10) {
  if (waited > 10_000) throw new Error('the warm-up entry was not told and delivered within 10 s');
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await new Promise((resolve) => setTimeout(resolve, 200));
told = 0;
received = 0;
statements = 0;
const cpu = process.cpuUsage();
console.log('ready');
process.on('SIGTERM', async () => {
  await sender.stop();
  const used = process.cpuUsage(cpu);
  console.log(`told ${told}, received ${received}, cpu ${used.user + used.system}, statements ${statements}`);
  process.exit(0);
});
