import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type StartedServer, startServer } from './processes';

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
  await run(process.execPath, [next, 'build'], exampleDir, environment());
  await writeFile(STAMP, hash);
  return true;
}

/** Starts the built example with `next start` on 127.0.0.1 at a free port, on a fresh PGlite folder (or `databaseUrl`). */
export async function startExample(
  options: { databaseUrl?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<StartedServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-nextjs-e2e-'));
  return startServer({
    args: [next, 'start', '--hostname', '127.0.0.1', '--port', '0'],
    cwd: exampleDir,
    env: environment({ DATA_DIR: dataDir, DATABASE_URL: options.databaseUrl ?? '', ...options.env }),
    address: /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/,
    // The first request opens (and seeds) the storage.
    ready: '/auth/session',
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  });
}
