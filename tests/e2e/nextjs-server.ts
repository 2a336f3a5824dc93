import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The Next.js example. */
export const exampleDir = join(root, 'examples/nextjs');
const next = join(exampleDir, 'node_modules/next/dist/bin/next');
/** Written next to a finished build: the hash of everything the build read. */
const STAMP = join(exampleDir, '.next', 'license-contacts-inputs.sha256');

const SKIP = new Set(['node_modules', '.next', '.data', 'next-env.d.ts', '__tests__']);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * The hash of the build's inputs: the example, the portal modules it shares, the built packages it
 * imports (Next.js reads their `dist`), and the lockfile (Next.js and every other version).
 */
export async function inputsHash(): Promise<string> {
  const dirs = [
    'examples/nextjs',
    'examples/portal/src',
    'packages/core/dist',
    'packages/react/dist',
    'packages/postgres/dist',
  ];
  const single = [
    'packages/react/src/styles.css',
    'packages/core/package.json',
    'packages/react/package.json',
    'packages/postgres/package.json',
    'examples/portal/package.json',
    'pnpm-lock.yaml',
    'tsconfig.base.json',
  ];
  const all = [...single.map((file) => join(root, file))];
  for (const dir of dirs) all.push(...(await files(join(root, dir))));
  const hash = createHash('sha256');
  for (const file of all.sort()) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: exampleDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`next ${args.slice(1).join(' ')} failed (${code}):\n${output}`)),
    );
  });
}

/** The environment Next.js runs in here: production React, no telemetry (no calls out of the machine). */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

/**
 * Builds the example with `next build`, unless the last finished build read exactly the same inputs
 * (a build is only reused when its stamp matches; any change to the example, the shared portal code,
 * the built packages or the lockfile builds again). Returns whether it built.
 */
export async function buildExample(): Promise<boolean> {
  const hash = await inputsHash();
  const stamp = existsSync(STAMP) ? await readFile(STAMP, 'utf8') : '';
  if (stamp === hash && existsSync(join(exampleDir, '.next', 'BUILD_ID'))) return false;
  await rm(STAMP, { force: true });
  await run([next, 'build'], environment());
  await writeFile(STAMP, hash);
  return true;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A running `next start` of the example. */
export interface RunningExample {
  url: string;
  /** Everything it printed. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts the built example on 127.0.0.1 at a free port, on a fresh PGlite folder (or `databaseUrl`). */
export async function startExample(options: { databaseUrl?: string } = {}): Promise<RunningExample> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-nextjs-e2e-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [next, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
    {
      cwd: exampleDir,
      env: environment({ DATA_DIR: dataDir, DATABASE_URL: options.databaseUrl ?? '' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${log}`);
      try {
        // The first request opens (and seeds) the storage.
        if ((await fetch(`${url}/auth/session`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`next start did not answer at ${url}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log: () => log, stop };
}
