'use client';

import { createHttpClient } from '@license-contacts/core/http';
import { LicenseContactsProvider, LicenseList } from '@license-contacts/react';
import { useState } from 'react';

/** The kit in the browser: the session cookie goes along with every request to the route handler. */
export function Licenses() {
  const [api] = useState(() => createHttpClient({ baseUrl: '/api' }));
  return (
    <LicenseContactsProvider api={api}>
      <LicenseList panelHeadingLevel={2} />
    </LicenseContactsProvider>
  );
}
