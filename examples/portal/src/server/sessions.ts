import { randomBytes } from 'node:crypto';

/** The session cookie's name. */
export const SESSION_COOKIE = 'lc_session';

/** A signed-in browser: who it is and when the session ends. */
export interface Session {
  email: string;
  expiresAt: number;
}

/** Options of `createSessions`. */
export interface SessionsOptions {
  /** How long a session lasts, in milliseconds; default 8 hours. */
  ttlMs?: number;
  /** Adds `Secure` to the cookie (when served over HTTPS); default false. */
  secure?: boolean;
  /** The current time; default `Date.now`. */
  now?: () => number;
}

/** Server-side sessions behind an opaque random id in an HttpOnly cookie. */
export interface Sessions {
  /** Starts a session for `email`; returns the `Set-Cookie` value that hands its id to the browser. */
  create(email: string): string;
  /** The session named by the request's cookie, or `null`. */
  read(cookieHeader: string | null | undefined): Session | null;
  /** Ends the request's session; returns the `Set-Cookie` value that clears the cookie. */
  destroy(cookieHeader: string | null | undefined): string;
}

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index === -1) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** Sessions kept in this process's memory (a restart signs everyone out). */
export function createSessions(options: SessionsOptions = {}): Sessions {
  const ttlMs = options.ttlMs ?? 8 * 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const secure = options.secure ? '; Secure' : '';
  const sessions = new Map<string, Session>();

  const cookie = (value: string, maxAge: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;

  function idOf(header: string | null | undefined): string | undefined {
    const id = readCookie(header, SESSION_COOKIE);
    return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
  }

  return {
    create(email) {
      // Expired sessions are dropped as new ones start, so the map stays small.
      const time = now();
      for (const [id, session] of sessions) if (session.expiresAt <= time) sessions.delete(id);
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { email, expiresAt: time + ttlMs });
      return cookie(id, Math.floor(ttlMs / 1000));
    },
    read(header) {
      const id = idOf(header);
      if (id === undefined) return null;
      const session = sessions.get(id);
      if (!session) return null;
      if (session.expiresAt <= now()) {
        sessions.delete(id);
        return null;
      }
      return session;
    },
    destroy(header) {
      const id = idOf(header);
      if (id !== undefined) sessions.delete(id);
      return cookie('', 0);
    },
  };
}
