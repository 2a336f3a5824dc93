import { join } from 'node:path';
import { type Actor, createLicenseContacts, type LicenseContacts } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/fixtures';
import { createHttpHandler, type HttpHandler } from '@license-contacts/core/http';
import { type AuthRoutes, createAuthRoutes, sessionActor } from '@license-contacts/portal/auth';
import { createSessions, type Sessions } from '@license-contacts/portal/sessions';
import { lockDataDir, openStorage, seed } from '@license-contacts/portal/storage';
import { headers } from 'next/headers';

/** Where the library's handler is mounted: `app/api/[...path]/route.ts`. */
export const API_BASE = '/api';

/** What the route handlers and the pages of this process share. */
export interface Portal {
  service: LicenseContacts;
  sessions: Sessions;
  /** The library's HTTP handler (the actor comes from the session cookie). */
  api: HttpHandler;
  /** `/auth/session`, `/auth/sign-in`, `/auth/sign-out`. */
  auth: AuthRoutes;
}

// Environment: DATABASE_URL (a PostgreSQL server; default PGlite in DATA_DIR), DATA_DIR (default .data),
// TRUST_PROXY=1 (behind a proxy that sets X-Forwarded-Host / X-Forwarded-Proto), ALLOWED_ORIGINS
// (comma-separated origins of other sites whose pages may change contacts).
async function start(): Promise<Portal> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  let target: { databaseUrl: string } | { dataDir: string };
  if (databaseUrl) {
    target = { databaseUrl };
  } else {
    const dataDir = process.env.DATA_DIR || join(process.cwd(), '.data');
    // PGlite's folder belongs to one process at a time.
    process.once('exit', await lockDataDir(dataDir));
    target = { dataDir };
  }
  const storage = await openStorage(target);
  const service = createLicenseContacts({ storage });
  await seed(service, demoLicenseInputs);
  const sessions = createSessions();
  // Next.js reports request.url as localhost: the same-origin check compares Origin with the Host the
  // browser addressed, or, behind a proxy, with X-Forwarded-Host when trusted; other sites are listed.
  const origins = {
    trustProxy: process.env.TRUST_PROXY === '1',
    allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '').split(',').filter((origin) => origin !== ''),
  };
  return {
    service,
    sessions,
    api: createHttpHandler(service, { ...origins, basePath: API_BASE, authenticate: sessionActor(sessions) }),
    auth: createAuthRoutes({ ...origins, sessions, people: Object.values(demoPeople) }),
  };
}

const KEY = Symbol.for('@license-contacts/nextjs-example/portal');
type Shared = typeof globalThis & { [KEY]?: Promise<Portal> };

/**
 * The portal of this process, started on first use (never while `next build` collects the pages).
 * Next.js loads a module once for the route handlers and once for the pages: one portal lives on
 * `globalThis`, so both see the same storage and the same sessions.
 */
export function portal(): Promise<Portal> {
  const shared = globalThis as Shared;
  shared[KEY] ??= start().catch((error: unknown) => {
    delete shared[KEY]; // the next request tries again
    throw error;
  });
  return shared[KEY];
}

/** The signed-in person of the request being rendered, or `null`. */
export async function currentActor(): Promise<Actor | null> {
  // Reading the request first makes every page that asks dynamic: none is rendered at build time.
  const cookie = (await headers()).get('cookie');
  const { sessions } = await portal();
  const session = sessions.read(cookie);
  return session ? { email: session.email } : null;
}
