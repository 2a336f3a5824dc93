import { type Actor, LicenseContactsError, type Person, parseEmail } from '@license-contacts/core';
import { problemResponse } from '@license-contacts/core/http';
import type { Sessions } from './sessions';

/** Options of `createAuthRoutes`. */
export interface AuthRoutesOptions {
  sessions: Sessions;
  /** The people offered as one-click sign-ins on the sign-in page. */
  people?: readonly Person[];
}

/** The `/auth` routes as one Fetch handler; `null` for a path that is not one of them. */
export type AuthRoutes = (request: Request) => Promise<Response> | null;

const NO_STORE = { 'Cache-Control': 'no-store' };

function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  });
}

const MAX_SIGN_IN_BYTES = 4096;

/** The body as text, or `null` once it grows past `max` bytes (the rest is not read). */
async function readLimited(request: Request, max: number): Promise<string | null> {
  if (Number(request.headers.get('content-length') ?? 0) > max) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** A request that changes the session must come from the portal's own pages. */
function sameOrigin(request: Request): boolean {
  if (request.headers.get('sec-fetch-site') === 'cross-site') return false;
  const origin = request.headers.get('origin');
  return origin === null || origin === new URL(request.url).origin;
}

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

  async function signIn(request: Request): Promise<Response> {
    if (!sameOrigin(request)) {
      return problemResponse(new LicenseContactsError('FORBIDDEN', 'Cross-site sign-in is refused'));
    }
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return problemResponse(new LicenseContactsError('UNSUPPORTED_MEDIA_TYPE', 'Send application/json'));
    }
    const text = await readLimited(request, MAX_SIGN_IN_BYTES);
    if (text === null) {
      return problemResponse(new LicenseContactsError('PAYLOAD_TOO_LARGE', 'The request is too large'));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return problemResponse(new LicenseContactsError('BAD_REQUEST', 'The body is not JSON'));
    }
    try {
      const email = parseEmail(
        typeof body === 'object' && body !== null ? (body as { email?: unknown }).email : undefined,
      );
      return json({ email }, 200, { 'Set-Cookie': sessions.create(email) });
    } catch (error) {
      return problemResponse(error);
    }
  }

  return (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/auth/session') {
      if (request.method !== 'GET') {
        return Promise.resolve(
          problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'Use GET'), {
            headers: { Allow: 'GET' },
          }),
        );
      }
      const session = sessions.read(request.headers.get('cookie'));
      return Promise.resolve(json({ email: session?.email ?? null, people }));
    }
    if (pathname !== '/auth/sign-in' && pathname !== '/auth/sign-out') return null;
    if (request.method !== 'POST') {
      return Promise.resolve(
        problemResponse(new LicenseContactsError('METHOD_NOT_ALLOWED', 'Use POST'), {
          headers: { Allow: 'POST' },
        }),
      );
    }
    if (pathname === '/auth/sign-in') return signIn(request);
    if (!sameOrigin(request)) {
      return Promise.resolve(
        problemResponse(new LicenseContactsError('FORBIDDEN', 'Cross-site sign-out is refused')),
      );
    }
    return Promise.resolve(
      new Response(null, {
        status: 204,
        headers: { ...NO_STORE, 'Set-Cookie': sessions.destroy(request.headers.get('cookie')) },
      }),
    );
  };
}
