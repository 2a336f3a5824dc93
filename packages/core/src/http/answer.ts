import { LicenseContactsError } from '../domain/errors';
import { SECURITY_HEADERS, toProblem } from './problem';

/** A response as plain data: status, headers and a text body (or a stream, for `/events`). */
export interface PlainAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null | ReadableStream<Uint8Array>;
}

/**
 * Where a handler made by `createHttpHandler` keeps its plain-data form, `(request) => PlainAnswer`,
 * so `toNodeListener` can write the answer without building and reading a Fetch `Response`.
 */
export const PLAIN_ANSWER: unique symbol = Symbol.for('@license-contacts/core/http.plainAnswer') as never;

/** The plain answer of a thrown value, as `application/problem+json`. */
export function plainProblem(
  error: unknown,
  options: { preconditionFailed?: boolean; headers?: Record<string, string> } = {},
): PlainAnswer {
  const body = toProblem(error, options);
  return {
    status: body.status,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/problem+json; charset=utf-8',
      ...options.headers,
    },
    body: JSON.stringify(body),
  };
}

/** The Fetch `Response` of a plain answer. */
export function toResponse(answer: PlainAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** A request body as chunks pulled one at a time: `null` at its end; `cancel` stops reading. */
export interface BodySource {
  read(): Promise<Uint8Array | null>;
  cancel(): void;
  /** The whole body when it has already arrived (a small request usually has), read without waiting. */
  whole?: Uint8Array[];
}

/**
 * Where a request made by `toNodeListener` offers its body without web streams: `() => BodySource`,
 * pulling from the socket only as the reader asks.
 */
export const READ_BODY: unique symbol = Symbol.for('@license-contacts/core/http.readBody') as never;

/**
 * Where a request made by `toNodeListener` tells whether its client went away, `() => boolean`,
 * without building an `AbortSignal` (Node 20 takes microseconds to build one, on every mutation).
 */
export const CLIENT_GONE: unique symbol = Symbol.for('@license-contacts/core/http.clientGone') as never;

/** The parts of a request URL the handler routes by: its path and its query string (`?…` or empty). */
export interface RequestTarget {
  pathname: string;
  search: string;
}

/**
 * Where a request made by `toNodeListener` hands over the path and query it already has,
 * `() => RequestTarget`, so the handler does not parse `request.url` a second time.
 */
export const PARSED_URL: unique symbol = Symbol.for('@license-contacts/core/http.parsedUrl') as never;

/** The error of a body that something read before the handler got it: a framework's body parser. */
export function bodyAlreadyRead(): LicenseContactsError {
  return new LicenseContactsError(
    'BAD_REQUEST',
    'The request body was already read before the handler got it (by a body parser such as express.json()?): mount the handler before any body parser',
  );
}
