import { demoPeople } from '@license-contacts/core/fixtures';
import { redirect } from 'next/navigation';
import { currentActor } from '../lib/portal';
import { SignIn } from './SignIn';

/** The sign-in page; a signed-in person goes on to their licenses. */
export default async function Home() {
  if (await currentActor()) redirect('/licenses');
  return <SignIn people={Object.values(demoPeople)} />;
}
