/**
 * The HTTP load generator of `bench/http.bench.ts`, in a process of its own (forked with IPC), so
 * the servers measured share their event loop with nothing else: autocannon runs one scenario
 * against one port when told, and answers the completed requests per second.
 */
import autocannon from 'autocannon';

/** What the bench asks of this process. */
export interface LoadOrder {
  port: number;
  scenario: 'read' | 'write';
  /** Licenses the requests spread over (`SEN-B0` …). */
  licenses: number;
  connections: number;
  seconds: number;
}

/** What this process answers for one order. */
export interface LoadResult {
  perSecond: number;
  requests: number;
  /** Answers that were not 200, and connection errors: a bench run with any is void. */
  failures: number;
}

const AUTH = { authorization: 'Bearer alice@acme.test' };
let next = 0;

/** The requests of a scenario: reads of license after license, or an add then its removal. */
function requests(order: LoadOrder): autocannon.Request[] {
  const license = () => `SEN-B${next++ % order.licenses}`;
  if (order.scenario === 'read') {
    return [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: `/api/licenses/${license()}` }),
      },
    ];
  }
  return [
    {
      method: 'POST',
      setupRequest(request, state) {
        // A new person each time, so a round cut between the add and its removal breaks nothing.
        const context = state as Record<string, string>;
        const k = next++;
        context.path = `/api/licenses/SEN-B${k % order.licenses}/contacts`;
        context.email = `load${process.pid}-${k}@acme.test`;
        return {
          ...request,
          path: context.path,
          headers: { ...AUTH, 'content-type': 'application/json', 'idempotency-key': `key-${k}` },
          body: JSON.stringify({ email: context.email, name: 'New Person', roles: ['technical'] }),
        };
      },
    },
    {
      method: 'DELETE',
      setupRequest(request, state) {
        const { path, email = '' } = state as Record<string, string>;
        return { ...request, path: `${path}/${encodeURIComponent(email)}` };
      },
    },
  ];
}

async function load(order: LoadOrder): Promise<LoadResult> {
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${order.port}`,
    connections: order.connections,
    duration: order.seconds,
    headers: AUTH,
    requests: requests(order),
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: result.requests.total / seconds,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

process.on('message', (order: LoadOrder) => {
  load(order).then(
    (result) => process.send?.(result),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
