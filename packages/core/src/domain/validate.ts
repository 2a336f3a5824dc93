import { validationError } from './errors';
import type { AddContactInput, CreateLicenseInput, Person, RequestState, Role, Topic } from './types';
import { REQUEST_STATES, ROLES, TOPICS } from './types';

// Inputs are read field by field from unknown values; unknown keys (including `__proto__`) are never copied.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LICENSE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Maximum length of an email address. */
export const MAX_EMAIL = 254;
/** Maximum length of a display name, after trimming. */
export const MAX_NAME = 200;

function read(input: unknown, key: string): unknown {
  if (typeof input !== 'object' || input === null) return undefined;
  return Object.hasOwn(input, key) ? (input as Record<string, unknown>)[key] : undefined;
}

function requireObject(input: unknown, field: string): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError(field, `${field} must be an object`);
  }
}

/** Returns the normalized (trimmed, lower-cased) email, or throws VALIDATION naming `field`. */
export function parseEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string') throw validationError(field, `${field} must be a string`);
  const email = value.trim().toLowerCase();
  if (email.length === 0) throw validationError(field, `${field} is required`);
  if (email.length > MAX_EMAIL)
    throw validationError(field, `${field} is longer than ${MAX_EMAIL} characters`);
  if (/\s/.test(email) || CONTROL.test(email)) {
    throw validationError(field, `${field} may not contain spaces or control characters`);
  }
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) {
    throw validationError(field, `${field} must contain exactly one @ with a name before it`);
  }
  const labels = email.slice(at + 1).split('.');
  if (labels.length < 2 || labels.some((label) => label.length === 0)) {
    throw validationError(field, `${field} must have a dotted domain such as example.com`);
  }
  return email;
}

/** Returns the trimmed display name, or throws VALIDATION naming `field`. */
export function parseName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string') throw validationError(field, `${field} must be a string`);
  const name = value.trim();
  if (name.length === 0) throw validationError(field, `${field} is required`);
  if (name.length > MAX_NAME) throw validationError(field, `${field} is longer than ${MAX_NAME} characters`);
  if (CONTROL.test(name)) throw validationError(field, `${field} may not contain control characters`);
  return name;
}

/** Returns the role, or throws VALIDATION naming `field`. */
export function parseRole(value: unknown, field = 'role'): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) {
    throw validationError(field, `${field} must be "technical" or "billing"`);
  }
  return value as Role;
}

/** Returns a non-empty list of distinct roles in canonical order, or throws VALIDATION. */
export function parseRoles(value: unknown, field = 'roles'): Role[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > ROLES.length * 2) {
    throw validationError(field, `${field} must be a non-empty list of "technical" and "billing"`);
  }
  const roles = new Set(value.map((role) => parseRole(role, field)));
  return ROLES.filter((role) => roles.has(role));
}

/** Returns the license id, or throws VALIDATION naming `field`. */
export function parseLicenseId(value: unknown, field = 'licenseId'): string {
  if (typeof value !== 'string' || !LICENSE_ID.test(value)) {
    throw validationError(field, `${field} must be 1–64 letters, digits, "-" or "_"`);
  }
  return value;
}

/** Returns the request id, or throws VALIDATION naming `field`. */
export function parseRequestId(value: unknown, field = 'requestId'): string {
  if (typeof value !== 'string' || !LICENSE_ID.test(value)) {
    throw validationError(field, `${field} must be 1–64 letters, digits, "-" or "_"`);
  }
  return value;
}

/** Returns the request state, or throws VALIDATION naming `field`. */
export function parseRequestState(value: unknown, field = 'state'): RequestState {
  if (typeof value !== 'string' || !(REQUEST_STATES as readonly string[]).includes(value)) {
    throw validationError(field, `${field} must be one of ${REQUEST_STATES.join(', ')}`);
  }
  return value as RequestState;
}

/** Returns the topic, or throws VALIDATION. */
export function parseTopic(value: unknown, field = 'topic'): Topic {
  if (typeof value !== 'string' || !(TOPICS as readonly string[]).includes(value)) {
    throw validationError(field, `${field} must be one of ${TOPICS.join(', ')}`);
  }
  return value as Topic;
}

/** Returns a person read from an unknown value, or throws VALIDATION naming the field. */
export function parsePerson(value: unknown, field = 'person'): Person {
  requireObject(value, field);
  const prefix = field === 'person' ? '' : `${field}.`;
  return {
    email: parseEmail(read(value, 'email'), `${prefix}email`),
    name: parseName(read(value, 'name'), `${prefix}name`),
  };
}

/** Returns the input of `addContact` read from an unknown value, or throws VALIDATION. */
export function parseAddContactInput(value: unknown, field = 'input'): AddContactInput {
  requireObject(value, field);
  const prefix = field === 'input' ? '' : `${field}.`;
  return {
    email: parseEmail(read(value, 'email'), `${prefix}email`),
    name: parseName(read(value, 'name'), `${prefix}name`),
    roles: parseRoles(read(value, 'roles'), `${prefix}roles`),
  };
}

/** Returns the epoch milliseconds of a Date or an ISO-8601 date or time, or throws VALIDATION naming `field`. */
export function parseInstant(value: unknown, field = 'at'): number {
  const time =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' && DATE.test(value.trim())
        ? Date.parse(value.trim())
        : Number.NaN;
  if (Number.isNaN(time)) {
    throw validationError(field, `${field} must be a date or an ISO-8601 time such as 2026-03-01T12:00:00Z`);
  }
  return time;
}

/** Returns a page size between 1 and 200 (default 50), or throws VALIDATION. */
export function parseLimit(value: unknown, field = 'limit'): number {
  if (value === undefined) return 50;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw validationError(field, `${field} must be a positive integer`);
  }
  return Math.min(value, 200);
}

function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validationError(field, `${field} must be a string`);
  const text = value.trim();
  if (text.length === 0 || text.length > max || CONTROL.test(text)) {
    throw validationError(field, `${field} must be 1–${max} characters without control characters`);
  }
  return text;
}

/** Returns the input of `createLicense` read from an unknown value, or throws VALIDATION. */
export function parseCreateLicenseInput(value: unknown): CreateLicenseInput {
  requireObject(value, 'input');
  const product = optionalText(read(value, 'product'), 'product', 200);
  if (product === undefined) throw validationError('product', 'product is required');
  const input: CreateLicenseInput = {
    id: parseLicenseId(read(value, 'id'), 'id'),
    product,
    technical: parsePerson(read(value, 'technical'), 'technical'),
    billing: parsePerson(read(value, 'billing'), 'billing'),
  };
  const edition = optionalText(read(value, 'edition'), 'edition', 200);
  if (edition !== undefined) input.edition = edition;
  const seats = read(value, 'seats');
  if (seats !== undefined) {
    if (typeof seats !== 'number' || !Number.isSafeInteger(seats) || seats < 0) {
      throw validationError('seats', 'seats must be a non-negative integer');
    }
    input.seats = seats;
  }
  const expiresAt = read(value, 'expiresAt');
  if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'string' || !DATE.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
      throw validationError('expiresAt', 'expiresAt must be an ISO-8601 date such as 2027-03-01');
    }
    input.expiresAt = expiresAt;
  }
  const contacts = read(value, 'contacts');
  if (contacts !== undefined) {
    if (!Array.isArray(contacts)) throw validationError('contacts', 'contacts must be a list');
    input.contacts = contacts.map((contact, i) => parseAddContactInput(contact, `contacts.${i}`));
  }
  return input;
}
