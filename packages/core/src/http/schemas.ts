import * as v from 'valibot';
import { ERROR_CODES, LicenseContactsError } from '../domain/errors';
import { AUDIT_ACTIONS, REQUEST_STATES, ROLES } from '../domain/types';

// Requests: shape only, JSON types and sizes. The service validates every value itself (R11) and names
// the same fields, so the edge never decides anything a direct call would decide differently.
// Responses: exactly what the handler sends (strict objects: a field the schema does not name is a
// difference). They describe the API in `openapi.json`, and the tests check every answer against them.

/** Strings longer than this are refused at the edge; the service's own limits are far lower. */
const MAX_TEXT = 1024;
/** Lists longer than this are refused at the edge (the service accepts at most 1000 license ids). */
const MAX_LIST = 1000;

function build() {
  const text = v.pipe(v.string(), v.maxLength(MAX_TEXT));
  const about = (description: string) =>
    v.pipe(v.string(), v.maxLength(MAX_TEXT), v.description(description));

  /** A JSON object that is not a list (valibot's `object` would read a list's keys). */
  function record<const TEntries extends v.ObjectEntries>(entries: TEntries, description: string) {
    return v.pipe(
      v.unknown(),
      v.check(
        (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
        'not an object',
      ),
      v.object(entries),
      v.description(description),
    );
  }
  const texts = v.pipe(v.array(text), v.maxLength(MAX_LIST));

  // ---- request bodies

  /** Body of `POST /licenses/:id/contacts`: the `AddContactInput`. */
  const addContactBody = record(
    {
      email: about('Email address of the person'),
      name: about('Display name'),
      roles: v.pipe(texts, v.description('`technical`, `billing` or both')),
    },
    'A person to add, or the roles to add to a contact',
  );

  /** Body of `PUT /licenses/:id/main/:role`. */
  const setMainBody = record({ email: about('Email of the contact who becomes main') }, 'Who becomes main');

  /** Body of `POST /replacements`. */
  const replacementBody = record(
    {
      email: about('Email of the person who left'),
      successor: record({ email: text, name: text }, 'Who takes over each role and main position'),
      dryRun: v.optional(v.pipe(v.boolean(), v.description('Compute the change set without writing'))),
      licenseIds: v.optional(v.pipe(texts, v.description('Only these licenses (all must be changeable)'))),
    },
    'A person to replace on every license the actor may change',
  );

  /** Body of `POST /licenses/:id/transfers`. */
  const transferBody = record(
    {
      role: about('The role whose main position it is about: `technical` or `billing`'),
      email: about('Email of the contact who would become main'),
    },
    'A transfer of a main position across companies (R13), for the other side to accept',
  );

  // ---- query strings

  const one = (description: string) => v.optional(about(description));
  const limit = v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,15}$/, 'limit must be a positive integer'),
      v.description('Page size; default 50, larger than 200 is clamped'),
      v.transform((value) => Number(value)),
    ),
  );
  const cursor = one('`nextCursor` of the previous page');

  /** Query of `GET /licenses`. */
  const listQuery = v.object({
    query: one("Case-insensitive substring of the id, product, or a contact's email or name"),
    cursor,
    limit,
  });

  /** Query of `GET /licenses/:id/history`. */
  const historyQuery = v.object({ cursor, limit });

  /** Query of `DELETE /licenses/:id/contacts/:email`. */
  const removeQuery = v.object({
    role: one('Remove only this role (`technical` or `billing`); without it, every role'),
    successor: one('Email of who becomes main when a main contact is removed'),
  });

  /** Query of `GET /licenses/:id`. */
  const licenseQuery = v.object({ at: one('A time (ISO 8601): the license as it was then') });

  /** Query of `GET /changes`. */
  const changesQuery = v.object({
    after: one('`seq` of the last entry read (or a page’s `nextCursor`)'),
    limit,
  });

  /** Query of `GET /requests`. */
  const requestsQuery = v.object({
    licenseId: one('Only requests of this license'),
    state: one('Only requests in this state: pending, accepted, declined, cancelled or expired'),
    cursor,
    limit,
  });

  /** Query of `GET /events` (for clients that cannot send `Last-Event-ID`). */
  const eventsQuery = v.object({
    after: one('`seq` of the last entry received; `Last-Event-ID` wins when both are sent'),
  });

  // ---- path parameters (the service validates their values)

  const licenseId = about('Support entitlement number, e.g. `SEN-4821337`');
  const email = about('Email address of a contact (percent-encoded)');
  const role = v.pipe(v.picklist(ROLES), v.description('A contact role'));
  const requestId = about('Id of a request (an invitation or a transfer request)');

  // ---- responses

  const roleName = v.picklist(ROLES);
  const contact = v.strictObject({ email: v.string(), name: v.string(), roles: v.array(roleName) });
  const license = v.strictObject({
    id: v.string(),
    product: v.string(),
    edition: v.exactOptional(v.string()),
    seats: v.exactOptional(v.number()),
    expiresAt: v.exactOptional(v.string()),
    contacts: v.array(contact),
    technical: v.pipe(v.array(v.string()), v.description('Emails in order; the first is main')),
    billing: v.pipe(v.array(v.string()), v.description('Emails in order; the first is main')),
    version: v.pipe(v.number(), v.integer()),
    updatedAt: v.string(),
  });
  const me = v.strictObject({ email: v.string(), staff: v.boolean() });
  const decision = v.variant('allowed', [
    v.strictObject({ allowed: v.literal(true) }),
    v.strictObject({ allowed: v.literal(false), reason: v.string(), message: v.string() }),
  ]);
  const requestActions = v.strictObject({ accept: decision, decline: decision, cancel: decision });
  const requestState = v.picklist(REQUEST_STATES);
  const pendingRequest = v.strictObject({
    id: v.string(),
    kind: v.picklist(['invitation', 'transfer']),
    licenseId: v.string(),
    product: v.string(),
    email: v.pipe(v.string(), v.description('Who is invited, or who would become main')),
    name: v.string(),
    roles: v.pipe(
      v.array(v.picklist(ROLES)),
      v.description('Invitation: the roles offered; transfer: the role'),
    ),
    requestedBy: v.string(),
    decidedBy: v.pipe(v.array(v.string()), v.description('Who may accept or decline')),
    createdAt: v.string(),
    expiresAt: v.string(),
    state: requestState,
    currentMain: v.exactOptional(v.string()),
    closedBy: v.exactOptional(v.string()),
    closedAt: v.exactOptional(v.string()),
    version: v.pipe(v.number(), v.integer()),
    actions: v.exactOptional(requestActions),
  });
  const requestSummary = v.strictObject({
    id: v.string(),
    kind: v.picklist(['invitation', 'transfer']),
    state: requestState,
    email: v.string(),
    name: v.string(),
    roles: v.array(v.picklist(ROLES)),
    requestedBy: v.string(),
    decidedBy: v.array(v.string()),
    expiresAt: v.string(),
  });
  const byRole = v.strictObject({
    technical: v.record(v.string(), decision),
    billing: v.record(v.string(), decision),
  });
  const permissions = v.strictObject({
    addContact: decision,
    replaceContact: decision,
    viewHistory: decision,
    setMain: v.pipe(byRole, v.description('By role, then by the target contact’s email')),
    removeContact: v.pipe(byRole, v.description('By role, then by the target contact’s email')),
    successors: v.pipe(
      byRole,
      v.description('Who may become main when the main contact of a role is removed, by role and email'),
    ),
    losesAccess: v.pipe(
      v.strictObject({
        technical: v.record(v.string(), v.boolean()),
        billing: v.record(v.string(), v.boolean()),
      }),
      v.description('Whether removing that role from that contact leaves the actor without access'),
    ),
    requestTransfer: v.pipe(
      byRole,
      v.description('Asking for that contact to become main through a transfer request (R13)'),
    ),
    invite: decision,
    directAdd: v.pipe(
      v.union([v.picklist(['any', 'none']), v.strictObject({ domains: v.array(v.string()) })]),
      v.description('Which new people addContact takes directly; the others need an invitation'),
    ),
    requests: v.pipe(
      v.record(v.string(), requestActions),
      v.description('What the person may do with each pending request of the license, by id'),
    ),
    unreachable: v.pipe(v.array(v.string()), v.description('Contacts whose mail bounces')),
  });
  const position = v.strictObject({
    roles: v.array(roleName),
    technical: v.exactOptional(
      v.pipe(v.number(), v.integer(), v.description('Place in the technical list; 0 = main')),
    ),
    billing: v.exactOptional(
      v.pipe(v.number(), v.integer(), v.description('Place in the billing list; 0 = main')),
    ),
  });
  const contactChange = v.strictObject({
    email: v.string(),
    name: v.string(),
    before: v.nullable(position),
    after: v.nullable(position),
  });
  const auditEntry = v.strictObject({
    id: v.string(),
    seq: v.pipe(v.string(), v.description('Assigned at commit; sorts (as a string) in commit order')),
    licenseId: v.string(),
    version: v.pipe(v.number(), v.integer()),
    at: v.string(),
    actor: v.nullable(v.string()),
    staff: v.boolean(),
    action: v.picklist(AUDIT_ACTIONS),
    email: v.exactOptional(v.string()),
    role: v.exactOptional(roleName),
    successor: v.exactOptional(v.string()),
    changes: v.pipe(
      v.array(contactChange),
      v.description('One item per contact whose roles or position changed'),
    ),
    requests: v.exactOptional(
      v.pipe(v.array(requestSummary), v.description('The requests the entry opened, decided or cancelled')),
    ),
  });
  const nextCursor = v.exactOptional(v.pipe(v.string(), v.description('Pass as `cursor` for the next page')));
  const licensePage = v.strictObject({ items: v.array(license), nextCursor });
  const historyPage = v.strictObject({ items: v.array(auditEntry), nextCursor });
  const replaceResult = v.strictObject({
    dryRun: v.boolean(),
    changed: v.array(v.strictObject({ licenseId: v.string(), before: license, after: license })),
    skipped: v.array(v.strictObject({ licenseId: v.string(), reason: v.string(), message: v.string() })),
    cancelledRequests: v.pipe(
      v.array(pendingRequest),
      v.description('The leaver’s pending requests on the changed licenses, cancelled with the replacement'),
    ),
  });
  const requestPage = v.strictObject({ items: v.array(pendingRequest), nextCursor });
  const problem = v.strictObject({
    type: v.pipe(v.string(), v.description('`urn:license-contacts:error:<CODE>`')),
    title: v.string(),
    status: v.pipe(v.number(), v.integer()),
    code: v.picklist([...ERROR_CODES.filter((code) => code !== 'NETWORK'), 'INTERNAL']),
    detail: v.pipe(v.string(), v.description('An English sentence; never a stack trace or a driver message')),
    field: v.exactOptional(v.pipe(v.string(), v.description('The offending input field, on VALIDATION'))),
    reason: v.exactOptional(v.pipe(v.string(), v.description('The policy’s reason, on refused actions'))),
  });
  const openApi = v.looseObject({
    openapi: v.string(),
    info: v.looseObject({ title: v.string(), version: v.string() }),
    paths: v.record(v.string(), v.unknown()),
  });

  return {
    addContactBody,
    setMainBody,
    replacementBody,
    listQuery,
    historyQuery,
    removeQuery,
    licenseId,
    email,
    role,
    contact,
    license,
    me,
    decision,
    permissions,
    position,
    contactChange,
    auditEntry,
    licensePage,
    historyPage,
    replaceResult,
    problem,
    openApi,
    licenseQuery,
    changesQuery,
    transferBody,
    requestsQuery,
    requestId,
    requestActions,
    pendingRequest,
    requestSummary,
    requestPage,
    eventsQuery,
  };
}

/** Every schema of the HTTP API: request shapes, path parameters and responses. */
export type Schemas = ReturnType<typeof build>;

/** The name of one of `schemas()`. */
export type SchemaName = keyof Schemas;

/** What a schema of `schemas()` parses to (what a response schema describes). */
export type SchemaOutput<TName extends SchemaName> = v.InferOutput<Schemas[TName]>;

/**
 * Names under which schemas appear in `components.schemas` of the OpenAPI document; the other
 * schemas are written in place where they are used.
 */
export const COMPONENTS: Readonly<Partial<Record<SchemaName, string>>> = Object.freeze({
  contact: 'Contact',
  license: 'License',
  me: 'Me',
  decision: 'Decision',
  permissions: 'Permissions',
  position: 'ContactPosition',
  contactChange: 'ContactChange',
  auditEntry: 'AuditEntry',
  licensePage: 'LicensePage',
  historyPage: 'HistoryPage',
  replaceResult: 'ReplaceResult',
  problem: 'Problem',
  addContactBody: 'AddContactInput',
  setMainBody: 'SetMainInput',
  replacementBody: 'ReplacementInput',
  requestActions: 'RequestActions',
  pendingRequest: 'PendingRequest',
  requestSummary: 'RequestSummary',
  requestPage: 'RequestPage',
  transferBody: 'TransferInput',
});

let built: Schemas | undefined;

/**
 * The schemas, built on first use: importing the client alone (same entry) never runs valibot,
 * so a browser bundle of `createHttpClient` leaves it out.
 */
export function schemas(): Schemas {
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
