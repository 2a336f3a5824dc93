/** A demo person offered on the sign-in page. */
export interface DemoPerson {
  email: string;
  name: string;
}

/** What the server says about this browser's session. */
export interface SessionInfo {
  email: string | null;
  people: DemoPerson[];
}

/** A sign-in the server refused, with its message. */
export class SignInError extends Error {
  override name = 'SignInError';
}

async function problemMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: unknown; title?: unknown };
    if (typeof body.detail === 'string') return body.detail;
  } catch {
    // not a problem+json body
  }
  return `The server answered ${response.status}`;
}

/** Who is signed in (if anyone) and the demo people. */
export async function fetchSession(): Promise<SessionInfo> {
  const response = await fetch('/auth/session', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(await problemMessage(response));
  return (await response.json()) as SessionInfo;
}

/** Starts a session for `email`; the server sets the HttpOnly session cookie. */
export async function signIn(email: string): Promise<string> {
  const response = await fetch('/auth/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (!response.ok) throw new SignInError(await problemMessage(response));
  return ((await response.json()) as { email: string }).email;
}

/** Ends the session. */
export async function signOut(): Promise<void> {
  await fetch('/auth/sign-out', { method: 'POST' });
}
