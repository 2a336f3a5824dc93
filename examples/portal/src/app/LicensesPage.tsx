import { createHttpClient } from '@license-contacts/core/http';
import { LicenseContactsProvider, LicenseHistory, LicenseList } from '@license-contacts/react';
import { type ReactNode, useEffect, useState } from 'react';

/** The portal's own pages, for the header's navigation. */
export const PORTAL_LINKS = [
  { href: '/', label: 'Licenses' },
  { href: '/mailbox', label: 'Mailbox' },
] as const;

/** The header of a signed-in page: who is signed in, Sign out, and links to the portal's pages. */
export function PortalHeader({
  email,
  onSignOut,
  links = [],
  current,
}: {
  email: string;
  onSignOut: () => void;
  /** Pages the header links to; default none. */
  links?: readonly { href: string; label: string }[];
  /** The `href` of the page shown. */
  current?: string;
}): ReactNode {
  return (
    <header className="portal-header">
      <p className="portal-brand">License Contacts portal</p>
      {links.length > 0 && (
        <nav aria-label="Portal" className="portal-nav">
          {links.map((link) => (
            <a key={link.href} href={link.href} aria-current={link.href === current ? 'page' : undefined}>
              {link.label}
            </a>
          ))}
        </nav>
      )}
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
  expanded,
  links,
}: {
  email: string;
  onSignOut: () => void;
  /** The server no longer knows the session (it expired or the server restarted). */
  onSessionEnded: () => void;
  /** A license to show expanded (a mail's link to `/licenses/:id`). */
  expanded?: string;
  /** Pages the header links to. */
  links?: readonly { href: string; label: string }[];
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
      <PortalHeader email={email} onSignOut={onSignOut} current="/" {...(links ? { links } : {})} />
      <main className="portal-main">
        <h1>Your licenses</h1>
        <p className="portal-muted">
          Expand a license to see and change its technical and billing contacts. Requests waiting for you come
          first.
        </p>
        <LicenseContactsProvider api={api}>
          <LicenseList
            panelHeadingLevel={2}
            {...(expanded ? { defaultExpanded: [expanded] } : {})}
            panelFooter={(license) => <LicenseHistory licenseId={license.id} />}
          />
        </LicenseContactsProvider>
      </main>
    </>
  );
}
