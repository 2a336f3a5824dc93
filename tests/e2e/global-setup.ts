import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the portal under test answers, e.g. `http://127.0.0.1:41234`. */
    portalUrl: string;
  }
}

const portalDir = fileURLToPath(new URL('../../examples/portal/', import.meta.url));

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
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

/** Resolves with the portal's address once it prints it; rejects when it exits first. */
function addressOf(child: ChildProcess, log: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk;
      const match = /License Contacts portal: (http:\/\/\S+?)\/?$/m.exec(buffer);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`The portal exited (${code}) before it listened:\n${log()}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Builds the portal's app, starts its server on a free port over a fresh PGlite data folder (never the
 * developer's .data), waits until it answers, and hands its address to the tests as `portalUrl`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const vite = join(
    createRequire(join(portalDir, 'package.json')).resolve('vite/package.json'),
    '../bin/vite.js',
  );
  // Vitest sets NODE_ENV=test, which would make Vite build React's development bundle: test what `pnpm start` serves.
  const env = { ...process.env, NODE_ENV: 'production' };
  await run(process.execPath, [vite, 'build'], portalDir, env);

  const dataDir = await mkdtemp(join(tmpdir(), 'lc-portal-e2e-'));
  const child = spawn(
    process.execPath,
    ['--conditions=@license-contacts/source', '--import', 'tsx', 'src/server/main.ts'],
    {
      cwd: portalDir,
      env: { ...env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk));

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
    const url = await addressOf(child, () => log);
    const response = await fetch(`${url}/auth/session`);
    if (!response.ok) throw new Error(`The portal answered ${response.status} at ${url}/auth/session`);
    project.provide('portalUrl', url);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
