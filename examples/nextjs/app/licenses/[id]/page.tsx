import { createContactsStore } from '@license-contacts/core';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { currentActor, portal } from '../../../lib/portal';
import { SignedInHeader } from '../../SignedInHeader';
import { ServerRenderedLicense } from './ServerRenderedLicense';

/** One license, rendered on the server from the service and hydrated in the browser. */
export default async function LicensePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await currentActor();
  if (!actor) redirect('/');
  const { service } = await portal();
  // The kit's dehydrate recipe: load into a store on the server, hand its data to the client's store.
  const store = createContactsStore(service.as(actor));
  await Promise.all([store.ensureMe(), store.ensureLicense(id), store.ensurePermissions(id)]);
  if (store.getSnapshot().licenses[id]?.status !== 'success') notFound();
  return (
    <>
      <SignedInHeader email={actor.email} />
      <main className="portal-main">
        <p>
          <Link href="/licenses">All your licenses</Link>
        </p>
        <ServerRenderedLicense licenseId={id} initialData={store.dehydrate()} />
      </main>
    </>
  );
}
