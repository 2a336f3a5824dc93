/** Every error code the library raises. */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'LAST_CONTACT'
  | 'DUPLICATE'
  | 'CONFLICT'
  | 'BAD_REQUEST'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'STORAGE'
  | 'NETWORK';

/** The HTTP status of each code (NETWORK never travels). */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = /* @__PURE__ */ Object.freeze({
  VALIDATION: 422,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  LAST_CONTACT: 409,
  DUPLICATE: 409,
  CONFLICT: 409,
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STORAGE: 503,
  NETWORK: 0,
});

/** Every code, for validation of codes received over the wire. */
export const ERROR_CODES = /* @__PURE__ */ Object.freeze(Object.keys(ERROR_STATUS) as ErrorCode[]);

/** Options of a `LicenseContactsError`. */
export interface LicenseContactsErrorOptions {
  /** The offending input field, on VALIDATION. */
  field?: string;
  /** The policy's machine-readable reason, on FORBIDDEN and other refused actions. */
  reason?: string;
  cause?: unknown;
}

/**
 * The one error class of the library: check `instanceof LicenseContactsError` and `code`.
 * @example
 * try { await api.removeContact(id, email) } catch (e) {
 *   if (e instanceof LicenseContactsError && e.code === 'LAST_CONTACT') showHint(e.message)
 * }
 */
export class LicenseContactsError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly reason?: string;

  constructor(code: ErrorCode, message: string, options: LicenseContactsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.reason !== undefined) this.reason = options.reason;
  }

  /** The HTTP status this error travels with. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Shorthand for a VALIDATION error naming its field. */
export function validationError(field: string, message: string): LicenseContactsError {
  return new LicenseContactsError('VALIDATION', message, { field });
}

/**
 * Reports a failure that must not fail its caller (a listener's, told of a committed change) as an
 * uncaught error would be, where the runtime offers `reportError`.
 */
export function reportError(error: unknown): void {
  (globalThis as { reportError?: (e: unknown) => void }).reportError?.(error);
}
