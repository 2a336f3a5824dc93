import { redirect } from 'next/navigation';
import { currentActor } from '../../lib/portal';
import { SignedInHeader } from '../SignedInHeader';
import { Licenses } from './Licenses';

/** The licenses of the signed-in person, loaded in the browser. */
export default async function LicensesPage() {
  const actor = await currentActor();
  if (!actor) redirect('/');
  return (
    <>
      <SignedInHeader email={actor.email} />
      <main className="portal-main">
        <h1>Your licenses</h1>
        <p className="portal-muted">Expand a license to see and change its technical and billing contacts.</p>
        <Licenses />
      </main>
    </>
  );
}
