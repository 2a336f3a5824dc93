import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LicenseContactsError } from '../domain/errors';
import { PUBLIC_MAIL_DOMAINS } from '../domain/policy';
import type { Actor, AuditEntry, License, Role } from '../domain/types';
import { ROLES } from '../domain/types';
import type { LicenseContacts } from '../service/createLicenseContacts';
import { createLicenseContacts } from '../service/createLicenseContacts';
import type { LicenseStorage } from '../storage/types';
import { expectUnbrokenHistory } from './history';

/** Options of `runServiceModelTests`. */
export interface ServiceModelOptions {
  /** Shown in the test names. */
  name: string;
  /** A fresh, empty storage for each run. */
  create: () => LicenseStorage | Promise<LicenseStorage>;
  /** Releases a storage after its run. */
  destroy?: (storage: LicenseStorage) => void | Promise<void>;
  /** Runs of the model-based test; default `FC_RUNS` or 1,000. */
  runs?: number;
  /** Commands failed by injected storage faults; default 1,000. */
  faults?: number;
  /** Test timeout in milliseconds; default 120,000. */
  timeout?: number;
}

const PEOPLE = [
  'ann@acme.test',
  'ben@acme.test',
  'cat@acme.test',
  'dev@globex.test',
  'eve@gmail.com',
  'fay@globex.test',
] as const;
const STAFF = 'ops@vendor.test';
const OUTSIDER = 'zed@initech.test';
const ACTORS: Actor[] = [
  ...PEOPLE.map((email) => ({ email })),
  { email: STAFF, staff: true },
  { email: OUTSIDER },
];
const LICENSES = ['SEN-A', 'SEN-B', 'SEN-C'] as const;
const PUBLIC = new Set(PUBLIC_MAIL_DOMAINS);

/** A request as the model follows it. */
interface ModelRequest {
  id: string;
  kind: 'invitation' | 'transfer';
  email: string;
  roles: Role[];
  requestedBy: string;
  decidedBy: string[];
  currentMain?: string;
  /** The model clock when it expires. */
  expiresAt: number;
  state: 'pending' | 'accepted' | 'declined' | 'cancelled';
}

/** The reference model of one license: who holds which role, in order, and its requests. */
interface ModelLicense {
  names: Map<string, string>;
  technical: string[];
  billing: string[];
  requests?: ModelRequest[];
}
type Model = Map<string, ModelLicense>;
type Outcome = { ok: true } | { ok: false; code: string };

const ok: Outcome = { ok: true };
const fail = (code: string): Outcome => ({ ok: false, code });
const domain = (email: string) => email.slice(email.indexOf('@') + 1);
const holds = (l: ModelLicense, email: string) => l.technical.includes(email) || l.billing.includes(email);
const visible = (l: ModelLicense | undefined, actor: Actor): l is ModelLicense =>
  l !== undefined && (actor.staff === true || holds(l, actor.email));
const mayPromote = (actor: Actor, email: string) =>
  actor.staff === true ||
  actor.email === email ||
  (!PUBLIC.has(domain(email)) && domain(email) === domain(actor.email));
const mayTakeOver = (actor: Actor, successor: string) =>
  actor.staff === true || (!PUBLIC.has(domain(successor)) && domain(successor) === domain(actor.email));
/** R13: a company is a mail domain, or the address itself on a public mail domain. */
const company = (email: string) => (PUBLIC.has(domain(email)) ? email : domain(email));
const sameCompany = (a: string, b: string) => company(a) === company(b);
/** R5 and R13: may the actor put `email` in the place of the main contact `main`? */
const mayReplaceMain = (actor: Actor, email: string, main: string) =>
  actor.staff === true || (sameCompany(email, main) && mayPromote(actor, email));
const nameOf = (email: string) => email.slice(0, email.indexOf('@')).toUpperCase();
/** How long a request stays open in the model runs: some expire within a run. */
const TTL = 20_000;
const requestsOf = (l: ModelLicense) => {
  l.requests ??= [];
  return l.requests;
};
/** The state of a request at the model clock `now` (`expired` once its time ran out while pending). */
const stateOf = (r: ModelRequest, now: number) =>
  r.state === 'pending' && now >= r.expiresAt ? 'expired' : r.state;
const isParty = (r: ModelRequest, email: string) =>
  r.requestedBy === email || r.email === email || r.decidedBy.includes(email);

function initialModel(): Model {
  return new Map([
    ['SEN-A', { names: new Map(), technical: ['ann@acme.test'], billing: ['ben@acme.test'] }],
    [
      'SEN-B',
      { names: new Map(), technical: ['dev@globex.test', 'eve@gmail.com'], billing: ['dev@globex.test'] },
    ],
    [
      'SEN-C',
      { names: new Map(), technical: ['cat@acme.test'], billing: ['ann@acme.test', 'fay@globex.test'] },
    ],
  ]);
}

async function seed(service: LicenseContacts, model: Model): Promise<void> {
  for (const [id, l] of model) {
    const [technical, ...moreTech] = l.technical as [string, ...string[]];
    const [billing, ...moreBill] = l.billing as [string, ...string[]];
    await service.createLicense({
      id,
      product: `Product ${id}`,
      technical: { email: technical, name: nameOf(technical) },
      billing: { email: billing, name: nameOf(billing) },
      contacts: [
        ...moreTech.map((email) => ({ email, name: nameOf(email), roles: ['technical' as Role] })),
        ...moreBill.map((email) => ({ email, name: nameOf(email), roles: ['billing' as Role] })),
      ],
    });
  }
}

/** The state a license must be in, as the model sees it. */
function expectAgrees(license: License | null, model: ModelLicense | undefined): void {
  expect(license === null).toBe(model === undefined);
  if (!license || !model) return;
  expect(license.technical).toEqual(model.technical);
  expect(license.billing).toEqual(model.billing);
  // R2: one main per role; R3: each person once, roles matching the lists
  expect(license.technical.length).toBeGreaterThan(0);
  expect(license.billing.length).toBeGreaterThan(0);
  const emails = license.contacts.map((c) => c.email);
  expect(new Set(emails).size).toBe(emails.length);
  for (const contact of license.contacts) {
    for (const role of ROLES)
      expect(contact.roles.includes(role)).toBe(license[role].includes(contact.email));
    expect(contact.roles.length).toBeGreaterThan(0);
  }
  for (const role of ROLES) for (const email of license[role]) expect(emails).toContain(email);
}

/** Real outcome of a call, as an `Outcome`. */
async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return ok;
  } catch (error) {
    if (!(error instanceof LicenseContactsError)) throw error;
    return fail(error.code);
  }
}

/** A moment of the run and the licenses as the model saw them right after it. */
interface Moment {
  at: number;
  licenses: Map<string, { technical: string[]; billing: string[] }>;
}

interface Real {
  service: LicenseContacts;
  /** The service's clock: every step runs one second after the previous one. */
  clock: { now: number };
  /** The model after the seed and after every step, oldest first. */
  past: Moment[];
}

function remember(model: Model, real: Real): void {
  const licenses = new Map(
    [...model].map(([id, l]) => [id, { technical: [...l.technical], billing: [...l.billing] }]),
  );
  real.past.push({ at: real.clock.now, licenses });
}

abstract class Step implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.clock.now += 1000;
    const mains = new Map(
      [...model].map(([id, l]) => [id, { technical: l.technical[0], billing: l.billing[0] }]),
    );
    await this.step(model, real);
    remember(model, real);
    for (const [id, l] of model) {
      // R13: across companies a main changes only through an accepted transfer (or R2, or staff)
      for (const role of ROLES) {
        const from = mains.get(id)?.[role] as string;
        const to = l[role][0] as string;
        if (from !== to && !sameCompany(from, to)) expect(this.movesMainAcross(id, role, from)).toBe(true);
      }
      // §7: a pending invitee has no access, receives no mail, and is never main
      for (const request of requestsOf(l)) {
        if (request.kind !== 'invitation' || stateOf(request, real.clock.now) !== 'pending') continue;
        if (holds(l, request.email)) continue;
        expect(await outcome(() => real.service.as({ email: request.email }).getLicense(id))).toEqual(
          fail('NOT_FOUND'),
        );
        for (const topic of ['license', 'invoice', 'support'] as const) {
          const { to, cc } = await real.service.recipients(id, topic);
          expect([...to, ...cc]).not.toContain(request.email);
        }
      }
    }
  }
  /** Whether this step may move the main `role` contact `from` of license `id` to another company. */
  movesMainAcross(_id: string, _role: Role, _from: string): boolean {
    return false;
  }
  abstract step(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
}

/** A step about a person and the roles they get on one license. */
abstract class PersonStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly id: string,
    readonly email: string,
    readonly roles: Role[],
  ) {
    super();
  }
}

class AddStep extends PersonStep {
  async step(model: Model, { service }: Real) {
    const l = model.get(this.id);
    let expected: Outcome = ok;
    if (!visible(l, this.actor)) expected = fail('NOT_FOUND');
    else if (this.roles.some((r) => l[r].includes(this.email))) expected = fail('DUPLICATE');
    const actual = await outcome(() =>
      service.as(this.actor).addContact(this.id, {
        email: this.email.toUpperCase(),
        name: nameOf(this.email),
        roles: this.roles,
      }),
    );
    expect(actual).toEqual(expected);
    if (expected.ok && l) for (const r of this.roles) if (!l[r].includes(this.email)) l[r].push(this.email);
    expectAgrees(await service.findLicense(this.id), model.get(this.id));
  }
  toString() {
    return `add(${this.actor.email} → ${this.id}: ${this.email} ${this.roles})`;
  }
}

/** A step about one contact in one role's list of one license. */
abstract class RoleStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly id: string,
    readonly role: Role,
    readonly email: string,
  ) {
    super();
  }
}

class SetMainStep extends RoleStep {
  async step(model: Model, { service }: Real) {
    const l = model.get(this.id);
    let expected: Outcome = ok;
    if (!visible(l, this.actor)) expected = fail('NOT_FOUND');
    else if (!l[this.role].includes(this.email)) expected = fail('NOT_FOUND');
    else if (
      l[this.role][0] !== this.email &&
      !mayReplaceMain(this.actor, this.email, l[this.role][0] as string)
    )
      expected = fail('FORBIDDEN');
    const actual = await outcome(() => service.as(this.actor).setMain(this.id, this.role, this.email));
    expect(actual).toEqual(expected);
    if (expected.ok && l) l[this.role] = [this.email, ...l[this.role].filter((e) => e !== this.email)];
    expectAgrees(await service.findLicense(this.id), model.get(this.id));
  }
  override movesMainAcross() {
    return this.actor.staff === true;
  }
  toString() {
    return `setMain(${this.actor.email} → ${this.id}: ${this.role} ${this.email})`;
  }
}

class RemoveStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly id: string,
    readonly email: string,
    readonly role: Role | undefined,
    readonly successor: string | undefined,
  ) {
    super();
  }
  expect(l: ModelLicense | undefined): Outcome {
    if (!visible(l, this.actor)) return fail('NOT_FOUND');
    if (!holds(l, this.email) || (this.role && !l[this.role].includes(this.email))) return fail('NOT_FOUND');
    const roles = this.role ? [this.role] : ROLES.filter((r) => l[r].includes(this.email));
    if (this.successor === this.email) return fail('VALIDATION');
    if (roles.some((r) => l[r].length === 1)) return fail('LAST_CONTACT');
    for (const r of roles) {
      const isMain = l[r][0] === this.email;
      if (!isMain) continue;
      if (this.successor !== undefined && !l[r].includes(this.successor)) return fail('VALIDATION');
      if (this.actor.staff !== true && this.actor.email !== this.email) return fail('FORBIDDEN');
      if (this.successor !== undefined && !mayReplaceMain(this.actor, this.successor, this.email))
        return fail('FORBIDDEN');
    }
    return ok;
  }
  async step(model: Model, { service }: Real) {
    const l = model.get(this.id);
    const expected = this.expect(l);
    const actual = await outcome(() =>
      service.as(this.actor).removeContact(this.id, this.email, {
        ...(this.role ? { role: this.role } : {}),
        ...(this.successor ? { successor: this.successor } : {}),
      }),
    );
    expect(actual).toEqual(expected);
    if (expected.ok && l) {
      for (const r of this.role ? [this.role] : ROLES) {
        const wasMain = l[r][0] === this.email;
        l[r] = l[r].filter((e) => e !== this.email);
        if (wasMain && this.successor) l[r] = [this.successor, ...l[r].filter((e) => e !== this.successor)];
      }
    }
    expectAgrees(await service.findLicense(this.id), model.get(this.id));
  }
  override movesMainAcross(id: string, _role: Role, from: string) {
    // R2: the main who leaves (or staff) hands over to the next in line when naming nobody
    return (
      id === this.id && from === this.email && (this.successor === undefined || this.actor.staff === true)
    );
  }
  toString() {
    return `remove(${this.actor.email} → ${this.id}: ${this.email} ${this.role ?? 'all'} successor=${this.successor})`;
  }
}

class ReplaceStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly email: string,
    readonly successor: string,
    readonly dryRun: boolean,
  ) {
    super();
  }
  async step(model: Model, { service, clock }: Real) {
    const expectedChanged: string[] = [];
    const expectedSkipped: string[] = [];
    for (const [id, l] of model) {
      if (!visible(l, this.actor) || !holds(l, this.email)) continue;
      const mains = ROLES.filter((r) => l[r][0] === this.email);
      const consented = this.actor.staff === true || sameCompany(this.successor, this.email);
      if (mains.length > 0 && !(mayTakeOver(this.actor, this.successor) && consented))
        expectedSkipped.push(id);
      else expectedChanged.push(id);
    }
    if (this.email === this.successor) {
      expect(
        await outcome(() =>
          service.as(this.actor).replaceContact(this.email, { email: this.successor, name: 'X' }),
        ),
      ).toEqual(fail('VALIDATION'));
      return;
    }
    const result = await service
      .as(this.actor)
      .replaceContact(
        this.email,
        { email: this.successor, name: nameOf(this.successor) },
        { dryRun: this.dryRun },
      );
    expect(result.changed.map((c) => c.licenseId)).toEqual(expectedChanged);
    expect(result.skipped.map((c) => c.licenseId)).toEqual(expectedSkipped);
    const expectedCancelled: string[] = [];
    for (const id of expectedChanged) {
      const l = model.get(id) as ModelLicense;
      for (const request of requestsOf(l)) {
        if (stateOf(request, clock.now) !== 'pending' || !isParty(request, this.email)) continue;
        expectedCancelled.push(request.id);
        if (!this.dryRun) request.state = 'cancelled';
      }
      if (!this.dryRun) {
        for (const r of ROLES) l[r] = [...new Set(l[r].map((e) => (e === this.email ? this.successor : e)))];
      }
    }
    expect(result.cancelledRequests.map((r) => r.id).sort()).toEqual(expectedCancelled.sort());
    for (const id of LICENSES) expectAgrees(await service.findLicense(id), model.get(id));
  }
  override movesMainAcross() {
    return this.actor.staff === true;
  }
  toString() {
    return `replace(${this.actor.email}: ${this.email} → ${this.successor}${this.dryRun ? ' dry' : ''})`;
  }
}

class InviteStep extends PersonStep {
  async step(model: Model, { service, clock }: Real) {
    const l = model.get(this.id);
    const api = service.as(this.actor);
    const input = { email: this.email, name: nameOf(this.email), roles: this.roles };
    if (!visible(l, this.actor)) {
      expect(await outcome(() => api.invite(this.id, input))).toEqual(fail('NOT_FOUND'));
      return;
    }
    if (this.roles.some((r) => l[r].includes(this.email))) {
      expect(await outcome(() => api.invite(this.id, input))).toEqual(fail('DUPLICATE'));
      return;
    }
    const open = requestsOf(l).find(
      (r) => r.kind === 'invitation' && r.email === this.email && stateOf(r, clock.now) === 'pending',
    );
    const request = await api.invite(this.id, input);
    if (open) {
      expect(request.id).toBe(open.id);
      return;
    }
    expect(request).toMatchObject({
      state: 'pending',
      decidedBy: [this.email],
      requestedBy: this.actor.email,
    });
    requestsOf(l).push({
      id: request.id,
      kind: 'invitation',
      email: this.email,
      roles: this.roles,
      requestedBy: this.actor.email,
      decidedBy: [this.email],
      expiresAt: clock.now + TTL,
      state: 'pending',
    });
  }
  toString() {
    return `invite(${this.actor.email} → ${this.id}: ${this.email} ${this.roles})`;
  }
}

class TransferStep extends RoleStep {
  expect(l: ModelLicense | undefined): Outcome {
    if (!visible(l, this.actor) || !l[this.role].includes(this.email)) return fail('NOT_FOUND');
    const main = l[this.role][0] as string;
    if (main === this.email || sameCompany(this.email, main)) return fail('FORBIDDEN');
    const side = sameCompany(this.actor.email, this.email) || sameCompany(this.actor.email, main);
    return this.actor.staff === true || side ? ok : fail('FORBIDDEN');
  }
  async step(model: Model, { service, clock }: Real) {
    const l = model.get(this.id);
    const expected = this.expect(l);
    const api = service.as(this.actor);
    if (!expected.ok || !l) {
      expect(await outcome(() => api.requestTransfer(this.id, this.role, this.email))).toEqual(expected);
      return;
    }
    const open = requestsOf(l).find(
      (r) =>
        r.kind === 'transfer' &&
        r.email === this.email &&
        r.roles[0] === this.role &&
        stateOf(r, clock.now) === 'pending',
    );
    const request = await api.requestTransfer(this.id, this.role, this.email);
    if (open) {
      expect(request.id).toBe(open.id);
      return;
    }
    const main = l[this.role][0] as string;
    const decidedBy =
      this.actor.staff !== true && sameCompany(this.actor.email, this.email) ? [main] : [this.email];
    expect(request).toMatchObject({ state: 'pending', decidedBy, currentMain: main, roles: [this.role] });
    requestsOf(l).push({
      id: request.id,
      kind: 'transfer',
      email: this.email,
      roles: [this.role],
      requestedBy: this.actor.email,
      decidedBy,
      currentMain: main,
      expiresAt: clock.now + TTL,
      state: 'pending',
    });
  }
  toString() {
    return `requestTransfer(${this.actor.email} → ${this.id}: ${this.role} ${this.email})`;
  }
}

/** Accepts, declines or cancels one of the requests of the run, picked by number. */
class DecideStep extends Step {
  private decided?: { id: string; role: Role };
  constructor(
    readonly actor: Actor,
    readonly pick: number,
    readonly what: 'accept' | 'decline' | 'cancel',
  ) {
    super();
  }
  expect(l: ModelLicense, r: ModelRequest, now: number): Outcome {
    if (this.actor.staff !== true && !isParty(r, this.actor.email) && !holds(l, this.actor.email)) {
      return fail('NOT_FOUND');
    }
    if (stateOf(r, now) !== 'pending') return fail('CONFLICT');
    if (this.what === 'cancel') {
      const contact = r.kind === 'invitation' && holds(l, this.actor.email);
      return this.actor.staff === true || r.requestedBy === this.actor.email || contact
        ? ok
        : fail('FORBIDDEN');
    }
    const decider =
      r.kind === 'invitation'
        ? this.actor.email === r.email
        : this.actor.staff === true || r.decidedBy.includes(this.actor.email);
    if (!decider) return fail('FORBIDDEN');
    if (this.what === 'accept' && r.kind === 'transfer') {
      const role = r.roles[0] as Role;
      if (l[role][0] !== r.currentMain || !l[role].includes(r.email)) return fail('CONFLICT');
    }
    return ok;
  }
  async step(model: Model, { service, clock }: Real) {
    const all = [...model].flatMap(([id, l]) => requestsOf(l).map((r) => [id, l, r] as const));
    const picked = all[this.pick % Math.max(all.length, 1)];
    if (!picked) return;
    const [id, l, r] = picked;
    const expected = this.expect(l, r, clock.now);
    const api = service.as(this.actor);
    const call =
      this.what === 'accept'
        ? () => api.acceptRequest(r.id)
        : this.what === 'decline'
          ? () => api.declineRequest(r.id)
          : () => api.cancelRequest(r.id);
    expect(await outcome(call)).toEqual(expected);
    if (!expected.ok) {
      // a transfer overtaken by a change of the position is cancelled, decidable by nobody
      if (expected.code === 'CONFLICT' && stateOf(r, clock.now) === 'pending') r.state = 'cancelled';
      expect((await service.findRequest(r.id))?.state).toBe(stateOf(r, clock.now));
      return;
    }
    r.state = this.what === 'accept' ? 'accepted' : this.what === 'decline' ? 'declined' : 'cancelled';
    if (this.what === 'accept' && r.kind === 'invitation') {
      for (const role of r.roles) if (!l[role].includes(r.email)) l[role].push(r.email);
    }
    if (this.what === 'accept' && r.kind === 'transfer') {
      const role = r.roles[0] as Role;
      l[role] = [r.email, ...l[role].filter((e) => e !== r.email)];
      this.decided = { id, role };
    }
    expect((await service.findRequest(r.id))?.state).toBe(r.state);
    expectAgrees(await service.findLicense(id), l);
  }
  override movesMainAcross(id: string, role: Role) {
    return this.decided?.id === id && this.decided.role === role;
  }
  toString() {
    return `${this.what}(${this.actor.email} → request #${this.pick})`;
  }
}

class ObserveStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly id: string,
  ) {
    super();
  }
  async step(model: Model, real: Real) {
    const { service } = real;
    const api = service.as(this.actor);
    const listed = (await api.listLicenses({ limit: 200 })).items.map((l) => l.id);
    expect(listed).toEqual(
      [...model]
        .filter(([, l]) => visible(l, this.actor))
        .map(([id]) => id)
        .sort(),
    );
    const l = model.get(this.id);
    if (!visible(l, this.actor)) {
      expect(await outcome(() => api.permissions(this.id))).toEqual(fail('NOT_FOUND'));
      expect(await outcome(() => api.getLicense(this.id))).toEqual(fail('NOT_FOUND'));
      return;
    }
    const permissions = await api.permissions(this.id);
    const now = real.clock.now;
    const pending = requestsOf(l).filter((r) => stateOf(r, now) === 'pending');
    expect(Object.keys(permissions.requests).sort()).toEqual(pending.map((r) => r.id).sort());
    for (const r of pending) {
      for (const what of ['accept', 'decline', 'cancel'] as const) {
        const decision = permissions.requests[r.id]?.[what];
        // accepting a stale transfer is allowed to try: it fails with CONFLICT, cancelling it
        const expected = new DecideStep(this.actor, 0, what).expect(l, r, now);
        expect(decision?.allowed).toBe(expected.ok || expected.code === 'CONFLICT');
      }
    }
    for (const role of ROLES) {
      expect(Object.keys(permissions.setMain[role])).toEqual(l[role]);
      for (const email of l[role]) {
        const promote = permissions.setMain[role][email];
        const main = l[role][0] as string;
        expect(promote?.allowed).toBe(main !== email && mayReplaceMain(this.actor, email, main));
        // R13: where a promotion needs consent, asking for a transfer is what one may do instead
        const transfer = permissions.requestTransfer[role][email];
        const side = sameCompany(this.actor.email, email) || sameCompany(this.actor.email, main);
        expect(transfer?.allowed).toBe(
          main !== email && !sameCompany(email, main) && (this.actor.staff === true || side),
        );
        if (promote?.allowed === false && promote.reason === 'NEEDS_CONSENT')
          expect(transfer?.allowed).toBe(side);
        const remove = permissions.removeContact[role][email];
        const step = new RemoveStep(this.actor, this.id, email, role, undefined);
        expect(remove?.allowed).toBe(step.expect(l).ok);
      }
    }
  }
  toString() {
    return `observe(${this.actor.email} → ${this.id})`;
  }
}

/** `getLicense(id, { at })` at a random earlier moment answers the license as the model had it then. */
class PastStep extends Step {
  constructor(
    readonly actor: Actor,
    readonly id: string,
    readonly pick: number,
  ) {
    super();
  }
  async step(model: Model, { service, past }: Real) {
    const api = service.as(this.actor);
    const moment = past[this.pick % past.length] as Moment;
    const at = new Date(moment.at + (this.pick % 1000));
    if (!visible(model.get(this.id), this.actor)) {
      expect(await outcome(() => api.getLicense(this.id, { at }))).toEqual(fail('NOT_FOUND'));
      return;
    }
    const then = await api.getLicense(this.id, { at: this.pick % 2 === 0 ? at : at.toISOString() });
    expect({ technical: then.technical, billing: then.billing }).toEqual(moment.licenses.get(this.id));
    expectAgrees(then, {
      names: new Map(),
      ...(moment.licenses.get(this.id) as { technical: string[]; billing: string[] }),
    });
    const seeded = past[0] as Moment;
    expect(await outcome(() => api.getLicense(this.id, { at: new Date(seeded.at - 1) }))).toEqual(
      fail('NOT_FOUND'),
    );
  }
  toString() {
    return `past(${this.actor.email} → ${this.id} #${this.pick})`;
  }
}

const actor = fc.constantFrom(...ACTORS);
const person = fc.constantFrom(...PEOPLE);
const license = fc.constantFrom(...LICENSES);
const role = fc.constantFrom<Role>('technical', 'billing');
const roles = fc.subarray<Role>(['technical', 'billing'], { minLength: 1 });

/** Every command, with arguments biased towards people who are on the licenses. */
export const serviceModelCommands = [
  fc.tuple(actor, license, person, roles).map(([a, l, p, r]) => new AddStep(a, l, p, r)),
  fc.tuple(actor, license, role, person).map(([a, l, r, p]) => new SetMainStep(a, l, r, p)),
  fc
    .tuple(actor, license, person, fc.option(role, { nil: undefined }), fc.option(person, { nil: undefined }))
    .map(([a, l, p, r, s]) => new RemoveStep(a, l, p, r, s)),
  fc.tuple(actor, person, person, fc.boolean()).map(([a, p, s, d]) => new ReplaceStep(a, p, s, d)),
  fc.tuple(actor, license, person, roles).map(([a, l, p, r]) => new InviteStep(a, l, p, r)),
  fc.tuple(actor, license, role, person).map(([a, l, r, p]) => new TransferStep(a, l, r, p)),
  fc
    .tuple(actor, fc.nat(), fc.constantFrom<'accept' | 'decline' | 'cancel'>('accept', 'decline', 'cancel'))
    .map(([a, n, w]) => new DecideStep(a, n, w)),
  fc.tuple(actor, license).map(([a, l]) => new ObserveStep(a, l)),
  fc.tuple(actor, license, fc.nat()).map(([a, l, n]) => new PastStep(a, l, n)),
];

/** A small deterministic random generator from `seed`, so a failure reproduces. */
function deterministic(seed: number): () => number {
  let value = seed;
  return () => {
    value = (value * 1103515245 + 12345) % 2147483648;
    return value / 2147483648;
  };
}

/** A storage that fails at random before, during or after a commit (or a locked run), or on a read. */
function faultyStorage(
  inner: LicenseStorage,
  random: () => number,
  rate: number,
  onFault: () => void,
  onPending: (commit: Promise<unknown>) => void = () => {},
): LicenseStorage {
  const fault = () => {
    onFault();
    return new Error('injected fault: connection reset');
  };
  return {
    async getLicense(id) {
      if (random() < rate / 4) throw fault();
      return inner.getLicense(id);
    },
    async listLicenses(query) {
      if (random() < rate / 4) throw fault();
      return inner.listLicenses(query);
    },
    listAudit: (id, query) => inner.listAudit(id, query),
    listChanges: (query) => inner.listChanges(query),
    getRequest: (id) => inner.getRequest(id),
    listRequests: (query) => inner.listRequests(query),
    getAddresses: (emails) => inner.getAddresses(emails),
    async commit(commit) {
      const dice = random();
      if (dice < rate / 3) throw fault(); // before
      if (dice < (rate * 2) / 3) {
        // during: the commit goes on while the caller already sees a failure
        const pending = inner.commit(commit);
        pending.catch(() => {});
        onPending(pending);
        await Promise.resolve();
        throw fault();
      }
      const entries = await inner.commit(commit);
      if (dice < rate) throw fault(); // after: written, but the answer is lost
      return entries;
    },
    ...(inner.multiVersionWrites && { multiVersionWrites: true }),
    // The row-lock path, where the inner storage has it: the same three moments.
    ...(inner.locked && {
      async locked(ids, work, options) {
        const locked = (inner.locked as NonNullable<LicenseStorage['locked']>).bind(inner);
        const dice = random();
        if (dice < rate / 3) throw fault(); // before
        if (dice < (rate * 2) / 3) {
          // during: the connection drops once the work has decided, and the transaction rolls back
          return locked(
            ids,
            async (read) => {
              await work(read);
              throw fault();
            },
            options,
          );
        }
        const answer = await locked(ids, work, options);
        if (dice < rate) throw fault(); // after: committed, but the answer is lost
        return answer;
      },
    }),
  };
}

async function allChanges(storage: LicenseStorage): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await storage.listChanges({ limit: 500, ...(after === undefined ? {} : { after }) });
    entries.push(...page.items);
    if (page.nextCursor === undefined) return entries;
    after = page.nextCursor;
  }
}

async function allAudit(storage: LicenseStorage, id: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let beforeVersion: number | undefined;
  do {
    const page = await storage.listAudit(id, {
      limit: 500,
      ...(beforeVersion === undefined ? {} : { beforeVersion }),
    });
    entries.push(...page.items);
    beforeVersion = page.nextCursor === undefined ? undefined : Number(page.nextCursor);
  } while (beforeVersion !== undefined);
  return entries.reverse();
}

const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The service against a reference model with random command sequences from insiders, outsiders and
 * staff (invariants R2/R3 after every step), and under injected storage faults (every license wholly
 * before or wholly after a failed command, and commands sent at once to one license each applied
 * once or not at all; history agreeing). Failures print the fast-check seed.
 */
export function runServiceModelTests(options: ServiceModelOptions): void {
  const runs = options.runs ?? (Number(globalThis.process?.env?.FC_RUNS) || 1000);
  const faults = options.faults ?? 1000;
  const timeout = options.timeout ?? 120_000;

  describe(`${options.name} service model`, () => {
    it(
      'agrees with the reference model on random sequences of every command from every kind of actor',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.commands(serviceModelCommands, { maxCommands: 40 }), async (commands) => {
            const storage = await options.create();
            try {
              const clock = { now: Date.parse('2026-03-01T12:00:00.000Z') };
              const service = createLicenseContacts({ storage, clock: () => clock.now, requestTtl: TTL });
              const model = initialModel();
              await seed(service, model);
              const real: Real = { service, clock, past: [] };
              remember(model, real);
              await fc.asyncModelRun(() => ({ model, real }), commands);
            } finally {
              await options.destroy?.(storage);
            }
          }),
          { numRuns: runs, verbose: 1 },
        );
      },
      timeout,
    );

    it(
      `leaves every license wholly before or wholly after a command failed by ${faults} injected faults`,
      async () => {
        const inner = await options.create();
        try {
          let injected = 0;
          const random = deterministic(1);
          let during: Promise<unknown> = Promise.resolve();
          const faulty = createLicenseContacts({
            storage: faultyStorage(
              inner,
              random,
              0.5,
              () => injected++,
              (pending) => {
                during = pending.catch(() => {});
              },
            ),
            maxRetries: 0,
          });
          const plain = createLicenseContacts({ storage: inner });
          await seed(plain, initialModel());
          const staff = faulty.as({ email: STAFF, staff: true });
          let step = 0;
          while (injected < faults && step < faults * 20) {
            step++;
            const id = LICENSES[step % LICENSES.length] as string;
            const before = (await inner.getLicense(id)) as License;
            const historyBefore = (await inner.listAudit(id, { limit: 1 })).items[0]?.version;
            const newcomer = `p${step}@acme.test`;
            const drop = before.technical.at(-1) as string;
            const action =
              step % 3 === 0
                ? () => staff.addContact(id, { email: newcomer, name: `P${step}`, roles: ['technical'] })
                : step % 3 === 1
                  ? () => staff.setMain(id, 'technical', before.technical.at(-1) as string)
                  : () =>
                      before.technical.length > 1
                        ? staff.removeContact(id, drop, { role: 'technical' })
                        : staff.addContact(id, { email: newcomer, name: `P${step}`, roles: ['technical'] });
            const result = await outcome(action);
            // let a commit still "during" settle before looking (a networked storage takes a while)
            await during;
            await new Promise((resolve) => setTimeout(resolve, 0));
            const after = (await inner.getLicense(id)) as License;
            const history = (await inner.listAudit(id, { limit: 1 })).items[0];
            if (result.ok) {
              expect(after.version).toBe(before.version + (after.version === before.version ? 0 : 1));
            } else {
              expect(result.code).toBe('STORAGE');
              expect([before.version, before.version + 1]).toContain(after.version);
            }
            if (after.version === before.version) {
              expect(after).toEqual(before);
              expect(history?.version).toBe(historyBefore);
            } else {
              expect(history?.version).toBe(after.version);
            }
          }
          expect(injected).toBeGreaterThanOrEqual(faults);
          await expectWholeHistories(inner);
        } finally {
          await options.destroy?.(inner);
        }
      },
      timeout,
    );

    it(
      'commands sent at once to one license, under injected faults, each apply once or not at all',
      async () => {
        const inner = await options.create();
        try {
          let injected = 0;
          const random = deterministic(7);
          const pending: Promise<unknown>[] = [];
          const faulty = createLicenseContacts({
            storage: faultyStorage(
              inner,
              random,
              0.4,
              () => injected++,
              (commit) => pending.push(commit.catch(() => {})),
            ),
            maxRetries: 0,
          });
          await seed(createLicenseContacts({ storage: inner }), initialModel());
          const staff = faulty.as({ email: STAFF, staff: true });
          const rounds = Math.max(10, Math.ceil(faults / 4));
          for (let round = 0; round < rounds; round++) {
            const id = LICENSES[round % LICENSES.length] as string;
            const before = (await inner.getLicense(id)) as License;
            // Four adds at once: the first runs alone, the rest may share a turn (the row-lock path).
            const emails = [0, 1, 2, 3].map((k) => `c${round}-${k}@acme.test`);
            const results = await Promise.all(
              emails.map((email) =>
                outcome(() => staff.addContact(id, { email, name: email.slice(0, 5), roles: ['technical'] })),
              ),
            );
            await Promise.all(pending.splice(0));
            const after = (await inner.getLicense(id)) as License;
            const present = emails.filter((email) => after.technical.includes(email));
            // What was answered as done is there; a failure is the storage's (whose commit may have
            // landed), or a conflict with a commit of its own round still landing.
            results.forEach((result, k) => {
              if (result.ok) expect(present).toContain(emails[k]);
              else if (result.code === 'CONFLICT') {
                // Without retries: it met a commit still landing, and wrote nothing.
                expect(present).not.toContain(emails[k]);
              } else expect(result.code).toBe('STORAGE');
            });
            // One version per add that landed, nothing else changed.
            expect(after.version).toBe(before.version + present.length);
          }
          expect(injected).toBeGreaterThan(0);
          await expectWholeHistories(inner);
        } finally {
          await options.destroy?.(inner);
        }
      },
      timeout,
    );
  });
}

/**
 * Never an entry without its write, nor a write without its entry: each license's history and its
 * part of the feed are exactly its versions, each change starting where the last one ended.
 */
async function expectWholeHistories(storage: LicenseStorage): Promise<void> {
  const feed = await allChanges(storage);
  expect(new Set(feed.map((e) => e.seq)).size).toBe(feed.length);
  for (const id of LICENSES) {
    const license = await storage.getLicense(id);
    const entries = feed.filter((e) => e.licenseId === id);
    expectUnbrokenHistory(entries, license);
    expect(asJson(await allAudit(storage, id))).toEqual(asJson(entries));
  }
}
