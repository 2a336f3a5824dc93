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

/**
 * R14: characters that change how text reads without showing. Default-ignorable code points (zero
 * width space and joiners, soft hyphen, word joiner, bidi marks, embeddings, overrides and isolates,
 * fillers, variation selectors, tags), the other format controls, the blank Braille pattern, and lone
 * surrogates (which no storage can hold as text).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]|\p{Cs}/u;
/** Bidi controls and lone surrogates: never in any text the library stores. */
const DIRECTION_OR_BROKEN = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|\p{Cs}/u;
/** Variation selectors and emoji tags: after a character, they choose how it looks. */
const SELECTORS = '[\\uFE00-\\uFE0F\\u180B-\\u180D\\u180F\\u{E0100}-\\u{E01EF}\\u{E0020}-\\u{E007F}]';
/** Joiners and selectors a name may hold inside a word or an emoji (woman technologist, Persian ZWNJ). */
const JOINERS = new RegExp(`\\u200C|\\u200D|${SELECTORS}`, 'gu');
/** A joiner at the start or after a space, or a zero width (non-)joiner at the end or before a space. */
const LOOSE_JOINER = new RegExp(
  `(?:^|\\s)(?:\\u200C|\\u200D|${SELECTORS})|(?:\\u200C|\\u200D)(?:$|[\\s\\p{Default_Ignorable_Code_Point}])`,
  'u',
);
/** Something a reader sees: a letter, digit, punctuation or symbol (the blank Braille pattern is none). */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
/** Dotted lower-case ASCII labels, the last holding a letter. */
const PLAIN_DOMAIN = /^(?:[a-z0-9-]+\.)+[a-z0-9-]*[a-z][a-z0-9-]*$/;
/** A last label the URL parser reads as a hexadecimal number. */
const HEX_LAST = /(?:^|\.)0x[0-9a-f]*$/;
/** Characters that would make a domain a different URL, or none. */
const NOT_IN_DOMAIN = /[/?#\\:@[\]%<>^|]/;

const tooLong = (field: string, max: number) =>
  validationError(field, `${field} is longer than ${max} characters`);
const invisible = (field: string) =>
  validationError(field, `${field} may not contain invisible or direction-changing characters`);

/**
 * The ASCII (punycode) form of a mail domain, as every runtime's URL parser writes it (browsers and
 * Node alike), or `null` when it is none. `ｇｍａｉｌ.com` is `gmail.com`; `münchen.de` is `xn--mnchen-3ya.de`.
 */
export function asciiDomain(domain: string): string | null {
  // Most domains are already what the parser would write: lower-case ASCII labels, none punycode,
  // the last one no number (the parser reads `a.1` or `a.0xff` as an IPv4 address). Spare them a URL.
  if (PLAIN_DOMAIN.test(domain) && !domain.includes('xn--') && !HEX_LAST.test(domain)) return domain;
  if (domain === '' || NOT_IN_DOMAIN.test(domain)) return null;
  let host: string;
  try {
    host = new URL(`http://${domain}`).hostname;
  } catch {
    return null;
  }
  const labels = host.split('.');
  return labels.length < 2 || labels.some((label) => label.length === 0) ? null : host;
}

/**
 * Returns the normalized email, or throws VALIDATION naming `field` (R11, R14): NFKC, trimmed,
 * lower-cased (root locale), the domain in ASCII; invisible and direction-changing characters refused.
 * @example parseEmail(' \u212Aelly@ＡＣＭＥ.test ') // 'kelly@acme.test'
 */
export function parseEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string') throw validationError(field, `${field} must be a string`);
  const text = value.normalize('NFKC').trim().toLowerCase();
  if (text.length === 0) throw validationError(field, `${field} is required`);
  if (text.length > MAX_EMAIL) throw tooLong(field, MAX_EMAIL);
  if (/\s/.test(text) || CONTROL.test(text)) {
    throw validationError(field, `${field} may not contain spaces or control characters`);
  }
  if (INVISIBLE.test(text)) throw invisible(field);
  const at = text.indexOf('@');
  if (at <= 0 || at !== text.lastIndexOf('@')) {
    throw validationError(field, `${field} must contain exactly one @ with a name before it`);
  }
  const domain = asciiDomain(text.slice(at + 1));
  if (domain === null) {
    throw validationError(field, `${field} must have a dotted domain such as example.com`);
  }
  const email = `${text.slice(0, at)}@${domain}`;
  if (email.length > MAX_EMAIL) throw tooLong(field, MAX_EMAIL);
  return email;
}

/** Throws VALIDATION when stored text holds a bidi control or a lone surrogate (R14). */
function refuseDirectionOrBroken(text: string, field: string): void {
  if (DIRECTION_OR_BROKEN.test(text)) throw invisible(field);
}

/**
 * Returns the trimmed display name, or throws VALIDATION naming `field` (R11, R14): no control,
 * invisible or direction-changing characters, except joiners inside a word or an emoji; something visible.
 */
export function parseName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string') throw validationError(field, `${field} must be a string`);
  const name = value.trim();
  if (name.length === 0) throw validationError(field, `${field} is required`);
  if (name.length > MAX_NAME) throw tooLong(field, MAX_NAME);
  if (CONTROL.test(name)) throw validationError(field, `${field} may not contain control characters`);
  if (LOOSE_JOINER.test(name) || INVISIBLE.test(name.replace(JOINERS, ''))) throw invisible(field);
  if (!VISIBLE.test(name.replaceAll('\u2800', '')))
    throw validationError(field, `${field} must contain a visible character`);
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

/**
 * Returns a search text (at most 200 characters, trimmed; `undefined` when empty), or throws
 * VALIDATION: no control characters, bidi controls or lone surrogates.
 */
export function parseQuery(value: unknown, field = 'query'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 200) {
    throw validationError(field, `${field} must be a string of at most 200 characters`);
  }
  if (CONTROL.test(value)) throw validationError(field, `${field} may not contain control characters`);
  refuseDirectionOrBroken(value, field);
  return value.trim() || undefined;
}

/** The highest version a license reaches (the PostgreSQL adapter stores versions as `integer`). */
export const MAX_VERSION = 2_147_483_647;

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
  refuseDirectionOrBroken(text, field);
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
