import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { LicensesPage, PORTAL_LINKS } from './LicensesPage';
import { MailboxPage } from './MailboxPage';
import { SignInPage } from './SignInPage';
import { fetchSession, type SessionInfo, signOut } from './session';

type State =
  | { status: 'loading' }
  | { status: 'failed'; message: string }
  | { status: 'ready'; session: SessionInfo };

/** Asks the server who is signed in, then shows the sign-in page or that person's licenses. */
export function App(): ReactNode {
  const [state, setState] = useState<State>({ status: 'loading' });

  const load = useCallback(() => {
    setState({ status: 'loading' });
    fetchSession().then(
      (session) => setState({ status: 'ready', session }),
      (error: unknown) =>
        setState({ status: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  }, []);
  useEffect(load, [load]);

  const setEmail = useCallback(
    (email: string | null) =>
      setState((current) =>
        current.status === 'ready' ? { status: 'ready', session: { ...current.session, email } } : current,
      ),
    [],
  );

  if (state.status !== 'ready') {
    return (
      <main className="portal-main portal-main--narrow">
        <h1>License Contacts portal</h1>
        {state.status === 'loading' ? (
          <p className="portal-muted">Loading…</p>
        ) : (
          <div role="alert">
            <p>The portal could not reach its server: {state.message}</p>
            <button type="button" className="lc-button" onClick={load}>
              Try again
            </button>
          </div>
        )}
      </main>
    );
  }
  const { email, people } = state.session;
  if (email === null) return <SignInPage people={people} onSignedIn={setEmail} />;
  const onSignOut = () => void signOut().finally(() => setEmail(null));
  // Paths the portal's mails link to: /mailbox, /licenses/:id (that license expanded), /requests/:id
  // (the licenses page, which leads with the person's pending requests).
  const { pathname } = window.location;
  if (pathname === '/mailbox')
    return (
      <MailboxPage
        key={email}
        email={email}
        links={PORTAL_LINKS}
        onSignOut={onSignOut}
        onSessionEnded={() => setEmail(null)}
      />
    );
  const licensePath = /^\/licenses\/([^/]+)$/.exec(pathname);
  const expanded = licensePath?.[1] === undefined ? undefined : decodeURIComponent(licensePath[1]);
  return (
    // A new person gets a new client and cache: nothing of the previous session stays on screen.
    <LicensesPage
      key={email}
      email={email}
      links={PORTAL_LINKS}
      {...(expanded === undefined ? {} : { expanded })}
      onSignOut={onSignOut}
      onSessionEnded={() => setEmail(null)}
    />
  );
}
