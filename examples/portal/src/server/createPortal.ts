import type { LicenseContacts, Person } from '@license-contacts/core';
import { createHttpHandler } from '@license-contacts/core/http';
import { createAuthRoutes, sessionActor } from './auth';
import { createMailboxRoute, type Mailbox } from './mailbox';
import { createSessions, type Sessions } from './sessions';
import { createStaticHandler } from './static';

/** Options of `createPortal`. */
export interface PortalOptions {
  service: LicenseContacts;
  /** The folder of the built app (index.html and assets/). */
  appDir: string;
  /** The people offered as one-click sign-ins on the sign-in page. */
  demoPeople?: readonly Person[];
  sessions?: Sessions;
  /** Behind a proxy that sets `X-Forwarded-Host` / `X-Forwarded-Proto`: compare `Origin` with those. */
  trustProxy?: boolean;
  /** Other origins whose pages may sign in and change contacts. */
  allowedOrigins?: Iterable<string>;
  /** The development mailbox: `GET /dev/mailbox` answers the signed-in person's mail from it. */
  mailbox?: Mailbox;
}

/** Where the library's HTTP handler is mounted. */
export const API_BASE = '/api';

/**
 * The portal as one Fetch handler: the library's API under `/api` (the actor comes from the session
 * cookie, never from the browser), sign-in and sign-out under `/auth`, the development mailbox at
 * `/dev/mailbox` when given one, and the built app for the rest.
 */
export function createPortal(options: PortalOptions): (request: Request) => Promise<Response> {
  const sessions = options.sessions ?? createSessions();
  const origins = {
    trustProxy: options.trustProxy === true,
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: [...options.allowedOrigins] }),
  };
  const api = createHttpHandler(options.service, {
    ...origins,
    basePath: API_BASE,
    authenticate: sessionActor(sessions),
  });
  const auth = createAuthRoutes({ ...origins, sessions, people: options.demoPeople ?? [] });
  const app = createStaticHandler(options.appDir);
  const mailbox = options.mailbox ? createMailboxRoute(options.mailbox, sessions) : () => null;

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === API_BASE || pathname.startsWith(`${API_BASE}/`)) return api(request);
    return mailbox(request) ?? (await auth(request)) ?? app(request);
  }

  return async (request) => {
    const response = await route(request);
    // Every answer, whoever wrote it, tells the browser not to guess its type.
    if (response.headers.get('x-content-type-options') !== 'nosniff') {
      response.headers.set('X-Content-Type-Options', 'nosniff');
    }
    return response;
  };
}
