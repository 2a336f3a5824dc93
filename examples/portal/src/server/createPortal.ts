import { type LicenseContacts, LicenseContactsError, type Person, parseEmail } from '@license-contacts/core';
import { createHttpHandler, createSameOriginCheck, problemResponse } from '@license-contacts/core/http';
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

  return async (request) => {
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
        headers: { ...NO_STORE, 'Set-Cookie': sessions.destroy(request.headers.get('cookie')) },
      });
    }
    return app(request);
  };
}
