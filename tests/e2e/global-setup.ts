import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { run, startPortal } from './processes';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the portal under test answers, e.g. `http://127.0.0.1:41234`. */
    portalUrl: string;
  }
}

const portalDir = fileURLToPath(new URL('../../examples/portal/', import.meta.url));

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

  const portal = await startPortal();
  project.provide('portalUrl', portal.url);
  return portal.stop;
}
