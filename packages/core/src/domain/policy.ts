import { domainOf, isAssociated, isStaff, mainOf } from './license';
import type { Actor, AddContactInput, Decision, InvitationMode, License, Role } from './types';
import { ROLES } from './types';
import { asciiDomain } from './validate';

/** What every policy question receives. */
export interface PolicyContext {
  license: License;
  actor: Actor;
}

/**
 * Who may do what on a license (R4–R6). Commands and `permissions` both ask it, so they never disagree.
 * Structural rules (R2's last contact, R3's duplicates) are not the policy's: they always hold.
 */
export interface Policy {
  /** Whether the actor may see the license at all; when not, it answers NOT_FOUND (R4). */
  canView(context: PolicyContext): boolean;
  /**
   * Declares that `canView`, the very function named here, admits nobody but staff and the license's
   * contacts: the service then refuses anyone else from the storage's email index, without reading
   * the license (a hidden license costs what a missing one costs). Leave it out when `canView` admits
   * others; a policy that replaces `canView` (`{ ...defaultPolicy, canView }`) loses the declaration,
   * since it names another function.
   */
  viewedByContactsOnly?: (context: PolicyContext) => boolean;
  /**
   * Adding a contact; `input` is absent when asked for `permissions`. `invitations` is the service's
   * setting: where it asks for an invitation, refuse a new person with `INVITATION_REQUIRED`.
   */
  addContact(context: PolicyContext & { input?: AddContactInput; invitations?: InvitationMode }): Decision;
  /** Making `email` the main contact of `role`. */
  setMain(context: PolicyContext & { role: Role; email: string }): Decision;
  /** Removing `role` from `email`; `successor` is set when `email` is the main contact and one was named. */
  removeContact(context: PolicyContext & { role: Role; email: string; successor?: string }): Decision;
  /** Replacing `email` by `successor` on this license; both are absent when asked for `permissions`. */
  replaceContact(context: PolicyContext & { email?: string; successor?: string }): Decision;
  /** Reading the audit history. */
  viewHistory(context: PolicyContext): Decision;
  /**
   * Opening a transfer request (R13): `email`, a contact of `role` on another company than the main
   * contact, would become main once the other side accepts. Default: the default policy's answer.
   */
  requestTransfer?(context: PolicyContext & { role: Role; email: string }): Decision;
  /** Who decides that transfer request: the other side than the actor's. Default: the default policy's answer. */
  transferDeciders?(context: PolicyContext & { role: Role; email: string }): string[];
  /** Inviting a person (§7); `input` is absent when asked for `permissions`. Default: any contact. */
  invite?(context: PolicyContext & { input?: AddContactInput }): Decision;
}

/** Options of `createDefaultPolicy`. */
export interface DefaultPolicyOptions {
  /** Mail domains that are not a company's (promotion across people needs a shared company domain). */
  publicDomains?: Iterable<string>;
}

/** Public mail domains the default policy does not count as a company domain. */
export const PUBLIC_MAIL_DOMAINS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'hotmail.co.uk',
  'live.com',
  'msn.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.fr',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'mail.com',
  'mail.ru',
  'yandex.ru',
  'yandex.com',
  'zoho.com',
  'fastmail.com',
  'hey.com',
  'tutanota.com',
  'qq.com',
  '163.com',
  '126.com',
  'naver.com',
  'orange.fr',
  'free.fr',
  'libero.it',
  'seznam.cz',
]);

const ALLOWED: Decision = /* @__PURE__ */ Object.freeze({ allowed: true });

/** A refusal with a machine-readable reason and an English message. */
export function deny(reason: string, message: string): Decision {
  return { allowed: false, reason, message };
}

function viewer({ license, actor }: PolicyContext): boolean {
  return isStaff(actor) || isAssociated(license, actor.email);
}

const NOT_ASSOCIATED = (): Decision => deny('NOT_ASSOCIATED', 'Only contacts of this license can change it');

const INVITATION_REQUIRED = (who: string): Decision =>
  deny('INVITATION_REQUIRED', `${who} must be invited, and becomes a contact on accepting`);

/**
 * §7: under `invitations`, whether adding a new person directly is refused; `sameCompany` says whether
 * the person is with the actor's company. An existing contact gaining a role agreed already; staff add.
 */
function invitationNeeded(
  context: PolicyContext & { input?: AddContactInput; invitations?: InvitationMode },
  sameCompany: (a: string, b: string) => boolean,
): Decision {
  const { license, actor, input, invitations = 'never' } = context;
  if (invitations === 'never' || isStaff(actor)) return ALLOWED;
  if (input === undefined) return invitations === 'always' ? INVITATION_REQUIRED('Everyone new') : ALLOWED;
  if (isAssociated(license, input.email)) return ALLOWED;
  if (invitations === 'always' || !sameCompany(input.email, actor.email))
    return INVITATION_REQUIRED(input.email);
  return ALLOWED;
}

/**
 * The rules of DESIGN R4–R6: contacts see and change their licenses; promoting someone else needs a
 * shared company domain; only the main contact of a role (or staff) removes that main contact.
 * @example createLicenseContacts({ storage, policy: createDefaultPolicy({ publicDomains: ['example.org'] }) })
 */
export function createDefaultPolicy(options: DefaultPolicyOptions = {}): Policy {
  // Compared with addresses as parseEmail writes them (R14): NFKC, lower case, ASCII.
  const publicDomains = new Set(
    [...(options.publicDomains ?? PUBLIC_MAIL_DOMAINS)].map((d) => {
      const text = d.normalize('NFKC').trim().toLowerCase();
      return asciiDomain(text) ?? text;
    }),
  );

  /** A person's company: their mail domain, or the address itself on a public mail domain (R13). */
  const companyOf = (email: string) => {
    const domain = domainOf(email);
    return publicDomains.has(domain) ? email : domain;
  };
  const sameCompany = (a: string, b: string) => companyOf(a) === companyOf(b);

  /** R13: a main position changes hands across companies only through a transfer request. */
  function consent(actor: Actor, newMain: string, currentMain: string, role: Role): Decision {
    if (isStaff(actor) || sameCompany(newMain, currentMain)) return ALLOWED;
    return deny(
      'NEEDS_CONSENT',
      `${newMain} is with another company than the main ${role} contact ${currentMain}: this needs a transfer request that the other side accepts`,
    );
  }

  /** R5: may the actor put `email` into a main position? */
  function mayPromote(actor: Actor, email: string): Decision {
    if (isStaff(actor) || actor.email === email) return ALLOWED;
    const domain = domainOf(email);
    if (publicDomains.has(domain)) {
      return deny('PUBLIC_DOMAIN', `${email} uses a public mail domain and must make themselves main`);
    }
    if (domain !== domainOf(actor.email)) {
      return deny('DIFFERENT_DOMAIN', `${email} is not on your company domain and must make themselves main`);
    }
    return ALLOWED;
  }

  /** R8: taking over someone's main position needs a successor on the actor's company domain. */
  function mayTakeOver(actor: Actor, successor: string): Decision {
    if (isStaff(actor)) return ALLOWED;
    const domain = domainOf(successor);
    if (publicDomains.has(domain)) {
      return deny(
        'PUBLIC_DOMAIN',
        `${successor} uses a public mail domain and cannot take over a main position`,
      );
    }
    if (domain !== domainOf(actor.email)) {
      return deny(
        'DIFFERENT_DOMAIN',
        `${successor} is not on your company domain and cannot take over a main position`,
      );
    }
    return ALLOWED;
  }

  return {
    canView: viewer,
    viewedByContactsOnly: viewer,
    addContact: (context) => (viewer(context) ? invitationNeeded(context, sameCompany) : NOT_ASSOCIATED()),
    invite: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
    setMain(context) {
      const { license, actor, role, email } = context;
      if (!viewer(context)) return NOT_ASSOCIATED();
      const decision = consent(actor, email, mainOf(license, role), role);
      return decision.allowed ? mayPromote(actor, email) : decision;
    },
    removeContact(context) {
      const { license, actor, role, email, successor } = context;
      if (!viewer(context)) return NOT_ASSOCIATED();
      if (mainOf(license, role) !== email) return ALLOWED;
      if (!isStaff(actor) && actor.email !== email) {
        return deny('NOT_MAIN', `Only the main ${role} contact can remove the main ${role} contact`);
      }
      if (successor === undefined) return ALLOWED;
      const decision = consent(actor, successor, email, role);
      return decision.allowed ? mayPromote(actor, successor) : decision;
    },
    replaceContact(context) {
      const { license, actor, email, successor } = context;
      if (!viewer(context)) return NOT_ASSOCIATED();
      if (email === undefined || successor === undefined) return ALLOWED;
      const mains = ROLES.filter((role) => mainOf(license, role) === email);
      if (mains.length === 0) return ALLOWED;
      const decision = mayTakeOver(actor, successor);
      if (!decision.allowed) return decision;
      for (const role of mains) {
        const agreed = consent(actor, successor, email, role);
        if (!agreed.allowed) return agreed;
      }
      return ALLOWED;
    },
    viewHistory: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
    requestTransfer(context) {
      const { license, actor, role, email } = context;
      if (!viewer(context)) return NOT_ASSOCIATED();
      const main = mainOf(license, role);
      if (sameCompany(email, main)) {
        return deny(
          'SAME_COMPANY',
          `${email} is with the same company as the main ${role} contact: no transfer request is needed`,
        );
      }
      if (isStaff(actor) || sameCompany(actor.email, email) || sameCompany(actor.email, main)) return ALLOWED;
      return deny(
        'NOT_A_SIDE',
        `Only ${email}'s company or the main ${role} contact's company can ask for this transfer`,
      );
    },
    transferDeciders({ license, actor, role, email }) {
      // The other side decides: the main contact when the new main's company asks, else the new main.
      const main = mainOf(license, role);
      return !isStaff(actor) && sameCompany(actor.email, email) ? [main] : [email];
    },
  };
}

/** The default policy (R4–R6) with the built-in list of public mail domains. */
export const defaultPolicy: Policy = /* @__PURE__ */ createDefaultPolicy();

/** The open policy knows no public mail domains: a company is a mail domain. */
const sameDomain = (a: string, b: string) => domainOf(a) === domainOf(b);

/**
 * Any contact of a license may do anything the structural rules (R2, R3) allow; staff everything. The
 * service's `invitations` setting still holds, each mail domain counting as a company.
 */
export const openPolicy: Policy = {
  canView: viewer,
  viewedByContactsOnly: viewer,
  addContact: (context) => (viewer(context) ? invitationNeeded(context, sameDomain) : NOT_ASSOCIATED()),
  invite: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
  transferDeciders: ({ license, actor, role, email }) =>
    actor.email === email ? [mainOf(license, role)] : [email],
  setMain: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
  removeContact: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
  replaceContact: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
  viewHistory: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
  requestTransfer: (context) => (viewer(context) ? ALLOWED : NOT_ASSOCIATED()),
};
