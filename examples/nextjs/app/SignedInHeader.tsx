'use client';

import { PortalHeader, signOut } from '@license-contacts/portal/pages';
import { useRouter } from 'next/navigation';

/** Who is signed in, and Sign out (back to the sign-in page). */
export function SignedInHeader({ email }: { email: string }) {
  const router = useRouter();
  return <PortalHeader email={email} onSignOut={() => void signOut().finally(() => router.replace('/'))} />;
}
