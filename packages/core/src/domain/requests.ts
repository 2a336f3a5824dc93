import { findContact, isStaff } from './license';
import type { Policy } from './policy';
import { deny } from './policy';
import { randomHex } from './random';
import type {
  Actor,
  AddContactInput,
  Decision,
  License,
  PendingRequest,
  RequestActions,
  RequestState,
  RequestSummary,
} from './types';

// Invitations and transfer requests (§7, R13) as pure functions: who may open, see and decide them.

/** A request as a storage keeps it: without the actions of whoever reads it. */
export type StoredRequest = Omit<PendingRequest, 'actions'>;

/** How long a request stays open unless the service says otherwise: 14 days. */
export const DEFAULT_REQUEST_TTL = 14 * 24 * 60 * 60 * 1000;

const ALLOWED: Decision = Object.freeze({ allowed: true });

/** Where the request stands at `now`: a pending one whose time ran out is `expired`. */
export function stateAt(request: Pick<PendingRequest, 'state' | 'expiresAt'>, now: string): RequestState {
  return request.state === 'pending' && Date.parse(request.expiresAt) <= Date.parse(now)
    ? 'expired'
    : request.state;
}

/** The request as it stands at `now` (its state, expiry included). */
export function presentRequest<T extends StoredRequest>(request: T, now: string): T {
  const state = stateAt(request, now);
  return state === request.state ? request : { ...request, state };
}

/** What an audit entry records of a request. */
export function summarize(request: StoredRequest): RequestSummary {
  return {
    id: request.id,
    kind: request.kind,
    state: request.state,
    email: request.email,
    name: request.name,
    roles: [...request.roles],
    requestedBy: request.requestedBy,
    decidedBy: [...request.decidedBy],
    expiresAt: request.expiresAt,
  };
}

/**
 * Whether the actor may see the request: staff, whoever made it, is its subject or may decide it, and
 * whoever may see its license (R4). A request the actor may not see answers NOT_FOUND.
 */
export function canSeeRequest(
  request: StoredRequest,
  license: License | null,
  actor: Actor,
  policy: Policy,
): boolean {
  if (isStaff(actor) || isParty(request, actor.email)) return true;
  return license !== null && policy.canView({ license, actor });
}

/** Whether the person made the request, is its subject, or may decide it. */
export function isParty(request: StoredRequest, email: string): boolean {
  return request.requestedBy === email || request.email === email || request.decidedBy.includes(email);
}

/** Whether the actor may invite; with an input, R3's duplicate first (structural), then the policy. */
export function checkInvite(
  license: License,
  input: AddContactInput | null,
  actor: Actor,
  policy: Policy,
): Decision {
  const context = { license, actor };
  if (input !== null) {
    const existing = findContact(license, input.email);
    const held = input.roles.filter((role) => existing?.roles.includes(role)).join(' and ');
    if (existing && held !== '') return deny('DUPLICATE', `${existing.name} is already a ${held} contact`);
  }
  if (policy.invite) return policy.invite(input === null ? context : { license, actor, input });
  return policy.canView(context)
    ? ALLOWED
    : deny('NOT_ASSOCIATED', 'Only contacts of this license can change it');
}

function notPending(state: RequestState): Decision {
  return state === 'expired'
    ? deny('EXPIRED', 'This request has expired; ask for a new one')
    : deny('NOT_PENDING', `This request was ${state} already`);
}

/**
 * What the actor may do with a request as it stands (`request.state` already at the current time):
 * an invitation is accepted or declined by the signed-in invitee only; a transfer by the other side
 * (`decidedBy`) or staff; a request is cancelled by whoever made it, staff, and, for an invitation,
 * any contact of the license who may add people.
 */
export function requestActions(
  request: StoredRequest,
  license: License | null,
  actor: Actor,
  policy: Policy,
): RequestActions {
  if (request.state !== 'pending') {
    const refused = notPending(request.state);
    return { accept: refused, decline: refused, cancel: refused };
  }
  const decider =
    request.kind === 'invitation'
      ? actor.email === request.email
      : isStaff(actor) || request.decidedBy.includes(actor.email);
  const decide = decider
    ? ALLOWED
    : deny(
        'NOT_DECIDER',
        request.kind === 'invitation'
          ? `Only ${request.email} can answer this invitation`
          : `Only ${request.decidedBy.join(' or ')} can answer this transfer request`,
      );
  const contact =
    request.kind === 'invitation' &&
    license !== null &&
    policy.canView({ license, actor }) &&
    policy.addContact({ license, actor }).allowed;
  const cancel =
    isStaff(actor) || request.requestedBy === actor.email || contact
      ? ALLOWED
      : deny('NOT_REQUESTER', `Only ${request.requestedBy} can withdraw this request`);
  return { accept: decide, decline: decide, cancel };
}

/** The time part of the last id this process made, and how many it made within it. */
let lastTime = '';
let sameTime = 0;

/**
 * A new request's id: sortable by creation time (base 36 milliseconds, then a counter within the
 * millisecond in this process), then 80 random bits.
 */
export function newRequestId(now: string): string {
  const time = Math.max(0, Date.parse(now)).toString(36).padStart(9, '0');
  sameTime = time === lastTime ? sameTime + 1 : 0;
  lastTime = time;
  return `req_${time}${sameTime.toString(36).padStart(4, '0')}${randomHex(10)}`;
}
