// @vitest-environment node
import { createLicenseContacts, memoryStorage } from '@license-contacts/core';
import { createHttpHandler } from '@license-contacts/core/http';
import { expect, it } from 'vitest';

it('sends the entries of one commit in one chunk of the event stream', async () => {
  const service = createLicenseContacts({ storage: memoryStorage() });
  for (const id of ['SEN-1', 'SEN-2']) {
    await service.createLicense({
      id,
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
  }
  const staff = { email: 'ops@vendor.test', staff: true };
  const handler = createHttpHandler(service, { authenticate: () => staff });
  const controller = new AbortController();
  const response = await handler(new Request('http://localhost/api/events', { signal: controller.signal }));
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  expect(decoder.decode((await reader.read()).value)).toContain(': connected');
  // Where the stream is, once it follows the feed: before any entry.
  expect(decoder.decode((await reader.read()).value)).toMatch(/^id: \d{16}\n: position \d{16}\n\n$/);
  // Offboarding Alice changes both licenses in one commit: two entries, told together.
  await service.as(staff).replaceContact('alice@acme.test', { email: 'carol@acme.test', name: 'Carol' });
  const chunk = decoder.decode((await reader.read()).value);
  expect(chunk.match(/^id: /gm)).toHaveLength(2);
  expect(chunk).toContain('"licenseId":"SEN-1"');
  expect(chunk).toContain('"licenseId":"SEN-2"');
  controller.abort();
  await reader.cancel();
});
