// @vitest-environment node
import { createContactsStore } from '@license-contacts/core';
import { createDemoService, demoPeople } from '@license-contacts/core/testing';
import { LicenseContactsProvider, LicenseHistory, LicenseList, LicensePanel } from '@license-contacts/react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

const JIRA = 'SEN-4821337';
const { alice, carol } = demoPeople;

describe('server rendering', () => {
  it('renders a panel without window, from initial data', async () => {
    expect(typeof window).toBe('undefined');
    const api = createDemoService().as({ email: alice.email });
    const loader = createContactsStore(api);
    await Promise.all([
      loader.ensureMe(),
      loader.ensureLicense(JIRA),
      loader.ensurePermissions(JIRA),
      loader.ensureHistory(JIRA),
    ]);
    const initialData = JSON.parse(JSON.stringify(loader.dehydrate()));
    const html = renderToString(
      <LicenseContactsProvider api={api} initialData={initialData}>
        <LicensePanel licenseId={JIRA} footer={<LicenseHistory licenseId={JIRA} />} />
      </LicenseContactsProvider>,
    );
    expect(html).toContain('Jira Software');
    expect(html).toContain('Technical contacts');
    expect(html).toContain(carol.name);
    expect(html).toContain(`aria-label="Make ${carol.name} main technical contact"`);
    expect(html).toContain('Mar 1, 2027');
    expect(html).toContain('No changes recorded yet');
    expect(html).not.toContain('Loading');
  });

  it('renders a loading state without initial data and makes no request', () => {
    const api = createDemoService().as({ email: alice.email });
    const html = renderToString(
      <LicenseContactsProvider api={api}>
        <LicenseList />
        <LicensePanel licenseId={JIRA} />
      </LicenseContactsProvider>,
    );
    expect(html).toContain('Loading licenses…');
    expect(html).toContain('aria-label="Search licenses"');
    expect(html).toContain('Loading license…');
  });
});
