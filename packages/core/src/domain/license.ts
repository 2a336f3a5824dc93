import type { Actor, Contact, License, Role } from './types';

/** The contact with this (normalized) email on the license, if any. */
export function findContact(license: Pick<License, 'contacts'>, email: string): Contact | undefined {
  for (const contact of license.contacts) if (contact.email === email) return contact;
  return undefined;
}

/** Whether the person holds any role on the license (R4: may see and change it). */
export function isAssociated(license: Pick<License, 'contacts'>, email: string): boolean {
  return findContact(license, email) !== undefined;
}

/** Whether the person holds this role on the license. */
export function holdsRole(license: Pick<License, Role>, role: Role, email: string): boolean {
  return license[role].includes(email);
}

/** The main contact's email of a role (R2: there always is one). */
export function mainOf(license: Pick<License, Role>, role: Role): string {
  return license[role][0] as string;
}

/** The domain part of an email address. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** Whether the actor is staff. */
export function isStaff(actor: Actor): boolean {
  return actor.staff === true;
}

/** The display name of a contact, or the email when unknown. */
export function nameOf(license: Pick<License, 'contacts'>, email: string): string {
  return findContact(license, email)?.name ?? email;
}
