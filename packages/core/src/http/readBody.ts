import { LicenseContactsError } from '../domain/errors';
import type { BodySource } from './answer';
import { bodyAlreadyRead, READ_BODY } from './answer';

/** Options of `readJsonBody`. */
export interface ReadJsonBodyOptions {
  /** Largest accepted body in bytes; default 64 KiB. */
  maxBytes?: number;
}

/** The default body limit of `readJsonBody` and `createHttpHandler`. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  if (header === 'application/json') return true;
  const [type = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

/** Decodes whole bodies (never a stream of parts), so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const tooLarge = (max: number) =>
  new LicenseContactsError('PAYLOAD_TOO_LARGE', `The body is larger than ${max} bytes`);

/** The chunks of a Fetch body stream. */
function streamSource(request: Request): BodySource {
  let body: ReadableStream<Uint8Array> | null;
  try {
    body = request.body;
  } catch (error) {
    throw new LicenseContactsError('BAD_REQUEST', 'The body could not be read', { cause: error });
  }
  if (body === null) return { read: async () => null, cancel() {} };
  const reader = body.getReader();
  return {
    async read() {
      const { done, value } = await reader.read();
      return done ? null : value;
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

/** Every chunk of `source`, stopping (the rest never pulled) as soon as more than `max` bytes arrived. */
async function collect(source: BodySource, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await source.read();
    } catch (error) {
      // A source's own refusal (a body read before the handler) says what happened; keep it.
      if (error instanceof LicenseContactsError) throw error;
      throw new LicenseContactsError('BAD_REQUEST', 'The body could not be read', { cause: error });
    }
    if (chunk === null) break;
    total += chunk.byteLength;
    if (total > max) {
      source.cancel();
      throw tooLarge(max);
    }
    chunks.push(chunk);
  }
  return joined(chunks, max);
}

/** Chunks as one array of bytes; PAYLOAD_TOO_LARGE beyond `max`. */
function joined(chunks: Uint8Array[], max: number): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  if (total > max) throw tooLarge(max);
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The body of a request as JSON text: 415 unless `application/json` (UTF-8), 413 from a too large
 * `Content-Length` or as soon as more than `max` bytes arrived (the rest is never read), 400 for
 * invalid UTF-8. The one body reader of the library.
 */
export async function readBodyText(request: Request, max: number): Promise<string> {
  const direct = (request as { [READ_BODY]?: () => BodySource })[READ_BODY];
  // A framework's body parser got there first: say so rather than "a JSON body is required".
  if (!direct && request.bodyUsed) throw bodyAlreadyRead();
  // A refused body is left unread: a Fetch stream is cancelled, node:http closes the connection.
  const discard = async () => {
    if (direct) return;
    try {
      await request.body?.cancel();
    } catch {
      // nothing more to do with a body that cannot even be cancelled
    }
  };
  if (!isJsonContentType(request.headers.get('content-type'))) {
    await discard();
    throw new LicenseContactsError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
  }
  const length = request.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > max) {
    await discard();
    throw tooLarge(max);
  }
  const source = direct ? direct() : streamSource(request);
  const bytes = source.whole ? joined(source.whole, max) : await collect(source, max);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The body is not valid UTF-8');
  }
}

/** Nothing but white space, as `String.prototype.trim` counts it (tested without copying the text). */
const BLANK = /^\s*$/;

/** JSON text as a value; BAD_REQUEST when empty or malformed. */
export function parseJsonBody(text: string): unknown {
  if (BLANK.test(text)) throw new LicenseContactsError('BAD_REQUEST', 'A JSON body is required');
  try {
    return JSON.parse(text);
  } catch {
    throw new LicenseContactsError('BAD_REQUEST', 'The body is not valid JSON');
  }
}

/**
 * Reads a JSON request body within a size limit, the way `createHttpHandler` reads its own:
 * rejects with a `LicenseContactsError` (UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE as soon as the
 * limit is crossed, BAD_REQUEST for bad UTF-8 or JSON) that `problemResponse` turns into an answer.
 * @example
 * const body = await readJsonBody(request, { maxBytes: 4096 }); // unknown: read it field by field
 */
export async function readJsonBody(request: Request, options: ReadJsonBodyOptions = {}): Promise<unknown> {
  return parseJsonBody(await readBodyText(request, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES));
}
