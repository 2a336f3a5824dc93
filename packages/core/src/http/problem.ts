import type { ErrorCode } from '../domain/errors';
import { ERROR_STATUS, LicenseContactsError } from '../domain/errors';

/** The JSON body of every error response (`application/problem+json`, RFC 9457). */
export interface ProblemDetails {
  /** `urn:license-contacts:error:<CODE>`. */
  type: string;
  title: string;
  status: number;
  /** The `LicenseContactsError` code; `INTERNAL` for a failure the library did not expect. */
  code: ErrorCode | 'INTERNAL';
  /** An English sentence; never a stack trace, SQL or a driver message. */
  detail: string;
  /** The offending input field, on VALIDATION. */
  field?: string;
  /** The policy's machine-readable reason, on refused actions. */
  reason?: string;
}

const TITLES: Record<ErrorCode | 'INTERNAL', string> = {
  VALIDATION: 'Invalid input',
  NOT_FOUND: 'Not found',
  FORBIDDEN: 'Forbidden',
  UNAUTHENTICATED: 'Not signed in',
  LAST_CONTACT: 'Last contact of a role',
  DUPLICATE: 'Already there',
  CONFLICT: 'Changed by someone else',
  BAD_REQUEST: 'Bad request',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  STORAGE: 'Storage unavailable',
  NETWORK: 'Network failure',
  INTERNAL: 'Internal server error',
};

/** Messages of these codes are replaced: they could carry what a storage or a bug said. */
const GENERIC_DETAIL: Partial<Record<ErrorCode | 'INTERNAL', string>> = {
  STORAGE: 'The storage is unavailable; nothing was changed',
  NETWORK: 'The server could not complete the request',
  INTERNAL: 'The server failed to answer this request',
};

const MAX_DETAIL = 500;

/**
 * A new object of the headers every response carries, to add to: a literal, which V8 builds faster
 * than a spread copy of `SECURITY_HEADERS`.
 */
export function securityHeaders(): Record<string, string> {
  return {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
  };
}

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(securityHeaders());

/** The problem body of any thrown value: library errors keep code, field and reason; anything else is INTERNAL. */
export function toProblem(error: unknown, options: { preconditionFailed?: boolean } = {}): ProblemDetails {
  if (!(error instanceof LicenseContactsError)) {
    return problem('INTERNAL', 500, GENERIC_DETAIL.INTERNAL as string);
  }
  const code = error.code;
  // A stale If-Match is a failed precondition; a CONFLICT after the service's own retries stays 409.
  const status =
    code === 'CONFLICT' && options.preconditionFailed ? 412 : code === 'NETWORK' ? 502 : ERROR_STATUS[code];
  const detail = GENERIC_DETAIL[code] ?? clip(error.message);
  const body = problem(code, status, detail);
  if (error.field !== undefined) body.field = clip(error.field);
  if (error.reason !== undefined) body.reason = clip(error.reason);
  return body;
}

function problem(code: ErrorCode | 'INTERNAL', status: number, detail: string): ProblemDetails {
  return { type: `urn:license-contacts:error:${code}`, title: TITLES[code], status, code, detail };
}

function clip(text: string): string {
  // Only the first line: a message never carries a stack, whatever threw it.
  const line = String(text).split('\n', 1)[0] ?? '';
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}…` : line;
}

/** An `application/problem+json` response for a thrown value. */
export function problemResponse(
  error: unknown,
  options: { preconditionFailed?: boolean; headers?: Record<string, string> } = {},
): Response {
  const body = toProblem(error, options);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/problem+json; charset=utf-8',
      ...options.headers,
    },
  });
}
