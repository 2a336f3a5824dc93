// @vitest-environment node
import type { AuditEntry } from '@license-contacts/core';
import { createHttpClient } from '@license-contacts/core/http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer } from '../http/harness';
import { describeWithServer, dropSchema, uniqueSchema } from '../postgres/server';
import type { Child } from './processes';
import { start } from './processes';

async function eventually(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithServer('three server processes on one PostgreSQL', (url) => {
  const schema = uniqueSchema('instances');
  let servers: Child[] = [];
  const origin = (i: number) => `http://127.0.0.1:${(servers[i] as Child).line.split(' ')[1]}`;
  const staff = { Authorization: bearer({ email: 'ops@vendor.test', staff: true }) };
  const alice = { Authorization: bearer({ email: 'alice@acme.test' }) };

  beforeAll(async () => {
    // One migrates first; the others find the schema in place.
    servers = [await start('server.ts', { DATABASE_URL: url, LC_SCHEMA: schema }, /^listening \d+/)];
    servers.push(
      ...(await Promise.all(
        [1, 2].map(() => start('server.ts', { DATABASE_URL: url, LC_SCHEMA: schema }, /^listening \d+/)),
      )),
    );
    const { createLicenseContacts } = await import('@license-contacts/core');
    const { postgresStorage } = await import('@license-contacts/postgres');
    const pg = (await import('pg')).default;
    const storage = postgresStorage({ pool: new pg.Pool({ connectionString: url, max: 1 }), schema });
    await createLicenseContacts({ storage }).createLicense({
      id: 'SEN-1',
      product: 'Jira',
      technical: { email: 'alice@acme.test', name: 'Alice' },
      billing: { email: 'bob@acme.test', name: 'Bob' },
    });
    await storage.close();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await dropSchema(url, schema);
  });

  it('a change through instance A reaches an SSE client of instance B, and of C', async () => {
    const toldB: AuditEntry[] = [];
    const toldC: AuditEntry[] = [];
    const stops = [
      createHttpClient({ baseUrl: `${origin(1)}/api`, headers: alice }).watch((entry) => toldB.push(entry)),
      createHttpClient({ baseUrl: `${origin(2)}/api`, headers: staff }).watch((entry) => toldC.push(entry)),
    ];
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const a = createHttpClient({ baseUrl: `${origin(0)}/api`, headers: alice });
      await a.addContact('SEN-1', { email: 'carol@acme.test', name: 'Carol', roles: ['technical'] });
      await a.setMain('SEN-1', 'technical', 'carol@acme.test');
      await eventually(() => toldB.length === 2 && toldC.length === 2);
      expect(toldB.map((e) => e.id)).toEqual(['SEN-1:2', 'SEN-1:3']);
      expect(toldC.map((e) => e.id)).toEqual(['SEN-1:2', 'SEN-1:3']);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('replays on instance B the first answer to an Idempotency-Key first used on instance A', async () => {
    const send = (i: number) =>
      fetch(`${origin(i)}/api/licenses/SEN-1/contacts`, {
        method: 'POST',
        headers: {
          ...alice,
          'Content-Type': 'application/json',
          'Idempotency-Key': 'retry-across-instances',
        },
        body: JSON.stringify({ email: 'dan@acme.test', name: 'Dan', roles: ['billing'] }),
      });
    const first = await send(0);
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    const again = await send(1);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
    // Without the key, the same request on C runs, and is refused: Dan is already a billing contact.
    const plain = await fetch(`${origin(2)}/api/licenses/SEN-1/contacts`, {
      method: 'POST',
      headers: { ...alice, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'dan@acme.test', name: 'Dan', roles: ['billing'] }),
    });
    expect(plain.status).toBe(409);
    const license = await (await fetch(`${origin(2)}/api/licenses/SEN-1`, { headers: alice })).json();
    expect(license.billing).toEqual(['bob@acme.test', 'dan@acme.test']);
  });
});
