import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import { browserStorage } from '@license-contacts/core/browser';
import { demoLicenses, runStorageConformance } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

let n = 0;
const keys = new WeakMap<object, string>();
runStorageConformance({
  name: 'browserStorage',
  create: () => {
    const key = `conformance-${n++}`;
    const storage = browserStorage({ key });
    keys.set(storage, key);
    return storage;
  },
  // A reload: a new instance on the same document.
  reopen: (storage) => browserStorage({ key: keys.get(storage) as string }),
});

describe('browserStorage', () => {
  beforeEach(() => localStorage.clear());

  it('keeps licenses and history across instances (a reload)', async () => {
    const first = createLicenseContacts({ storage: browserStorage({ licenses: demoLicenses() }) });
    await first
      .as({ email: 'alice@acme.test' })
      .addContact('SEN-4821337', { email: 'zoe@acme.test', name: 'Zoe', roles: ['billing'] });
    const second = createLicenseContacts({ storage: browserStorage() });
    expect((await second.findLicense('SEN-4821337'))?.billing).toEqual(['bob@acme.test', 'zoe@acme.test']);
    expect((await second.as({ email: 'zoe@acme.test' }).history('SEN-4821337')).items[0]?.action).toBe(
      'addContact',
    );
  });

  it('reads a document written before the change feed, entries upgraded and numbered in order', async () => {
    const contacts = (emails: string[]) => ({
      contacts: emails.map((email) => ({ email, name: email.slice(0, 3), roles: ['technical'] })),
      technical: emails,
      billing: [emails[0]],
    });
    const license = {
      id: 'SEN-1',
      product: 'Jira',
      ...contacts(['ann@acme.test', 'ben@acme.test']),
      version: 2,
      updatedAt: '2026-01-02T00:00:00.000Z',
    };
    const entry = (version: number, before: unknown, after: unknown) => ({
      id: `SEN-1:${version}`,
      licenseId: 'SEN-1',
      version,
      at: `2026-01-0${version}T00:00:00.000Z`,
      actor: null,
      staff: false,
      action: version === 1 ? 'createLicense' : 'addContact',
      before,
      after,
    });
    localStorage.setItem(
      'license-contacts',
      JSON.stringify({
        format: 1,
        licenses: [license],
        audit: [
          entry(1, null, contacts(['ann@acme.test'])),
          entry(2, contacts(['ann@acme.test']), contacts(['ann@acme.test', 'ben@acme.test'])),
        ],
      }),
    );
    const service = createLicenseContacts({ storage: browserStorage() });
    const { items } = await service.changes();
    expect(items.map((e) => [e.id, e.seq])).toEqual([
      ['SEN-1:1', '0000000000000001'],
      ['SEN-1:2', '0000000000000002'],
    ]);
    expect(items[1]?.changes).toEqual([
      { email: 'ben@acme.test', name: 'ben', before: null, after: { roles: ['technical'], technical: 1 } },
    ]);
    expect(items[1]).not.toHaveProperty('before');
    await service
      .as({ email: 'ann@acme.test' })
      .addContact('SEN-1', { email: 'cat@acme.test', name: 'Cat', roles: ['billing'] });
    const reloaded = createLicenseContacts({ storage: browserStorage() });
    expect((await reloaded.changes()).items.map((e) => e.seq)).toEqual([
      '0000000000000001',
      '0000000000000002',
      '0000000000000003',
    ]);
    expect(JSON.parse(localStorage.getItem('license-contacts') as string).format).toBe(2);
  });

  it('sees a change another tab made', async () => {
    const tabA = browserStorage({ licenses: demoLicenses() });
    const tabB = browserStorage({ licenses: demoLicenses() });
    const a = createLicenseContacts({ storage: tabA });
    const b = createLicenseContacts({ storage: tabB });
    await a.as({ email: 'alice@acme.test' }).setMain('SEN-4821337', 'technical', 'carol@acme.test');
    expect((await b.findLicense('SEN-4821337'))?.technical[0]).toBe('carol@acme.test');
  });

  it('fails a commit the quota refuses with STORAGE, changing nothing', async () => {
    let full = false;
    const quota = {
      getItem: (k: string) => localStorage.getItem(k),
      setItem: (k: string, v: string) => {
        if (full) throw new DOMException('quota exceeded', 'QuotaExceededError');
        localStorage.setItem(k, v);
      },
    };
    const service = createLicenseContacts({
      storage: browserStorage({ storage: quota, licenses: demoLicenses() }),
    });
    await service
      .as({ email: 'alice@acme.test' })
      .addContact('SEN-4821337', { email: 'a@acme.test', name: 'A', roles: ['billing'] });
    full = true;
    const error = await service
      .as({ email: 'alice@acme.test' })
      .addContact('SEN-4821337', { email: 'b@acme.test', name: 'B', roles: ['billing'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LicenseContactsError);
    expect((error as LicenseContactsError).code).toBe('STORAGE');
    expect((await service.findLicense('SEN-4821337'))?.billing).toEqual(['bob@acme.test', 'a@acme.test']);
  });

  it('refuses to read, and never overwrites, a document it cannot parse', async () => {
    localStorage.setItem('license-contacts', '{not json');
    const service = createLicenseContacts({ storage: browserStorage() });
    await expect(service.findLicense('SEN-4821337')).rejects.toMatchObject({ code: 'STORAGE' });
    expect(localStorage.getItem('license-contacts')).toBe('{not json');
  });
});
