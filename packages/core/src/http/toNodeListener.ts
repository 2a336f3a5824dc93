import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LicenseContactsError } from '../domain/errors';
import type { HttpHandler } from './createHttpHandler';
import { problemResponse } from './problem';

/** A `node:http` request listener; Express and Fastify (through `reply.raw`) accept it too. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** How long, and how many bytes, a closing connection drops what the client still sends. */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;

/**
 * Closes the connection after the answer without resetting it: node destroys a `Connection: close`
 * socket as soon as the answer is flushed, and destroying it with unread bytes makes the kernel send
 * a reset that can discard the answer before the client reads it. Instead the write side is closed
 * and further bytes are dropped for a bounded time and size (a "lingering close"), then it is destroyed.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    let dropped = 0;
    const stop = () => this.destroy();
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    this.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) stop();
    });
    this.once('end', stop);
    this.once('close', () => clearTimeout(timer));
  };
}

/** The request body as a pull stream: nothing is read from the socket until the handler asks for it. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let closed = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.pause();
        req.on('data', (chunk: Buffer) => {
          if (closed) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          if (closed) return;
          closed = true;
          controller.close();
        });
        req.once('error', (error) => {
          if (closed) return;
          closed = true;
          controller.error(error);
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        // The handler has read enough (e.g. over the size limit): stop pulling from the socket.
        closed = true;
        req.pause();
      },
    },
    { highWaterMark: 16 * 1024, size: (chunk) => chunk.byteLength },
  );
}

/** The Fetch `Request` of a node:http request; `null` when its URL or headers cannot form one. */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request | null {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  let url: URL;
  try {
    url = new URL(target, `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`);
  } catch {
    return null;
  }
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    try {
      headers.append(name, raw[i + 1] as string);
    } catch {
      return null;
    }
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = bodyStream(req);
    init.duplex = 'half';
  }
  try {
    return new Request(url, init);
  } catch {
    return null;
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  if (res.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
  // A body left unread (refused, too large) is not drained to keep the connection: close it instead.
  if (!req.complete) {
    res.setHeader('Connection', 'close');
    lingerOnClose(req.socket);
  }
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    const first = await reader.read();
    const second = first.done ? first : await reader.read();
    if (second.done) {
      // The whole body came at once (the usual JSON answer): send it with a Content-Length.
      if (first.value) res.setHeader('Content-Length', first.value.byteLength);
      res.end(first.value);
      return;
    }
    for (let next = [first.value, second.value]; ; ) {
      for (const chunk of next) {
        if (chunk === undefined) continue;
        if (res.destroyed) {
          await reader.cancel();
          return;
        }
        if (!res.write(chunk)) await drained(res);
      }
      const { done, value } = await reader.read();
      if (done) break;
      next = [value];
    }
  } finally {
    reader.releaseLock();
  }
  res.end();
}

/**
 * Serves a Fetch handler on `node:http` (or Express, or Fastify's `reply.raw`): the request body is
 * streamed to the handler as it asks for it, so an oversized body is refused without reading the rest.
 * @example
 * import { createServer } from 'node:http';
 * createServer(toNodeListener(createHttpHandler(service, { authenticate }))).listen(3000);
 */
export function toNodeListener(handler: HttpHandler): NodeListener {
  return (req, res) => {
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = toRequest(req, controller.signal);
    const answer = request
      ? handler(request).catch(() => problemResponse(new Error('handler failed')))
      : Promise.resolve(problemResponse(new LicenseContactsError('BAD_REQUEST', 'The request is malformed')));
    answer
      .then((response) => writeResponse(req, res, response))
      .catch(() => {
        // The connection failed while answering; there is no one left to answer.
        res.destroy();
      });
  };
}
