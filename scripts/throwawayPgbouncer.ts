// A throwaway PgBouncer in transaction-pooling mode in front of a PostgreSQL server, as deployments
// run it, for tests and benchmarks:
//
//   import { startPgbouncer } from '../../scripts/throwawayPgbouncer';
//   const bouncer = await startPgbouncer(process.env.DATABASE_URL);   // bouncer.url, bouncer.destroy()
//   node_modules/.bin/tsx scripts/throwawayPgbouncer.ts install      // what the test command runs first
//
// Debian's pgbouncer package is installed first when the binary is missing and we are root
// (PGBOUNCER overrides the binary). As root it runs as the `postgres` user (it refuses to run as root).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A PgBouncer this process started, on a free local port, in a temporary folder. */
export interface ThrowawayPgbouncer {
  /** The target's URL with PgBouncer's port: `postgres://postgres@127.0.0.1:<port>/<database>` */
  url: string;
  port: number;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
}

/** How it pools: a client holds a server connection for one transaction only. */
export interface PgbouncerOptions {
  /** Server connections per database and user; default 20. */
  poolSize?: number;
  /** Client connections it accepts; default 1000. */
  maxClients?: number;
}

const binary = () => process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
const asRoot = () => process.getuid?.() === 0;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-2000)}`)),
    );
  });
}

/** Installs Debian's pgbouncer (as root) when the binary is missing, without starting its service. */
export async function installPgbouncer(): Promise<void> {
  if (existsSync(binary())) return;
  if (!asRoot()) {
    throw new Error(
      `pgbouncer not found at ${binary()}; install it (as root: apt-get install pgbouncer) or set PGBOUNCER`,
    );
  }
  console.error('[pgbouncer] installing pgbouncer with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], env);
  // policy-rc.d answering 101 keeps the package from starting its own service.
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'pgbouncer'], env);
  } finally {
    if (!hadPolicy) rmSync(policy, { force: true });
  }
  await run('pkill', ['-x', 'pgbouncer']).catch(() => {});
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

/** Resolves once something accepts connections on the port, or rejects after `ms`. */
async function listening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts PgBouncer in transaction-pooling mode in front of the server of `target` (trusting local
 * clients, like the throwaway server), on a free port of 127.0.0.1.
 */
export async function startPgbouncer(
  target: string,
  options: PgbouncerOptions = {},
): Promise<ThrowawayPgbouncer> {
  await installPgbouncer();
  const server = new URL(target);
  const database = server.pathname.slice(1) || 'postgres';
  const user = decodeURIComponent(server.username || 'postgres');
  const root = mkdtempSync(join(tmpdir(), 'lc-pgbouncer-'));
  const pidfile = join(root, 'pgbouncer.pid');
  const logfile = join(root, 'pgbouncer.log');
  const stop = async () => {
    const pid = existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').trim()) : 0;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  };
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const ini = join(root, 'pgbouncer.ini');
      writeFileSync(
        ini,
        [
          '[databases]',
          `${database} = host=${server.hostname} port=${server.port || 5432} dbname=${database} user=${user}`,
          '[pgbouncer]',
          'listen_addr = 127.0.0.1',
          `listen_port = ${port}`,
          'unix_socket_dir =',
          'auth_type = any',
          'pool_mode = transaction',
          `default_pool_size = ${options.poolSize ?? 20}`,
          `max_client_conn = ${options.maxClients ?? 1000}`,
          'ignore_startup_parameters = extra_float_digits,options',
          `pidfile = ${pidfile}`,
          `logfile = ${logfile}`,
          '',
        ].join('\n'),
      );
      if (asRoot()) await run('chown', ['-R', 'postgres:', root]);
      const args = ['-d', ini];
      try {
        await (asRoot() ? run('runuser', ['-u', 'postgres', '--', binary(), ...args]) : run(binary(), args));
        await listening(port, 10_000);
        return {
          url: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
          port,
          async destroy() {
            await stop();
            rmSync(root, { recursive: true, force: true });
          },
        };
      } catch (error) {
        await stop();
        if (attempt >= 3) {
          const log = existsSync(logfile) ? readFileSync(logfile, 'utf8') : '';
          throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${log.slice(-2000)}`);
        }
      }
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

// The command line, for the test command: installs the binary ahead of the tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'install') {
    await installPgbouncer();
    console.error(`[pgbouncer] ${(await run(binary(), ['--version'])).split('\n')[0]}`);
  } else {
    console.error('usage: throwawayPgbouncer.ts install');
    process.exit(2);
  }
}
