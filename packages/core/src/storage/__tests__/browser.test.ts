import { createLicenseContacts, LicenseContactsError } from '@license-contacts/core';
import { browserStorage } from '@license-contacts/core/browser';
import { demoLicenses, runStorageConformance } from '@license-contacts/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';

let n = 0;
runStorageConformance({
  name: 'browserStorage',
  create: () => browserStorage({ key: `conformance-${n++}` }),
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
