import * as v from 'valibot';
import { LicenseContactsError } from '../domain/errors';

// Shape only: JSON types and sizes. The service validates every value itself (R11) and names the same
// fields, so the edge never decides anything a direct call would decide differently.

/** Strings longer than this are refused at the edge; the service's own limits are far lower. */
const MAX_TEXT = 1024;
/** Lists longer than this are refused at the edge (the service accepts at most 1000 license ids). */
const MAX_LIST = 1000;

function build() {
  const text = v.pipe(v.string(), v.maxLength(MAX_TEXT));

  /** A JSON object that is not a list (valibot's `object` would read a list's keys). */
  function record<const TEntries extends v.ObjectEntries>(entries: TEntries) {
    return v.pipe(
      v.unknown(),
      v.check(
        (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
        'not an object',
      ),
      v.object(entries),
    );
  }
  const texts = v.pipe(v.array(text), v.maxLength(MAX_LIST));

  /** Body of `POST /licenses/:id/contacts`: the `AddContactInput`. */
  const addContactBody = record({ email: text, name: text, roles: texts });

  /** Body of `PUT /licenses/:id/main/:role`. */
  const setMainBody = record({ email: text });

  /** Body of `POST /licenses/:id/transfers`. */
  const transferBody = record({ role: text, email: text });

  /** Body of `POST /replacements`. */
  const replacementBody = record({
    email: text,
    successor: record({ email: text, name: text }),
    dryRun: v.optional(v.boolean()),
    licenseIds: v.optional(texts),
  });

  const one = v.optional(v.pipe(v.string(), v.maxLength(MAX_TEXT)));
  const limit = v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,15}$/, 'limit must be a positive integer'),
      v.transform((value) => Number(value)),
    ),
  );

  /** Query of `GET /licenses`. */
  const listQuery = v.object({ query: one, cursor: one, limit });

  /** Query of `GET /licenses/:id/history`. */
  const historyQuery = v.object({ cursor: one, limit });

  /** Query of `DELETE /licenses/:id/contacts/:email`. */
  const removeQuery = v.object({ role: one, successor: one });

  /** Query of `GET /licenses/:id`. */
  const licenseQuery = v.object({ at: one });

  /** Query of `GET /changes`. */
  const changesQuery = v.object({ after: one, limit });

  /** Query of `GET /requests`. */
  const requestsQuery = v.object({ licenseId: one, state: one, cursor: one, limit });
  return {
    transferBody,
    requestsQuery,
    addContactBody,
    setMainBody,
    replacementBody,
    listQuery,
    historyQuery,
    removeQuery,
    licenseQuery,
    changesQuery,
  };
}

let built: ReturnType<typeof build> | undefined;

/**
 * The edge schemas, built on first use: importing the client alone (same entry) never runs valibot,
 * so a browser bundle of `createHttpClient` leaves it out.
 */
export function schemas(): ReturnType<typeof build> {
  built ??= build();
  return built;
}

/**
 * Parses `input` with `schema`, or throws VALIDATION naming the first wrong field the way the service
 * names it (`successor.email`; list items by the list's name, e.g. `roles`); `root` names the whole value.
 */
export function parseShape<TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
  root: string,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const keys = (issue.path ?? [])
    .map((item) => item.key)
    .filter((key): key is string => typeof key === 'string');
  const field = keys.length > 0 ? keys.join('.') : root;
  throw new LicenseContactsError('VALIDATION', describe(field, issue), { field });
}

function describe(field: string, issue: v.BaseIssue<unknown>): string {
  if (issue.kind === 'validation' && issue.type === 'regex') return `${field} must be a positive integer`;
  if (issue.type === 'max_length') return `${field} is too long`;
  if (issue.type === 'check') return `${field} must be an object`;
  if (issue.received === 'undefined') return `${field} is required`;
  return `${field} must be ${expectation(issue.expected)}`;
}

function expectation(expected: string | null): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'Array':
      return 'a list';
    case 'Object':
      return 'an object';
    default:
      return 'of the expected type';
  }
}
