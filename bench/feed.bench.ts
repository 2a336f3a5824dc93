/**
 * `pnpm bench feed`: the change feed's live side on a real PostgreSQL 15 (DATABASE_URL, or a
 * throwaway one), everything on loopback.
 *
 * 1. Latency from a commit (the command resolved) to an SSE client of another server instance
 *    (another storage, its own LISTEN connection) and to a webhook receiver: p50 / p99.
 * 2. Commands per second with a live side running, against the same commands with none (its parts
 *    taken down, nothing of them running), in interleaved rounds (min / median / max of the ratio).
 *    Each timed run starts after the same second of quiet, whichever arm it is: a run straight after
 *    another is faster on these machines than one after a pause (a control side with nothing running
 *    measured 0.82 against the run after it without that). The control's ratio is printed as the
 *    bench's own spread.
 *    A live side is another instance in a process of its own beside the one taking commands, up for
 *    the whole bench as a deployment's is, with a webhook sender delivering and either a `watch`
 *    listener (the measure) or an SSE client of its `/events` over HTTP.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AuditEntry, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpClient, createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { createWebhookSender } from '@license-contacts/core/webhooks';
import type { PostgresStorage } from '@license-contacts/postgres';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { authenticate, bearer } from '../tests/http/harness';
import { start } from '../tests/instances/processes';
import { benchDatabase, formatSpread, listen } from './util';

const SECRET = `whsec_${Buffer.from('thirty-two bytes of bench secret').toString('base64')}`;
const LATENCY_SAMPLES = 300;
const ROUNDS = 5;
const ROUND_COMMANDS = 200;
/** The quiet before every timed run, so that neither arm starts from a pause the other does not have. */
const SETTLE_MS = 1_000;
const staff = { email: 'ops@vendor.test', staff: true };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Commits one add and one removal on a license of `service`, `k` keeping the emails apart. */
async function command(service: LicenseContacts, id: string, k: number): Promise<void> {
  const api = service.as(staff);
  const email = `bench${k}@acme.test`;
  await api.addContact(id, { email, name: `Bench ${k}`, roles: ['technical'] });
  await api.removeContact(id, email);
}

export default async function (): Promise<void> {
  const database = await benchDatabase('feed');
  if (!database) return;
  const url = database.url;
  const schema = `lc_feed_bench_${process.pid}`;
  const open = (max = 4): PostgresStorage =>
    postgresStorage({ pool: new pg.Pool({ connectionString: url, max }), schema });
  // Instance A commits; instance B serves the SSE client; a third process's worth sends webhooks.
  const a = open();
  const b = open();
  const c = open();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await a.migrate();
    const serviceA = createLicenseContacts({ storage: a });
    const serviceB = createLicenseContacts({ storage: b });
    const serviceC = createLicenseContacts({ storage: c });
    for (const id of ['SEN-LAT', 'SEN-RATE']) {
      await serviceA.createLicense({
        id,
        product: 'Jira',
        technical: { email: 'alice@acme.test', name: 'Alice' },
        billing: { email: 'bob@acme.test', name: 'Bob' },
      });
    }
    const server = createServer(toNodeListener(createHttpHandler(serviceB, { authenticate })));
    const origin = await listen(server);
    cleanups.push(() => new Promise((resolve) => server.close(resolve).closeAllConnections()));

    // ---- latency: commit → SSE client of another instance, commit → webhook receiver
    const arrivals = new Map<string, { sse?: number; hook?: number }>();
    const arrived = (id: string, side: 'sse' | 'hook') => {
      const seen = arrivals.get(id) ?? {};
      seen[side] ??= performance.now();
      arrivals.set(id, seen);
    };
    const receiver = createServer((req, res) => {
      arrived(String(req.headers['webhook-id']), 'hook');
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    const hookUrl = `${await listen(receiver)}/hooks`;
    cleanups.push(() => new Promise((resolve) => receiver.close(resolve).closeAllConnections()));
    const stopSse = createHttpClient({
      baseUrl: `${origin}/api`,
      headers: { Authorization: bearer(staff) },
    }).watch((entry: AuditEntry) => arrived(entry.id, 'sse'));
    cleanups.push(async () => stopSse());
    const sender = createWebhookSender({
      service: serviceC,
      endpoints: [{ id: 'bench', url: hookUrl, secret: SECRET }],
      start: 'latest',
    });
    cleanups.push(() => sender.stop());
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const sse: number[] = [];
    const hook: number[] = [];
    for (let k = 0; k < LATENCY_SAMPLES; k++) {
      const license = await serviceA.as(staff).addContact('SEN-LAT', {
        email: `lat${k}@acme.test`,
        name: `Lat ${k}`,
        roles: ['billing'],
      });
      const committed = performance.now();
      const id = `SEN-LAT:${license.version}`;
      const deadline = committed + 5_000;
      while (!(arrivals.get(id)?.sse && arrivals.get(id)?.hook) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const seen = arrivals.get(id) ?? {};
      if (seen.sse === undefined || seen.hook === undefined) throw new Error(`${id} did not arrive in 5 s`);
      sse.push(Math.max(0, seen.sse - committed));
      hook.push(Math.max(0, seen.hook - committed));
    }
    console.log(
      `commit → SSE client of another instance (${LATENCY_SAMPLES} commits): p50 ${ms(percentile(sse, 50))}, ` +
        `p99 ${ms(percentile(sse, 99))}; commit → webhook receiver: p50 ${ms(percentile(hook, 50))}, ` +
        `p99 ${ms(percentile(hook, 99))} (goal p99 <= 100 ms)`,
    );

    // ---- cost: commands/s with a live side running (a watch listener or an SSE client, and a
    // webhook sender), and with none
    let k = 0;
    const rate = async () => {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const start = performance.now();
      for (let i = 0; i < ROUND_COMMANDS / 2; i++) await command(serviceA, 'SEN-RATE', k++);
      return (ROUND_COMMANDS * 1000) / (performance.now() - start);
    };
    stopSse();
    await sender.stop();
    /**
     * A live side in a process of its own (another instance whose staff watch has a listener, or
     * which serves an SSE client; a webhook sender and its receiver), up for the whole bench as a
     * deployment runs it; each round takes its live parts down (nothing of them left running) and
     * brings them up again.
     */
    const liveSide = async (parts: 'watch' | 'sse' | 'none', saveMs?: number) => {
      const child = await start(
        '../../bench/liveSide.ts',
        {
          DATABASE_URL: url,
          LC_SCHEMA: schema,
          WEBHOOK_SECRET: SECRET,
          ENDPOINT_ID: `bench-${parts}-${saveMs ?? 0}-${process.pid}`,
          ...(saveMs === undefined ? {} : { SAVE_MS: String(saveMs) }),
          LIVE_PARTS: parts,
        },
        /^up$/,
        60_000,
        true, // the built packages, as the rest of the bench
      );
      cleanups.push(() => child.kill());
      /** Sends `signal` and answers the next line matching `answer`. */
      const ask = async (signal: NodeJS.Signals, answer: RegExp): Promise<string> => {
        const lines = () =>
          child
            .output()
            .split('\n')
            .filter((line) => answer.test(line));
        const before = lines().length;
        child.process.kill(signal);
        for (let waited = 0; lines().length === before; waited += 10) {
          if (waited > 60_000) throw new Error(`the live side did not answer ${signal}:\n${child.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return lines().at(-1) as string;
      };
      /** What it did while up in the measured rounds. */
      const seen = { told: 0, received: 0, cpu: 0, statements: 0 };
      return {
        parts,
        saveMs,
        seen,
        rates: [] as number[],
        quiet: [] as number[],
        async down(counted: boolean) {
          const line = await ask('SIGHUP', /^down: /);
          const [, told, received, cpu, statements] =
            /told (\d+), received (\d+), cpu (\d+), statements (\d+)/.exec(line) ?? [];
          if (!counted) return;
          seen.told += Number(told ?? 0);
          seen.received += Number(received ?? 0);
          seen.cpu += Number(cpu ?? 0);
          seen.statements += Number(statements ?? 0);
        },
        up: () => ask('SIGUSR2', /^up$/),
      };
    };
    // The sender as created by default (its cursor saved after every delivery), and once saving it
    // once a second, the trade-off `saveMs` offers (a crash sends again up to a second's deliveries).
    const sides = [
      await liveSide('watch'),
      await liveSide('sse'),
      await liveSide('watch', 1_000),
      await liveSide('none'),
    ];
    // All start up: one at a time is up in a round, the others down.
    for (const side of sides.slice(1)) await side.down(false);
    for (const side of sides) {
      if (side !== sides[0]) await side.up();
      await rate(); // warm-up with it running
      await side.down(false);
    }
    // Each round: one side up, then neither, in turn; a side's ratio is against the quiet run after it.
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        await side.up();
        side.rates.push(await rate());
        await side.down(true);
        side.quiet.push(await rate());
      }
    }
    for (const side of sides) {
      const ratios = side.rates.map((x, i) => x / (side.quiet[i] as number));
      const { told, received, cpu, statements } = side.seen;
      if (side.parts === 'none') {
        console.log(
          `commands/s with the control (the live side's process and instance up, nothing running) vs neither: ` +
            `ratio min / median / max ${formatSpread(ratios)} (the bench's own spread; 1.00 is no difference)`,
        );
        continue;
      }
      const listener = side.parts === 'watch' ? 'a watch listener' : 'an SSE client over HTTP';
      const sender =
        side.saveMs === undefined ? 'a webhook sender' : `a webhook sender with saveMs ${side.saveMs}`;
      console.log(
        `commands/s with ${listener} and ${sender} running vs neither (${ROUNDS} interleaved rounds of ` +
          `${ROUND_COMMANDS}): ratio min / median / max ${formatSpread(ratios)} (goal >= 0.90); ` +
          `told ${told} entries, received ${received} webhooks; the live side's process used ` +
          `${(cpu / Math.max(1, told + received)).toFixed(0)} µs of CPU per entry told or webhook received ` +
          `and sent ${(statements / Math.max(1, told)).toFixed(2)} statements to PostgreSQL per entry told`,
      );
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await c.close().catch(() => {});
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await database.release();
  }
}
