/**
 * `pnpm bench http`: requests per second through `createHttpHandler` on node:http against node:http
 * calling the same service directly, in the same run; the load comes from autocannon in a process of
 * its own (`bench/load.ts`), so the servers measured have this process to themselves.
 *
 * Sides, all on one service and one memoryStorage (every side pays for what the storage keeps):
 * - `direct`: node:http calling the service (parse the body, call the Api, stringify the answer),
 *   without routing, authentication, shape checks, CSRF or idempotency: the floor of the transport.
 * - `bare`: node:http answering the same JSON from a Map, reading and parsing the same bodies; a
 *   server doing no work, to show what the service itself costs.
 * - `toNodeListener`: the handler through our bridge (the handler's plain answers, no Fetch Response).
 * - `srvx` and `@hono/node-server`: the handler as a plain Fetch handler (Request in, Response out)
 *   through those adapters, to compare our bridge with well-kept ones.
 *
 * Scenarios: GET a license; POST a contact (with an Idempotency-Key, as the client sends it) then
 * DELETE it. Every ratio is min / median / max over interleaved rounds (the order of the sides turns
 * each round), so load from elsewhere on the machine hits every side alike.
 */

import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import type { License, LicenseContacts } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { HttpHandler } from '@license-contacts/core/http';
import { createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { toNodeHandler } from 'srvx/node';
import type { LoadOrder, LoadResult } from './load';
import { formatSpread, ROUNDS, spread } from './util';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 1);
const CONNECTIONS = 8;
const LICENSES = 32;
const GOAL = 0.9;

const JSON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Type': 'application/json; charset=utf-8',
};

function answer(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads the whole body, then calls `then` with it (empty for none). */
function withBody(req: IncomingMessage, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => then(Buffer.concat(chunks).toString('utf8')));
}

/** A server doing no work: the same JSON from a Map, the same bodies read and parsed. */
function bareListener(licenses: Map<string, License>): RequestListener {
  return (req, res) =>
    withBody(req, (text) => {
      if (text !== '') JSON.parse(text);
      const id = /^\/api\/licenses\/([^/]+)/.exec(req.url ?? '')?.[1] ?? '';
      answer(res, 200, licenses.get(decodeURIComponent(id)) ?? {});
    });
}

/** node:http calling the service directly: the floor of any transport. */
function directListener(service: LicenseContacts): RequestListener {
  const api = service.as({ email: 'alice@acme.test' });
  return (req, res) =>
    withBody(req, async (text) => {
      const [, , , id = '', , email = ''] = (req.url ?? '').split('/');
      try {
        let result: unknown;
        if (req.method === 'GET') result = await api.getLicense(id);
        else if (req.method === 'POST') result = await api.addContact(id, JSON.parse(text));
        else result = await api.removeContact(id, decodeURIComponent(email));
        answer(res, 200, result);
      } catch (error) {
        answer(res, 500, { error: String(error) });
      }
    });
}

async function listen(listener: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The load generator process, and a function sending it one order at a time. */
function loadGenerator(): { child: ChildProcess; run: (order: LoadOrder) => Promise<LoadResult> } {
  const child = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), { stdio: 'inherit' });
  const run = (order: LoadOrder) =>
    new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (message: LoadResult | { error: string }) =>
        'error' in message ? reject(new Error(message.error)) : resolve(message),
      );
      child.send(order);
    });
  return { child, run };
}

export default async function run(): Promise<void> {
  const service = createLicenseContacts();
  const licenses = new Map<string, License>();
  for (let i = 0; i < LICENSES; i++) {
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
  // A round ends with requests in flight: their clients going away is expected, anything else is not.
  const unexpected: unknown[] = [];
  const handler = createHttpHandler(service, {
    authenticate: (request) => {
      const token = request.headers.get('authorization');
      return token?.startsWith('Bearer ') ? { email: token.slice(7) } : null;
    },
    onError: (error, request) => {
      if (!request.signal.aborted) unexpected.push(error);
    },
  });
  // The handler as any Fetch handler: Request in, Response out, nothing of ours on the side.
  const fetchOnly: HttpHandler = (request) => handler(request);

  const sides = [
    { name: 'direct', listener: directListener(service) },
    { name: 'bare', listener: bareListener(licenses) },
    { name: 'toNodeListener', listener: toNodeListener(handler) },
    { name: 'srvx', listener: toNodeHandler(fetchOnly) as RequestListener },
    {
      name: '@hono/node-server',
      listener: getRequestListener(fetchOnly, { overrideGlobalObjects: false }) as RequestListener,
    },
  ];
  const servers = await Promise.all(sides.map((side) => listen(side.listener)));
  const load = loadGenerator();

  console.log(
    `autocannon in its own process, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per side and round, ` +
      `${ROUNDS} interleaved rounds; ratios min / median / max of the rounds`,
  );
  try {
    for (const scenario of ['read', 'write'] as const) {
      const order = (port: number, seconds: number): LoadOrder => ({
        port,
        scenario,
        licenses: LICENSES,
        connections: CONNECTIONS,
        seconds,
      });
      for (const { port } of servers) await load.run(order(port, 1)); // warm-up
      const rates = sides.map(() => [] as number[]);
      // Requests per CPU second of this process (every thread): what the side could serve with a
      // core of its own, steadier than req/s on a machine whose other work comes and goes.
      const capacities = sides.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < sides.length; k++) {
          const i = (k + round) % sides.length;
          const cpu = process.cpuUsage();
          const result = await load.run(order((servers[i] as { port: number }).port, SECONDS));
          const used = process.cpuUsage(cpu);
          if (result.failures > 0) {
            throw new Error(`${sides[i]?.name} answered ${result.failures} failures (${scenario})`);
          }
          (rates[i] as number[]).push(result.perSecond);
          (capacities[i] as number[]).push(result.requests / ((used.user + used.system) / 1e6));
        }
      }
      if (unexpected.length > 0) throw new AggregateError(unexpected, 'the handler reported failures');
      const ratio = (table: number[][], a: number, b: number) =>
        (table[a] as number[]).map((x, round) => x / ((table[b] as number[])[round] as number));
      const median = (values: number[] | undefined) => spread(values ?? []).median.toFixed(0);
      const what = scenario === 'read' ? 'GET /licenses/:id' : 'POST contact + DELETE it';
      console.log(`\n### ${what}\n`);
      console.log('| side | req/s (median) | req per CPU second (median) |');
      console.log('|---|---|---|');
      for (const [i, side] of sides.entries()) {
        console.log(`| ${side.name} | ${median(rates[i])} | ${median(capacities[i])} |`);
      }
      console.log('\n| subject | baseline | req/s ratio min / median / max | req per CPU s ratio |');
      console.log('|---|---|---|---|');
      const [DIRECT, BARE, OURS, SRVX, HONO] = [0, 1, 2, 3, 4];
      const rows: [string, string, number, number][] = [
        ['handler on toNodeListener', 'node:http + service', OURS, DIRECT],
        ['handler on toNodeListener', 'bare node:http', OURS, BARE],
        ['handler on srvx', 'handler on toNodeListener', SRVX, OURS],
        ['handler on @hono/node-server', 'handler on toNodeListener', HONO, OURS],
      ];
      for (const [subject, baseline, a, b] of rows) {
        console.log(
          `| ${subject} | ${baseline} | ${formatSpread(ratio(rates, a, b))} | ${formatSpread(ratio(capacities, a, b))} |`,
        );
      }
    }
    console.log(`\ngoal: handler on toNodeListener ≥ ${GOAL}× node:http + service`);
  } finally {
    load.child.kill();
    for (const { server } of servers) server.closeAllConnections();
    await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  }
}
