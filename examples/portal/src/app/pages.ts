// The portal's pages and their client helpers, for other hosts of the same portal (the Next.js example).
export { LicensesPage, PORTAL_LINKS, PortalHeader } from './LicensesPage';
export type { CaughtMail } from './MailboxPage';
export { MailboxPage } from './MailboxPage';
export { SignInPage } from './SignInPage';
export type { DemoPerson, SessionInfo } from './session';
export { fetchSession, SignInError, signIn, signOut } from './session';
