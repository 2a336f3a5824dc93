// Run in a child process: node --expose-gc --conditions=@license-contacts/source --import tsx idempotencyHeap.ts '<json>'
// Sends 1,000 mutations with distinct Idempotency-Keys, each answered with a large body, and prints the
// heap retained afterwards (after full collections) as JSON on stdout.
import type { AddContactInput } from '@license-contacts/core';
import { createLicenseContacts } from '@license-contacts/core';
import type { IdempotencyOptions } from '@license-contacts/core/http';
import { createHttpHandler } from '@license-contacts/core/http';

interface Scenario {
  contacts: number;
  requests: number;
  actors: number;
  idempotency?: IdempotencyOptions;
}

const scenario = JSON.parse(process.argv[2] ?? '{}') as Scenario;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const email = (i: number) => `person${String(i).padStart(5, '0')}@acme.test`;
const contacts: AddContactInput[] = Array.from({ length: scenario.contacts }, (_, i) => ({
  email: email(i),
  name: `Person number ${i} of a large customer`,
  roles: ['technical'],
}));
const service = createLicenseContacts();
await service.createLicense({
  id: 'SEN-BIG',
  product: 'Jira Software',
  technical: { email: email(0), name: 'Person number 0' },
  billing: { email: 'billing@acme.test', name: 'Billing' },
  contacts: contacts.slice(1),
});
const handler = createHttpHandler(service, {
  authenticate: (request) => ({ email: request.headers.get('x-actor') ?? '' }),
  ...(scenario.idempotency ? { idempotency: scenario.idempotency } : {}),
});

// A dry-run replacement changes nothing and answers the whole license twice (before and after).
const body = JSON.stringify({
  email: 'billing@acme.test',
  successor: { email: 'successor@acme.test', name: 'Successor' },
  dryRun: true,
});
let responseBytes = 0;
async function send(i: number, key: boolean): Promise<void> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Actor': email(i % scenario.actors),
  };
  if (key) headers['Idempotency-Key'] = `key-${i}`;
  const response = await handler(
    new Request('http://portal.test/api/replacements', { method: 'POST', headers, body }),
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`answered ${response.status}: ${text.slice(0, 200)}`);
  responseBytes = Math.max(responseBytes, text.length);
}

const settle = () => {
  for (let i = 0; i < 4; i++) gc();
};
for (let i = 0; i < 20; i++) await send(i, false); // warm up everything but the cache
settle();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < scenario.requests; i++) await send(i, true);
settle();
const after = process.memoryUsage().heapUsed;
process.stdout.write(`${JSON.stringify({ before, after, retained: after - before, responseBytes })}\n`);
