// The one launcher of a throwaway PostgreSQL 15 server, for the test command and for tests that stop
// and start a server of their own.
//
//   import { startThrowawayServer } from '../../scripts/throwawayPostgres';   // in a test or a benchmark
//   node_modules/.bin/tsx scripts/throwawayPostgres.ts start                  // prints shell assignments
//   node_modules/.bin/tsx scripts/throwawayPostgres.ts stop <root>            // stops it, deletes its folder
//
// `source scripts/pg-throwaway.sh` runs `start` and `stop` for a shell. PGBIN overrides the binaries
// folder (default /usr/lib/postgresql/15/bin); when they are missing and we are root, Debian's
// postgresql-15 package is installed first (without its default cluster).
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A PostgreSQL 15 server this process started, in a temporary folder, on a free local port. */
export interface ThrowawayServer {
  /** `postgres://postgres@127.0.0.1:<port>/app_test` */
  url: string;
  port: number;
  /** The temporary folder holding its data, socket and log. */
  root: string;
  /** Stops the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
}

const binaries = () => process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';
const asRoot = () => process.getuid?.() === 0;

function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
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

/** Runs a PostgreSQL binary as the `postgres` user when we are root (initdb refuses to run as root). */
function owner(command: string, args: string[]): Promise<string> {
  const path = join(binaries(), command);
  return asRoot() ? run('runuser', ['-u', 'postgres', '--', path, ...args]) : run(path, args);
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

/** Installs Debian's postgresql-15 (as root) without the cluster it would otherwise start on 5432. */
async function install(): Promise<void> {
  if (!asRoot()) {
    throw new Error(
      `PostgreSQL 15 binaries not found in ${binaries()}; install postgresql-15 (as root: apt-get install ` +
        'postgresql-15) or set DATABASE_URL',
    );
  }
  console.error('[pg-throwaway] installing postgresql-15 with apt-get');
  mkdirSync('/etc/postgresql-common', { recursive: true });
  const conf = '/etc/postgresql-common/createcluster.conf';
  if (!existsSync(conf) || !/^create_main_cluster/m.test(readFileSync(conf, 'utf8'))) {
    appendFileSync(conf, 'create_main_cluster = false\n');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 600_000 });
  await run(
    'apt-get',
    [
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      '-o',
      'Dpkg::Options::=--force-confold',
      'postgresql-15',
    ],
    { env, timeoutMs: 600_000 },
  );
}

/** Stops the server of a folder `startThrowawayServer` made (if it runs) and deletes the folder. */
export async function destroyThrowawayServer(root: string): Promise<void> {
  if (existsSync(join(root, 'data', 'postmaster.pid'))) {
    await owner('pg_ctl', ['-D', join(root, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(
      () => {},
    );
  }
  rmSync(root, { recursive: true, force: true });
}

/**
 * Starts a throwaway PostgreSQL 15 server: `initdb` in a temporary folder (as the `postgres` user
 * when running as root), a free port on 127.0.0.1 (a few tries: another process may take it between
 * the probe and the start), and the database `app_test`.
 */
export async function startThrowawayServer(): Promise<ThrowawayServer> {
  if (!existsSync(join(binaries(), 'initdb'))) await install();
  if (!existsSync(join(binaries(), 'initdb'))) throw new Error(`no initdb in ${binaries()} after install`);
  if (asRoot())
    await run('id', ['postgres']).catch(() =>
      run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']),
    );
  const root = mkdtempSync(join(tmpdir(), 'lc-pg-'));
  try {
    const data = join(root, 'data');
    const sock = join(root, 'sock');
    mkdirSync(sock);
    if (asRoot()) await run('chown', ['-R', 'postgres:', root]);
    chmodSync(root, 0o700);
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
    const start = () =>
      owner('pg_ctl', [
        '-D',
        data,
        '-l',
        join(root, 'server.log'),
        '-w',
        '-t',
        '30',
        '-o',
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        'start',
      ]).then(() => {});
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt >= 4) {
          const log = existsSync(join(root, 'server.log'))
            ? readFileSync(join(root, 'server.log'), 'utf8')
            : '';
          throw new Error(`the server did not start: ${(error as Error).message}\n${log.slice(-2000)}`);
        }
      }
    }
    await owner('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-qAt',
      '-c',
      'CREATE DATABASE app_test',
    ]);

    let running = true;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/app_test`,
      port,
      root,
      async stop() {
        if (!running) return;
        await owner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
        running = false;
      },
      async start() {
        await start();
        running = true;
      },
      destroy: () => destroyThrowawayServer(root),
    };
  } catch (error) {
    await destroyThrowawayServer(root);
    throw error;
  }
}

/** Quotes a value for a POSIX shell. */
const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

// The command line, for scripts/pg-throwaway.sh.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, root] = process.argv.slice(2);
  if (command === 'start') {
    const server = await startThrowawayServer();
    const version = /\d+\.\d+/.exec(await run(join(binaries(), 'postgres'), ['--version']))?.[0];
    console.error(`[pg-throwaway] PostgreSQL ${version} on port ${server.port}, DATABASE_URL=${server.url}`);
    process.stdout.write(
      `DATABASE_URL=${shellQuote(server.url)}\nLC_PGROOT=${shellQuote(server.root)}\nLC_PGPORT=${server.port}\n`,
    );
  } else if (command === 'stop' && root !== undefined) {
    await destroyThrowawayServer(root);
  } else {
    console.error('usage: throwawayPostgres.ts start | stop <root>');
    process.exit(2);
  }
}
