import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs a command to its end; rejects with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`)),
    );
  });
}

/**
 * Resolves with the first group of `pattern` once the server prints a line matching it (its address);
 * rejects when it exits first.
 */
export function printed(child: ChildProcess, pattern: RegExp, log: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk;
      const match = pattern.exec(buffer);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`The server exited (${code}) before it listened:\n${log()}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Ends a server this test started (SIGTERM, then SIGKILL after 10 s) and waits until it exited. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A server this test started. */
export interface StartedServer {
  url: string;
  /** Everything it printed. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a Node.js server (`node ...args` in `cwd`), waits until it prints its address (the first group
 * of `address`) and answers `ready` with 2xx; `cleanup` runs after it stopped, or when it failed to start.
 */
export async function startServer(options: {
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  address: RegExp;
  ready: string;
  cleanup?: () => Promise<void>;
}): Promise<StartedServer> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk));
  const end = async () => {
    await stop(child);
    await options.cleanup?.();
  };
  try {
    const url = await printed(child, options.address, () => log);
    const response = await fetch(`${url}${options.ready}`);
    if (!response.ok) throw new Error(`${url}${options.ready} answered ${response.status}:\n${log}`);
    return { url, log: () => log, stop: end };
  } catch (error) {
    await end();
    throw error;
  }
}

/**
 * Starts the example portal's server (`src/server/main.ts`, over its existing Vite build) on a free
 * port over a fresh temporary PGlite folder, never the developer's `.data`; `env` adds to its environment.
 */
export async function startPortal(env: NodeJS.ProcessEnv = {}): Promise<StartedServer> {
  const portalDir = fileURLToPath(new URL('../../examples/portal/', import.meta.url));
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-portal-e2e-'));
  return startServer({
    args: ['--conditions=@license-contacts/source', '--import', 'tsx', 'src/server/main.ts'],
    cwd: portalDir,
    // Vitest sets NODE_ENV=test: run what `pnpm start` runs.
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      ...env,
    },
    address: /License Contacts portal: (http:\/\/\S+?)\/?$/m,
    ready: '/auth/session',
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  });
}
