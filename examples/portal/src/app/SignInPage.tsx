import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { type DemoPerson, SignInError, signIn } from './session';

/** The sign-in page: any email address, or one click per demo person. */
export function SignInPage({
  people,
  onSignedIn,
}: {
  people: readonly DemoPerson[];
  onSignedIn: (email: string) => void;
}): ReactNode {
  const id = useId();
  const emailRef = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Sign in · License Contacts portal';
  }, []);

  async function start(email: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(email));
    } catch (caught) {
      setError(caught instanceof SignInError ? caught.message : 'The server could not be reached');
      setBusy(false);
      emailRef.current?.focus();
    }
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void start(emailRef.current?.value ?? '');
  }

  return (
    <>
      <header className="portal-header">
        <p className="portal-brand">License Contacts portal</p>
      </header>
      <main className="portal-main portal-main--narrow">
        <h1>Sign in</h1>
        <p className="portal-muted">
          Sign in with any email address to see the licenses you are a contact of. This demo asks for no
          password.
        </p>
        <form className="portal-form" noValidate onSubmit={submit} aria-busy={busy || undefined}>
          <div className="lc-field" data-invalid={error ? '' : undefined}>
            <label htmlFor={`${id}-email`}>Email</label>
            <input
              ref={emailRef}
              id={`${id}-email`}
              name="email"
              type="email"
              autoComplete="email"
              spellCheck={false}
              required
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
            />
            {error && (
              <p id={`${id}-error`} className="lc-field__error" role="alert">
                {error}
              </p>
            )}
          </div>
          <button type="submit" className="lc-button lc-button--primary">
            Sign in
          </button>
        </form>
        {people.length > 0 && (
          <section className="portal-people" aria-labelledby={`${id}-people`}>
            <h2 id={`${id}-people`}>Demo people</h2>
            <ul>
              {people.map((person, index) => (
                <li key={person.email}>
                  <button
                    type="button"
                    className="lc-button"
                    aria-describedby={`${id}-person-${index}`}
                    onClick={() => void start(person.email)}
                  >
                    {`Sign in as ${person.name}`}
                  </button>{' '}
                  <span id={`${id}-person-${index}`} className="portal-muted">
                    {person.email}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </>
  );
}
