/**
 * A webhook sender process for the crash tests: `createWebhookSender` on `postgresStorage` over
 * DATABASE_URL (schema LC_SCHEMA) to the endpoint WEBHOOK_URL, with short leases so that a killed
 * holder is replaced quickly. Prints `ready` once it runs.
 */
import { createLicenseContacts } from '@license-contacts/core';
import { createWebhookSender } from '@license-contacts/core/webhooks';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';

const storage = postgresStorage({
  pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 }),
  schema: process.env.LC_SCHEMA as string,
});
const service = createLicenseContacts({ storage });
createWebhookSender({
  service,
  endpoints: [
    { id: 'receiver', url: process.env.WEBHOOK_URL as string, secret: process.env.WEBHOOK_SECRET as string },
  ],
  leaseMs: 400,
  timeoutMs: 300,
  retry: { initialMs: 20, maxMs: 100 },
});
console.log('ready');
