/**
 * The live side of `pnpm bench feed` in a process of its own, as a deployment runs it beside the
 * instance taking commands: another instance on `postgresStorage` over DATABASE_URL (schema
 * LC_SCHEMA) whose staff `watch` has a listener (LIVE_PARTS=watch), or which serves an SSE client
 * of its `/events` over HTTP (LIVE_PARTS=sse, the default), and whose webhook sender delivers to a
 * receiver of its own: one service, one storage watch, for all of it. LIVE_PARTS=none is the
 * control: the process, its instance and its server up, but no listener and no sender. SAVE_MS is
 * the sender's `saveMs` (default its own).
 *
 * The process stays up for the whole bench, as a deployment's does (its code warm); SIGHUP takes
 * the live parts down (the SSE client, the sender, the instance and their connections: nothing is
 * left running; not SIGUSR1, on which Node.js starts its inspector) and prints what they told and received, the CPU time (µs) the process used and the
 * statements it sent while they were up; SIGUSR2 brings them up again. Each time they are up, one
 * entry of their own has been told and delivered before it prints `up`.
 */
import { createServer } from 'node:http';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpClient, createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { createWebhookSender } from '@license-contacts/core/webhooks';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { authenticate, bearer } from '../tests/http/harness';
import { listen } from './util';

/** Statements this process sent to PostgreSQL (every pool's connections). */
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
let ups = 0;
const staff = { email: 'ops@vendor.test', staff: true };

/** Brings the live parts up and answers the function that takes them down, each time anew. */
async function up(): Promise<() => Promise<void>> {
  const id = `${process.env.ENDPOINT_ID}-${++ups}`;
  // One instance (one storage, one watch) serves the watch or SSE client and sends the webhooks.
  const storage = open();
  const instance = createLicenseContacts({ storage });
  const server = createServer(toNodeListener(createHttpHandler(instance, { authenticate })));
  const origin = await listen(server);
  const parts = process.env.LIVE_PARTS ?? 'sse';
  const stopWatching =
    parts === 'none'
      ? () => {}
      : parts === 'watch'
        ? instance.as(staff).watch(() => told++)
        : createHttpClient({ baseUrl: `${origin}/api`, headers: { Authorization: bearer(staff) } }).watch(
            () => told++,
          );
  // An endpoint of its own each time, so each starts from the latest entry.
  const sender =
    parts === 'none'
      ? { stop: async () => {} }
      : createWebhookSender({
          service: instance,
          endpoints: [{ id, url: hooks, secret: process.env.WEBHOOK_SECRET as string }],
          start: 'latest',
          ...(process.env.SAVE_MS === undefined ? {} : { saveMs: Number(process.env.SAVE_MS) }),
        });
  // The SSE connection and the sender's first read settle first; then one entry of its own goes all
  // the way (told over SSE, delivered as a webhook), so what is measured is the running side.
  await new Promise((resolve) => setTimeout(resolve, 500));
  told = 0;
  received = 0;
  const warm = open();
  await createLicenseContacts({ storage: warm }).createLicense({
    id: `SEN-WARM-${id}`,
    product: 'Warm-up',
    technical: { email: 'warm@acme.test', name: 'Warm' },
    billing: { email: 'warm@acme.test', name: 'Warm' },
  });
  await warm.close();
  for (let waited = 0; parts !== 'none' && (told === 0 || received === 0); waited += 10) {
    if (waited > 10_000) throw new Error('the warm-up entry was not told and delivered within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return async () => {
    stopWatching();
    await sender.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await storage.close();
  };
}

/** Measures from here: what the live parts did while up. */
function since() {
  told = 0;
  received = 0;
  statements = 0;
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return `told ${told}, received ${received}, cpu ${used.user + used.system}, statements ${statements}`;
  };
}

let down = await up();
let report = since();
// Signals arrive one at a time: the bench waits for each answer before sending the next, and sends
// the first once it read `up`, so the handlers are in place before that is printed.
process.on('SIGHUP', async () => {
  const measured = report();
  await down();
  console.log(`down: ${measured}`);
});
process.on('SIGUSR2', async () => {
  down = await up();
  report = since();
  console.log('up');
});
process.on('SIGTERM', () => process.exit(0));
console.log('up');
