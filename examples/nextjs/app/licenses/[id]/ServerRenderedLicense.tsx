'use client';

import type { ContactsStoreInitialData } from '@license-contacts/core';
import { createHttpClient } from '@license-contacts/core/http';
import { LicenseContactsProvider, LicensePanel } from '@license-contacts/react';
import { useState } from 'react';

/** The panel the server rendered, hydrated with the same data; changes go through the route handler. */
export function ServerRenderedLicense({
  licenseId,
  initialData,
}: {
  licenseId: string;
  initialData: ContactsStoreInitialData;
}) {
  const [api] = useState(() => createHttpClient({ baseUrl: '/api' }));
  return (
    <LicenseContactsProvider api={api} initialData={initialData}>
      <LicensePanel licenseId={licenseId} headingLevel={1} />
    </LicenseContactsProvider>
  );
}
