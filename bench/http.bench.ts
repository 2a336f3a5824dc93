/**
 * `pnpm bench http`: requests per second through `createHttpHandler` on node:http (`toNodeListener`)
 * against a bare node:http server answering the same JSON with the same headers, measured in the
 * same run with the same load loop: N concurrent keep-alive requests on loopback for a bounded time
 * and a bounded count.
 *
 * Cases: GET a license; POST a contact then DELETE it (each worker on its own license, the POST with
 * an Idempotency-Key as the client sends it). The bare server reads and parses the same bodies.
 * A second baseline, node:http calling the service directly, shows what the transport itself costs:
 * a mutation's own work in the service (rules, immer, audit) is paid by both.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { License, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpHandler, toNodeListener } from '@license-contacts/core/http';

const DURATION_MS = Number(process.env.BENCH_HTTP_MS ?? 3000);
const WARMUP_MS = 500;
const ROUNDS = 3;
const MAX_REQUESTS = 300_000;
const CONCURRENCY = 8;
const GOAL = 0.6;

interface Step {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One worker's next request(s); returns the steps of one iteration. */
type Script = (worker: number, iteration: number) => Step[];

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function send(agent: Agent, port: number, step: Step): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      Authorization: 'Bearer alice@acme.test',
      ...step.headers,
    };
    if (step.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(step.body);
    }
    const req = httpRequest(
      { host: '127.0.0.1', port, method: step.method, path: step.path, headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(step.body);
  });
}

/** Runs the script on CONCURRENCY workers for `ms` (and at most MAX_REQUESTS); returns requests per second. */
async function load(port: number, script: Script, ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = performance.now() + ms;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let iteration = 0; performance.now() < end && requests < MAX_REQUESTS; iteration++) {
        for (const step of script(worker, iteration)) {
          const status = await send(agent, port, step);
          if (status !== 200) throw new Error(`${step.method} ${step.path} answered ${status}`);
          requests++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return requests / seconds;
}

const JSON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Type': 'application/json; charset=utf-8',
};

/** The floor: node:http answering the same JSON, reading and parsing the same request bodies. */
function bareServer(licenses: Map<string, License>): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = /^\/api\/licenses\/([^/]+)/.exec(req.url ?? '')?.[1] ?? '';
      const body = JSON.stringify(licenses.get(decodeURIComponent(id)) ?? {});
      res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

/**
 * The transport floor: node:http calling the same service directly (parse the body, call the Api,
 * stringify the answer), without routing, authentication, shape checks, CSRF or idempotency.
 */
function directServer(service: LicenseContacts): Server {
  const api = service.as({ email: 'alice@acme.test' });
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const [, , , id = '', , email] = (req.url ?? '').split('/');
      let result: unknown;
      if (req.method === 'GET') result = await api.getLicense(id);
      else if (req.method === 'POST')
        result = await api.addContact(id, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      else result = await api.removeContact(id, decodeURIComponent(email ?? ''));
      const body = JSON.stringify(result);
      res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

export default async function run(): Promise<void> {
  const service = createLicenseContacts();
  const licenses = new Map<string, License>();
  for (let i = 0; i < CONCURRENCY; i++) {
    const license = await service.createLicense({
      id: `SEN-B${i}`,
      product: 'Jira Software',
      edition: 'Data Center',
      seats: 500,
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
      contacts: [
        { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] },
        { email: 'dave@acme.test', name: 'Dave', roles: ['billing'] },
      ],
    });
    licenses.set(license.id, license);
  }
  const handler = createHttpHandler(service, {
    authenticate: (request) => {
      const token = request.headers.get('authorization');
      return token?.startsWith('Bearer ') ? { email: token.slice(7) } : null;
    },
  });
  const subject = createServer(toNodeListener(handler));
  const bare = bareServer(licenses);
  const direct = directServer(service);
  const subjectPort = await listen(subject);
  const barePort = await listen(bare);
  const directPort = await listen(direct);

  const cases: { name: string; script: Script }[] = [
    {
      name: 'GET /licenses/:id',
      script: (worker) => [{ method: 'GET', path: `/api/licenses/SEN-B${worker}` }],
    },
    {
      name: 'POST contact + DELETE it',
      script: (worker) => [
        {
          method: 'POST',
          path: `/api/licenses/SEN-B${worker}/contacts`,
          body: JSON.stringify({ email: `new${worker}@acme.test`, name: 'New Person', roles: ['technical'] }),
          headers: { 'Idempotency-Key': randomUUID() },
        },
        { method: 'DELETE', path: `/api/licenses/SEN-B${worker}/contacts/new${worker}%40acme.test` },
      ],
    },
  ];

  console.log(
    `${CONCURRENCY} concurrent keep-alive requests, ${DURATION_MS} ms per side in 3 interleaved rounds, same process and run`,
  );
  console.log('| case | handler req/s | bare node:http req/s | ratio | node:http + service req/s | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const { name, script } of cases) {
    for (const port of [barePort, directPort, subjectPort]) await load(port, script, WARMUP_MS);
    // Interleaved rounds, so that load from elsewhere on the machine hits every side alike.
    const totals = [0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, port] of [barePort, directPort, subjectPort].entries()) {
        totals[i] = (totals[i] ?? 0) + (await load(port, script, DURATION_MS / ROUNDS)) / ROUNDS;
      }
    }
    const [baseline = 0, floor = 0, measured = 0] = totals;
    const cells = [measured, baseline, measured / baseline, floor, measured / floor];
    const [m, b0, r1, f, r2] = cells.map((value, i) =>
      i === 2 || i === 4 ? `${value.toFixed(2)}×` : value.toFixed(0),
    );
    console.log(`| ${name} | ${m} | ${b0} | ${r1} | ${f} | ${r2} |`);
  }
  console.log(`goal: ratio ≥ ${GOAL} against bare node:http (a server doing no work)`);
  console.log('the last ratio isolates the transport: node:http making the same service calls directly');

  for (const server of [subject, bare, direct]) server.closeAllConnections();
  await Promise.all([subject, bare, direct].map((server) => new Promise((r) => server.close(r))));
}
