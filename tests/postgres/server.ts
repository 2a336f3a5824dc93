import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';

/** Set to `1` to skip (with a printed reason) the tests that need a real PostgreSQL server. */
export const NO_SERVER = process.env.LICENSE_CONTACTS_NO_SERVER === '1';

/**
 * Declares a suite that needs the server of DATABASE_URL. Without DATABASE_URL it fails with a test
 * saying so, unless LICENSE_CONTACTS_NO_SERVER=1, which skips it with a printed reason.
 */
export function describeWithServer(name: string, suite: (url: string) => void): void {
  const url = process.env.DATABASE_URL;
  if (url) {
    describe(name, () => suite(url));
  } else if (NO_SERVER) {
    console.log(`[postgres] skipping "${name}": LICENSE_CONTACTS_NO_SERVER=1 and DATABASE_URL is not set`);
    describe.skip(name, () => suite(''));
  } else {
    describe(name, () => {
      it('needs a PostgreSQL server in DATABASE_URL', () => {
        throw new Error(
          'DATABASE_URL is not set. Run `pnpm test` (it starts a throwaway PostgreSQL 15), set DATABASE_URL to a ' +
            'server you may write to, or set LICENSE_CONTACTS_NO_SERVER=1 to skip the real-server tests.',
        );
      });
    });
  }
}

/** A schema name of its own for one test file, so files can run at the same time on one server. */
export function uniqueSchema(label: string): string {
  return `lc_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A pg pool that answers with an error instead of waiting forever when no connection comes. */
export function testPool(url: string, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
}

function run(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A PostgreSQL 15 server this process started, in a temporary folder, on a free local port. */
export interface ThrowawayServer {
  /** `postgres://postgres@127.0.0.1:<port>/app_test` */
  url: string;
  port: number;
  /** Stops the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
}

/**
 * Starts a throwaway PostgreSQL 15 server (the TOOLCHAIN recipe): `initdb` and `pg_ctl` as the
 * `postgres` user when running as root. PGBIN overrides the binaries folder.
 */
export async function startThrowawayServer(): Promise<ThrowawayServer> {
  const bin = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';
  const root = mkdtempSync(join(tmpdir(), 'lc-pgtest-'));
  const data = join(root, 'data');
  const sock = join(root, 'sock');
  mkdirSync(sock);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run('chown', ['-R', 'postgres:', root]);
  chmodSync(root, 0o700);
  const owner = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);

  await owner('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  let port = 0;
  const start = async () => {
    await owner('pg_ctl', [
      '-D',
      data,
      '-l',
      join(root, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off -c synchronous_commit=off`,
      'start',
    ]);
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE app_test');
  await admin.end();

  let running = true;
  const stop = async () => {
    if (!running) return;
    await owner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
    running = false;
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/app_test`,
    port,
    stop,
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      try {
        await owner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
