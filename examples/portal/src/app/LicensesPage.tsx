import { createHttpClient } from '@license-contacts/core/http';
import { LicenseContactsProvider, LicenseHistory, LicenseList } from '@license-contacts/react';
import { type ReactNode, useEffect, useState } from 'react';

/** The header of a signed-in page: who is signed in, and Sign out. */
export function PortalHeader({ email, onSignOut }: { email: string; onSignOut: () => void }): ReactNode {
  return (
    <header className="portal-header">
      <p className="portal-brand">License Contacts portal</p>
      <div className="portal-user">
        <p>{`Signed in as ${email}`}</p>
        <button type="button" className="lc-button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

/** The signed-in page: who is signed in, sign out, and the licenses of that person. */
export function LicensesPage({
  email,
  onSignOut,
  onSessionEnded,
}: {
  email: string;
  onSignOut: () => void;
  /** The server no longer knows the session (it expired or the server restarted). */
  onSessionEnded: () => void;
}): ReactNode {
  // The browser never says who it is: the session cookie goes along with every same-origin request.
  const [api] = useState(() =>
    createHttpClient({
      baseUrl: '/api',
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401) onSessionEnded();
        return response;
      },
    }),
  );

  useEffect(() => {
    document.title = 'Your licenses · License Contacts portal';
  }, []);

  return (
    <>
      <PortalHeader email={email} onSignOut={onSignOut} />
      <main className="portal-main">
        <h1>Your licenses</h1>
        <p className="portal-muted">Expand a license to see and change its technical and billing contacts.</p>
        <LicenseContactsProvider api={api}>
          <LicenseList
            panelHeadingLevel={2}
            panelFooter={(license) => <LicenseHistory licenseId={license.id} />}
          />
        </LicenseContactsProvider>
      </main>
    </>
  );
}
