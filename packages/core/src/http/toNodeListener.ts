import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LicenseContactsError } from '../domain/errors';
import type { BodySource, PlainAnswer, RequestTarget } from './answer';
import {
  bodyAlreadyRead,
  CLIENT_GONE,
  PARSED_URL,
  PLAIN_ANSWER,
  plainProblem,
  READ_BODY,
  toResponse,
} from './answer';
import type { HttpHandler } from './createHttpHandler';
import { resolveTarget } from './requestTarget';

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

/** The body of a request whose stream something else read: reading it fails with the reason. */
function consumedStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.error(bodyAlreadyRead());
    },
  });
}

/** The body source of a request whose stream something else read: reading it fails with the reason. */
function consumedSource(): BodySource {
  return {
    read: () => Promise.reject(bodyAlreadyRead()),
    cancel() {},
  };
}

/** Whether the client went away before its answer was written. */
const gone = (res: ServerResponse) => res.destroyed && !res.writableFinished;

const kInit = Symbol('init');
const kReal = Symbol('request');

interface LightInit {
  url: string;
  pathname: string;
  search: string;
  method: string;
  headers: Headers;
  body: (() => ReadableStream<Uint8Array>) | null;
  signal: () => AbortSignal;
  res: ServerResponse;
}

interface Light {
  [kInit]: LightInit;
  [kReal]?: Request;
}

/**
 * Gives `light` every getter and method of `prototype` it does not define itself, each answered by
 * the real object `real(this)` builds (once) from the light one.
 */
// biome-ignore lint/suspicious/noExplicitAny: the light object and its real one are of any class
function delegateTheRest(light: object, prototype: object, real: (self: any) => object): void {
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor' || Object.hasOwn(light, key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    if (descriptor?.get) {
      Object.defineProperty(light, key, {
        get(this: object) {
          return Reflect.get(real(this), key);
        },
      });
    } else if (typeof descriptor?.value === 'function') {
      Object.defineProperty(light, key, {
        value(this: object, ...args: unknown[]) {
          const target = real(this);
          return (Reflect.get(target, key) as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
    }
  }
}

/** The real Fetch `Request`, built on first use of anything but url, method, headers and signal. */
function materialize(light: Light): Request {
  let real = light[kReal];
  if (!real) {
    const { url, method, headers, body, signal } = light[kInit];
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers: realHeaders(headers),
      signal: signal(),
    };
    if (body) {
      init.body = body();
      init.duplex = 'half';
    }
    real = new Request(url, init);
    light[kReal] = real;
  }
  return real;
}

/**
 * A `Request` (by prototype, so `instanceof Request` holds) whose url, method, headers and signal are
 * plain fields; a real Fetch `Request` is built only when something else is used (the body, clone…).
 * Building one per request costs more than the rest of a small GET.
 */
const lightPrototype: object = Object.create(Request.prototype, {
  url: {
    get(this: Light) {
      return this[kInit].url;
    },
  },
  method: {
    get(this: Light) {
      return this[kInit].method;
    },
  },
  headers: {
    get(this: Light) {
      return this[kInit].headers;
    },
  },
  signal: {
    get(this: Light) {
      return this[kInit].signal();
    },
  },
});
Object.defineProperty(lightPrototype, CLIENT_GONE, {
  value(this: Light) {
    return gone(this[kInit].res);
  },
});
Object.defineProperty(lightPrototype, PARSED_URL, {
  value(this: Light): RequestTarget {
    const { pathname, search } = this[kInit];
    return { pathname, search };
  },
});
delegateTheRest(lightPrototype, Request.prototype, materialize);

const kValues = Symbol('values');
const kRaw = Symbol('raw');
const kHeaders = Symbol('headers');

interface LightHeaders {
  /** Lower-case name → value, repeated headers joined with `, ` as `Headers#get` joins them. */
  [kValues]: Record<string, string>;
  /** node's raw headers (name, value, name, value…), checked by `lightHeaders`. */
  [kRaw]: string[];
  [kHeaders]?: Headers;
}

/** A header name as `Headers` accepts it (an HTTP token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value `Headers` refuses: NUL, CR or LF. */
const BAD_VALUE = /[\0\r\n]/;
/** Leading or trailing HTTP white space, which `Headers` strips from values. */
const EDGE_SPACE = /^[\t\n\r ]|[\t\n\r ]$/;
const EDGE_SPACES = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** The real `Headers` of light headers (built on first use of anything but get and has). */
function realHeaders(headers: Headers): Headers {
  const light = headers as unknown as LightHeaders;
  if (!(kRaw in light)) return headers;
  let real = light[kHeaders];
  if (!real) {
    real = new Headers();
    const raw = light[kRaw];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      if (!name.startsWith(':')) real.append(name, raw[i + 1] as string);
    }
    light[kHeaders] = real;
  }
  return real;
}

/**
 * A `Headers` (by prototype, so `instanceof Headers` holds) answering `get` and `has` from the
 * request's raw headers; a real `Headers` is built only for anything else (iteration, changes…).
 * Building one per request means validating every header again, which node's parser already did.
 */
const lightHeadersPrototype: object = Object.create(Headers.prototype, {
  get: {
    value(this: LightHeaders, name: string) {
      const key = String(name).toLowerCase();
      if (this[kHeaders] || !TOKEN.test(key)) return realHeaders(this as unknown as Headers).get(name);
      return this[kValues][key] ?? null;
    },
  },
  has: {
    value(this: LightHeaders, name: string) {
      const key = String(name).toLowerCase();
      if (this[kHeaders] || !TOKEN.test(key)) return realHeaders(this as unknown as Headers).has(name);
      return this[kValues][key] !== undefined;
    },
  },
});
delegateTheRest(lightHeadersPrototype, Headers.prototype, realHeaders);

/** Light headers of node's raw headers; `null` when one of them is not a header `Headers` accepts. */
function lightHeaders(raw: string[]): Headers | null {
  const values: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    let value = raw[i + 1] as string;
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return null;
    if (EDGE_SPACE.test(value)) value = value.replace(EDGE_SPACES, '');
    const key = name.toLowerCase();
    const before = values[key];
    values[key] = before === undefined ? value : `${before}, ${value}`;
  }
  const headers = Object.create(lightHeadersPrototype) as LightHeaders;
  headers[kValues] = values;
  headers[kRaw] = raw;
  return headers as unknown as Headers;
}

/** The body of a node:http request, pulled from the socket one chunk at a time (paused in between). */
function nodeBodySource(req: IncomingMessage): BodySource {
  const queue: Buffer[] = [];
  if (req.complete && !req.readableDidRead) {
    // The whole body arrived with the head (a small request usually does): take it as it lies in
    // the stream's buffer, no listener, no pause and resume.
    for (let chunk = req.read() as Buffer | null; chunk !== null; chunk = req.read() as Buffer | null) {
      queue.push(chunk);
    }
    return {
      read: async () => queue.shift() ?? null,
      cancel() {},
      whole: queue,
    };
  }
  let ended = req.readableEnded;
  let failure: LicenseContactsError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onData = (chunk: Buffer) => {
    req.pause();
    queue.push(chunk);
    notify();
  };
  const onEnd = () => {
    ended = true;
    stop();
    notify();
  };
  const onError = (error: Error) => {
    failure = new LicenseContactsError('BAD_REQUEST', 'The body could not be read', { cause: error });
    stop();
    notify();
  };
  const onClose = () => {
    if (!ended) failure ??= new LicenseContactsError('BAD_REQUEST', 'The body ended early');
    stop();
    notify();
  };
  function stop() {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('close', onClose);
  }
  if (!ended) {
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  }
  return {
    async read() {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) return chunk;
        if (failure) throw failure;
        if (ended) return null;
        await new Promise<void>((resolve) => {
          wake = resolve;
          req.resume();
        });
      }
    },
    cancel() {
      // Over the limit: stop pulling; the answer closes the connection with the rest unread.
      stop();
      req.pause();
    },
  };
}

/** The Fetch `Request` of a node:http request; `null` when its URL or headers cannot form one. */
function toRequest(req: IncomingMessage, res: ServerResponse, signal: () => AbortSignal): Request | null {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const target = resolveTarget(
    (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
    req.headers.host,
    encrypted,
  );
  if (!target) return null;
  const headers = lightHeaders(req.rawHeaders);
  if (!headers) return null;
  const method = (req.method ?? 'GET').toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const light = Object.create(lightPrototype) as Light & {
    [READ_BODY]?: () => BodySource;
  };

  // Middleware mounted before the listener (express.json() and the like) may have read the body already.
  const consumed = hasBody && (req.readableDidRead || req.readableEnded);
  const body = consumed ? consumedStream : () => bodyStream(req);
  light[kInit] = {
    url: target.href,
    pathname: target.pathname,
    search: target.search,
    method,
    headers,
    body: hasBody ? body : null,
    signal,
    res,
  };
  if (hasBody) light[READ_BODY] = consumed ? consumedSource : () => nodeBodySource(req);
  return light as unknown as Request;
}

function writePlain(req: IncomingMessage, res: ServerResponse, answer: PlainAnswer): void {
  if (res.destroyed) return;
  if (!req.complete) {
    res.setHeader('Connection', 'close');
    lingerOnClose(req.socket);
  }
  const headers: Record<string, string | number> = answer.headers;
  if (answer.body instanceof ReadableStream) {
    res.writeHead(answer.status, headers);
    res.flushHeaders();
    void writeStream(res, answer.body);
    return;
  }
  if (answer.body === null) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  // A string body goes out with the head in one write; a Buffer would make it two (writev).
  headers['Content-Length'] = Buffer.byteLength(answer.body, 'utf8');
  res.writeHead(answer.status, headers);
  res.end(answer.body, 'utf8');
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

/** Writes a stream as it comes (server-sent events), until it ends or the client goes. */
async function writeStream(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const gone = () => void reader.cancel().catch(() => {});
  res.once('close', gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // the stream failed: end the answer
  } finally {
    res.off('close', gone);
    reader.releaseLock();
    if (!res.destroyed) res.end();
  }
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
  const plain = (handler as { [PLAIN_ANSWER]?: (request: Request) => Promise<PlainAnswer> })[PLAIN_ANSWER];
  return (req, res) => {
    let controller: AbortController | undefined;
    // Built, and told of a disconnect, only when something asks for it (`/events` does).
    const signal = () => {
      if (!controller) {
        const made = new AbortController();
        controller = made;
        if (gone(res)) made.abort();
        else
          res.once('close', () => {
            if (!res.writableFinished) made.abort();
          });
      }
      return controller.signal;
    };
    const request = toRequest(req, res, signal);
    if (!request) {
      writePlain(req, res, plainProblem(new LicenseContactsError('BAD_REQUEST', 'The request is malformed')));
      return;
    }
    if (plain) {
      // A handler of this library: its answer is written as is, no Fetch Response in between.
      plain(request)
        .then((answer) => writePlain(req, res, answer))
        .catch(() => res.destroy());
      return;
    }
    handler(request)
      .catch(() => toResponse(plainProblem(new Error('handler failed'))))
      .then((response) => writeResponse(req, res, response))
      .catch(() => {
        // The connection failed while answering; there is no one left to answer.
        res.destroy();
      });
  };
}
