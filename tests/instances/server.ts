/**
 * One server instance for the many-instances tests: the HTTP handler on `postgresStorage` over
 * DATABASE_URL (schema LC_SCHEMA), `Authorization: Bearer <email>` as its sign-in. Prints
 * `listening <port>` once it answers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLicenseContacts } from '@license-contacts/core';
import { createHttpHandler, toNodeListener } from '@license-contacts/core/http';
import { postgresStorage } from '@license-contacts/postgres';
import pg from 'pg';
import { authenticate } from '../http/harness';

const storage = postgresStorage({
  pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 }),
  schema: process.env.LC_SCHEMA as string,
});
await storage.migrate();
const service = createLicenseContacts({ storage });
const server = createServer(toNodeListener(createHttpHandler(service, { authenticate, heartbeatMs: 1_000 })));
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
