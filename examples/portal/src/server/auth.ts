import { type Actor, LicenseContactsError, type Person, parseEmail } from '@license-contacts/core';
import {
  createSameOriginCheck,
  problemResponse,
  readJsonBody,
  type SameOriginOptions,
  SECURITY_HEADERS,
} from '@license-contacts/core/http';
import type { Sessions } from './sessions';

/** Options of `createAuthRoutes`. */
export interface AuthRoutesOptions extends SameOriginOptions {
  sessions: Sessions;
  /** The people offered as one-click sign-ins on the sign-in page. */
  people?: readonly Person[];
}

/** The `/auth` routes as one Fetch handler; `null` for a path that is not one of them. */
export type AuthRoutes = (request: Request) => Promise<Response> | null;

function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

const MAX_SIGN_IN_BYTES = 4096;

/** The `authenticate` of the library's handler: the person of the request's session cookie, or `null`. */
export function sessionActor(sessions: Sessions): (request: Request) => Actor | null {
  return (request) => {
    const session = sessions.read(request.headers.get('cookie'));
    return session ? { email: session.email } : null;
  };
}

/**
 * Sign-in and sign-out on a session cookie: `GET /auth/session` (who is signed in, and the demo
 * people), `POST /auth/sign-in` with `{ email }`, `POST /auth/sign-out`. Mounted by `createPortal`
 * and by the Next.js example's route handler.
 */
export function createAuthRoutes(options: AuthRoutesOptions): AuthRoutes {
  const { sessions } = options;
  const people = options.people ?? [];
  // A request that changes the session must come from the portal's own pages: the API's own check.
  const sameOrigin = createSameOriginCheck({
    trustProxy: options.trustProxy === true,
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
  });

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

  async function route(request: Request, pathname: string): Promise<Response> {
    if (pathname === '/auth/session') {
      if (request.method !== 'GET') {
        return problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'Use GET'), {
          headers: { Allow: 'GET' },
        });
      }
      const session = sessions.read(request.headers.get('cookie'));
      return json({ email: session?.email ?? null, people });
    }
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

  return (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== '/auth/session' && pathname !== '/auth/sign-in' && pathname !== '/auth/sign-out') {
      return null;
    }
    return route(request, pathname);
  };
}
