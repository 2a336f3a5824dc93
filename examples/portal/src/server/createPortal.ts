import { type LicenseContacts, LicenseContactsError, type Person, parseEmail } from '@license-contacts/core';
import {
  createHttpHandler,
  createSameOriginCheck,
  problemResponse,
  readJsonBody,
  SECURITY_HEADERS,
} from '@license-contacts/core/http';
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
}

/** Where the library's HTTP handler is mounted. */
export const API_BASE = '/api';

function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

const MAX_SIGN_IN_BYTES = 4096;

/**
 * The portal as one Fetch handler: the library's API under `/api` (the actor comes from the session
 * cookie, never from the browser), sign-in and sign-out under `/auth`, and the built app for the rest.
 */
export function createPortal(options: PortalOptions): (request: Request) => Promise<Response> {
  const sessions = options.sessions ?? createSessions();
  const people = options.demoPeople ?? [];
  const origins = {
    trustProxy: options.trustProxy === true,
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: [...options.allowedOrigins] }),
  };
  // A request that changes the session must come from the portal's own pages: the API's own check.
  const sameOrigin = createSameOriginCheck(origins);
  const api = createHttpHandler(options.service, {
    ...origins,
    basePath: API_BASE,
    authenticate: (request) => {
      const session = sessions.read(request.headers.get('cookie'));
      return session ? { email: session.email } : null;
    },
  });
  const app = createStaticHandler(options.appDir);

  async function signIn(request: Request): Promise<Response> {
    if (!sameOrigin(request)) {
      return problemResponse(new LicenseContactsError('FORBIDDEN', 'Cross-site sign-in is refused'));
    }
    try {
      const body = await readJsonBody(request, { maxBytes: MAX_SIGN_IN_BYTES });
      const email = parseEmail(
        typeof body === 'object' && body !== null ? (body as { email?: unknown }).email : undefined,
      );
      // Signing in again ends the session this browser had: its id must not stay valid for hours.
      sessions.destroy(request.headers.get('cookie'));
      return json({ email }, 200, { 'Set-Cookie': sessions.create(email) });
    } catch (error) {
      return problemResponse(error);
    }
  }

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === API_BASE || pathname.startsWith(`${API_BASE}/`)) return api(request);
    if (pathname === '/auth/session') {
      if (request.method !== 'GET') {
        return problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'Use GET'), {
          headers: { Allow: 'GET' },
        });
      }
      const session = sessions.read(request.headers.get('cookie'));
      return json({ email: session?.email ?? null, people });
    }
    if (pathname === '/auth/sign-in' || pathname === '/auth/sign-out') {
      if (request.method !== 'POST') {
        return problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'Use POST'), {
          headers: { Allow: 'POST' },
        });
      }
      if (pathname === '/auth/sign-in') return signIn(request);
      if (!sameOrigin(request)) {
        return problemResponse(new LicenseContactsError('FORBIDDEN', 'Cross-site sign-out is refused'));
      }
      return new Response(null, {
        status: 204,
        headers: { ...SECURITY_HEADERS, 'Set-Cookie': sessions.destroy(request.headers.get('cookie')) },
      });
    }
    return app(request);
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
