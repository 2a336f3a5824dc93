/** POSTs a body and answers the HTTP status (the response body is drained, never read); rejects when no answer came. */
export type Post = (url: string, headers: Record<string, string>, body: string) => Promise<number>;

/** A way to POST and what it holds open (kept-alive connections), to let go once the sender stops. */
export interface Poster {
  post: Post;
  close(): void;
}

/** POSTs through a Fetch API function: redirects are not followed, the answer's body is let go. */
export function fetchPoster(doFetch: typeof globalThis.fetch, timeoutMs: number): Poster {
  return {
    async post(url, headers, body) {
      const response = await doFetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      return response.status;
    },
    close() {},
  };
}

type NodeHttp = typeof import('node:http');

/**
 * POSTs with Node's own `http`/`https` client over kept-alive connections: in Node, a delivery costs
 * about a third of what the same POST through `fetch` costs. Loaded on the first delivery, so the
 * module still loads where there is no `node:http` (those runtimes use `fetchPoster`).
 */
export function nodePoster(timeoutMs: number): Poster {
  let clients: Promise<{ http: NodeHttp; https: NodeHttp; agents: import('node:http').Agent[] }> | undefined;
  const load = () => {
    clients ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => {
      const agents = [new http.Agent({ keepAlive: true }), new https.Agent({ keepAlive: true })];
      return { http, https: https as unknown as NodeHttp, agents };
    });
    return clients;
  };
  return {
    async post(url, headers, body) {
      const { http, https, agents } = await load();
      const secure = url.startsWith('https:');
      return new Promise<number>((resolve, reject) => {
        const fail = (error: Error) => {
          clearTimeout(timer);
          reject(error);
        };
        const request = (secure ? https : http).request(
          url,
          {
            method: 'POST',
            headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
            agent: agents[secure ? 1 : 0],
          },
          (response) => {
            response.resume();
            response.on('end', () => {
              clearTimeout(timer);
              resolve(response.statusCode ?? 0);
            });
            response.on('error', fail);
          },
        );
        // The whole exchange, as `AbortSignal.timeout` bounds a fetch (not just a silent socket).
        const timer = setTimeout(
          () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
        request.on('error', fail);
        request.end(body);
      });
    },
    close() {
      void clients?.then(({ agents }) => {
        for (const agent of agents) agent.destroy();
      });
    },
  };
}

/** Whether this runtime is Node (where `nodePoster` works). */
export function isNode(): boolean {
  const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
  return typeof versions?.node === 'string';
}
