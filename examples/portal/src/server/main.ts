import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createLicenseContacts } from '@license-contacts/core';
import { demoLicenseInputs, demoPeople } from '@license-contacts/core/fixtures';
import { toNodeListener } from '@license-contacts/core/http';
import { createNotifier } from '@license-contacts/core/notifier';
import { createPortal } from './createPortal';
import { createMailbox } from './mailbox';
import { lockDataDir, openStorage, seed } from './storage';

// Environment: PORT (default 3000; 0 picks any free port), HOST (default 127.0.0.1),
// DATABASE_URL (a PostgreSQL server; default PGlite in DATA_DIR), DATA_DIR (default examples/portal/.data),
// TRUST_PROXY=1 (behind a proxy that sets X-Forwarded-Host / X-Forwarded-Proto),
// INVITATIONS (never | otherDomains | always; default otherDomains), MAILBOX=off (no development mailbox).
const started = performance.now();
const portalDir = fileURLToPath(new URL('../..', import.meta.url));
const host = process.env.HOST || '127.0.0.1';
const portGiven = process.env.PORT !== undefined && process.env.PORT !== '';
const port = portGiven ? Number(process.env.PORT) : 3000;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.DATA_DIR || `${portalDir}.data`;
const appDir = process.env.APP_DIR || `${portalDir}dist`;
const trustProxy = process.env.TRUST_PROXY === '1';
const invitations = process.env.INVITATIONS || 'otherDomains';
if (invitations !== 'never' && invitations !== 'otherDomains' && invitations !== 'always') {
  console.error(`INVITATIONS must be never, otherDomains or always, got "${invitations}"`);
  process.exit(1);
}
const mailbox = process.env.MAILBOX === 'off' ? undefined : createMailbox();

function listen(server: Server, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : at);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(at, host);
  });
}

// PGlite's folder belongs to one process at a time.
const unlock = databaseUrl
  ? () => {}
  : await lockDataDir(dataDir).catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
process.on('exit', unlock);

const storage = await openStorage(databaseUrl ? { databaseUrl } : { dataDir }).catch((error: unknown) => {
  const where = databaseUrl ? 'the PostgreSQL server at DATABASE_URL' : `PGlite in ${dataDir}`;
  console.error(`Could not open ${where}: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) console.error(`  ${error.cause.message}`);
  process.exit(1);
});
// People of another company are invited (they become contacts once they accept), not added directly.
const service = createLicenseContacts({ storage, invitations });
const seeded = await seed(service, demoLicenseInputs);
const portal = createPortal({
  service,
  appDir,
  demoPeople: Object.values(demoPeople),
  trustProxy,
  ...(mailbox ? { mailbox } : {}),
});
const server = createServer(toNodeListener(portal));

// A taken port: an explicit PORT is an error; the default moves on to the next free port and says so.
let bound: number | undefined;
for (let attempt = port; bound === undefined; attempt += 1) {
  try {
    bound = await listen(server, attempt);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && !portGiven && attempt < port + 20) {
      console.warn(`Port ${attempt} is in use, trying ${attempt + 1}`);
      continue;
    }
    if (code === 'EADDRINUSE') {
      console.error(
        `Port ${attempt} on ${host} is already in use. Stop what is using it or set PORT to another port.`,
      );
    } else {
      console.error(`Could not listen on ${host}:${attempt}: ${(error as Error).message}`);
    }
    await storage.close().catch(() => {});
    process.exit(1);
  }
}

// Mail to the people each change concerns, caught by the development mailbox; links lead back here.
// A feed worker: its cursor and the ids of mails delivered are kept in the storage, so a restart goes
// on where it stopped and mails nobody twice.
const notifier = mailbox
  ? createNotifier({
      service,
      name: 'portal-mailbox',
      baseUrl: `http://${host}:${bound}`,
      send: mailbox.send,
      onError: (error) => console.error('Notifier:', error instanceof Error ? error.message : error),
    })
  : undefined;

const where = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${dataDir}`;
console.log(`Storage: ${where}${seeded > 0 ? `, ${seeded} demo licenses created` : ''}`);
console.log(`License Contacts portal: http://${host}:${bound}/`);
console.log(`Ready in ${Math.round(performance.now() - started)} ms. Press Ctrl+C to stop.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  await notifier?.stop().catch(() => {});
  server.closeAllConnections();
  await storage.close().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
