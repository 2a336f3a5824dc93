'use client';

import type { DemoPerson } from '@license-contacts/portal/pages';
import { SignInPage } from '@license-contacts/portal/pages';
import { useRouter } from 'next/navigation';

/** The portal's sign-in page; once the session cookie is set, the licenses page. */
export function SignIn({ people }: { people: DemoPerson[] }) {
  const router = useRouter();
  return <SignInPage people={people} onSignedIn={() => router.replace('/licenses')} />;
}
