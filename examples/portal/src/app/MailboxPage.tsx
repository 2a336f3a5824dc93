import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { PortalHeader } from './LicensesPage';

/** A mail the development mailbox caught (what the notifier handed to `send`). */
export interface CaughtMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  licenseId: string;
  kind: string;
  receivedAt: string;
}

type State =
  | { status: 'loading' }
  | { status: 'failed'; message: string }
  | { status: 'ready'; mails: CaughtMail[] };

const LINK = /(https?:\/\/[^\s<>"]+)/g;

/** A mail's text with its addresses as links (they lead back into the portal). */
function MailText({ text }: { text: string }): ReactNode {
  const parts = text.split(LINK);
  return (
    <div className="portal-mail__text">
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text never move
          <a key={i} href={part}>
            {part}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text never move
          <span key={i}>{part}</span>
        ),
      )}
    </div>
  );
}

/** The development mailbox: the mail the portal sent to the signed-in person, newest first. */
export function MailboxPage({
  email,
  onSignOut,
  onSessionEnded,
  links,
}: {
  email: string;
  onSignOut: () => void;
  onSessionEnded: () => void;
  links?: readonly { href: string; label: string }[];
}): ReactNode {
  const [state, setState] = useState<State>({ status: 'loading' });
  const load = useCallback(async () => {
    try {
      const response = await fetch('/dev/mailbox', { headers: { Accept: 'application/json' } });
      if (response.status === 401) return onSessionEnded();
      if (response.status === 404) throw new Error('The development mailbox is off on this server');
      if (!response.ok) throw new Error(`The server answered ${response.status}`);
      const body = (await response.json()) as { mails: CaughtMail[] };
      setState({ status: 'ready', mails: body.mails });
    } catch (error) {
      setState({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }, [onSessionEnded]);

  useEffect(() => {
    document.title = 'Mailbox · License Contacts portal';
    void load();
  }, [load]);

  return (
    <>
      <PortalHeader email={email} onSignOut={onSignOut} current="/mailbox" {...(links ? { links } : {})} />
      <main className="portal-main">
        <h1>Mailbox</h1>
        <p className="portal-muted">
          {`The mail this portal sent to ${email}. A development mailbox: nothing leaves the server.`}
        </p>
        <button type="button" className="lc-button" onClick={() => void load()}>
          Check for new mail
        </button>
        {state.status === 'loading' && <p className="portal-muted">Loading mail…</p>}
        {state.status === 'failed' && <p role="alert">{state.message}</p>}
        {state.status === 'ready' && state.mails.length === 0 && <p>No mail yet</p>}
        {state.status === 'ready' && state.mails.length > 0 && (
          <ul className="portal-mails" aria-label="Mail">
            {state.mails.map((mail) => (
              <li key={mail.id} className="portal-mail">
                <article aria-labelledby={`mail-${mail.id}`}>
                  <h2 id={`mail-${mail.id}`} className="portal-mail__subject">
                    {mail.subject}
                  </h2>
                  <p className="portal-muted">
                    {`To ${mail.to} · `}
                    <time dateTime={mail.receivedAt}>{new Date(mail.receivedAt).toUTCString()}</time>
                  </p>
                  <MailText text={mail.text} />
                </article>
              </li>
            ))}
          </ul>
        )}
      </main>
    </>
  );
}
