// @vitest-environment node
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user gets: the three packages packed as `pnpm pack` packs them for the registry, installed
// together into a fresh project (the local store first, the registry for anything it lacks), and
// every entry imported by Node as ESM and as CommonJS.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'react', 'postgres'] as const;
const ENTRIES = [
  '@license-contacts/core',
  '@license-contacts/core/http',
  '@license-contacts/core/browser',
  '@license-contacts/core/testing',
  '@license-contacts/core/fixtures',
  '@license-contacts/react',
  '@license-contacts/postgres',
];

let dir: string;
const tarballs: Record<string, string> = {};

/** Runs `pnpm` with the environment of a user's shell, not this test runner's. */
function pnpm(args: string[], cwd: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|VITEST|NODE_ENV$)/i.test(name)),
  );
  return run('pnpm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
}

/** The version of a package the workspace installed (the same one the store holds). */
const version = (name: string) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version as string;

beforeAll(async () => {
  for (const name of PACKAGES) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.js'))) {
      throw new Error(`packages/${name} is not built: run pnpm build first`);
    }
  }
  dir = await mkdtemp(join(tmpdir(), 'lc-pack-'));
  for (const name of PACKAGES) {
    const { stdout } = await pnpm(['pack', '--pack-destination', dir], join(root, 'packages', name));
    const file = stdout.trim().split('\n').at(-1) as string;
    expect(file).toMatch(/\.tgz$/);
    tarballs[name] = file;
  }
  const dependencies: Record<string, string> = {
    react: version('react'),
    'react-dom': version('react-dom'),
    // The optional peers of @license-contacts/core/testing.
    vitest: version('vitest'),
    'fast-check': version('fast-check'),
  };
  for (const name of PACKAGES) dependencies[`@license-contacts/${name}`] = `file:${tarballs[name]}`;
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'lc-pack-check', version: '1.0.0', private: true, dependencies }, null, 2),
  );
  // react and postgres depend on core by version: the packed core is that version.
  await writeFile(
    join(dir, 'pnpm-workspace.yaml'),
    `overrides:\n  "@license-contacts/core": "file:${tarballs.core}"\nallowBuilds:\n  esbuild: true\n`,
  );
  await pnpm(['install', '--prefer-offline'], dir);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The files of a tarball. */
async function listing(name: (typeof PACKAGES)[number]): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarballs[name] as string]);
  return stdout.trim().split('\n');
}

const SCRIPT = (load: string) => `
${load}
const core = entries['@license-contacts/core'];
const http = entries['@license-contacts/core/http'];
const fixtures = entries['@license-contacts/core/fixtures'];
const kit = entries['@license-contacts/react'];
const input = fixtures.demoLicenseInputs[0];
const service = core.createLicenseContacts();
await service.createLicense(input);
const handler = http.createHttpHandler(service, { authenticate: () => ({ email: input.technical.email }) });
const client = http.createHttpClient({ baseUrl: 'http://app.test/api', fetch: (url, init) => handler(new Request(url, init)) });
let error;
try { await client.getLicense('SEN-0') } catch (caught) { error = caught }
const { createElement } = entries.react;
const html = entries['react-dom/server'].renderToString(
  createElement(kit.LicenseContactsProvider, { api: service.as(input.technical) }, createElement(kit.LicenseList)),
);
const openapi = await (await handler(new Request('http://app.test/api/openapi.json'))).json();
console.log(JSON.stringify({
  exports: Object.fromEntries(${JSON.stringify(ENTRIES)}.map((name) => [name, Object.keys(entries[name]).length > 0])),
  me: await client.me(),
  errorIsTheCoreClass: error instanceof core.LicenseContactsError && error.code,
  searchbox: html.includes('Search licenses'),
  openapi: openapi.openapi,
  functions: [http.toNodeListener, entries['@license-contacts/core/browser'].browserStorage,
    entries['@license-contacts/core/testing'].runStorageConformance, entries['@license-contacts/postgres'].postgresStorage,
    kit.LicensePanel].map((value) => typeof value),
}));
`;

const NAMES = [...ENTRIES, 'react', 'react-dom/server'];

describe('the packed packages installed together', () => {
  it('each ship a README, their dist and sources, and no tests', async () => {
    for (const name of PACKAGES) {
      const files = await listing(name);
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.cjs');
      expect(files.filter((file) => file.includes('__tests__'))).toEqual([]);
    }
    expect(await listing('core')).toContain('package/README-http.md');
  });

  it('leave fast-check out of /testing and declare it as an optional peer', async () => {
    const installed = join(dir, 'node_modules/@license-contacts/core');
    const testing = await readFile(join(installed, 'dist/testing.js'), 'utf8');
    expect(testing).toMatch(/from "fast-check"/);
    expect(testing.length).toBeLessThan(150_000);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    expect(manifest.peerDependencies).toHaveProperty('fast-check');
    expect(manifest.peerDependenciesMeta['fast-check']).toEqual({ optional: true });
  });

  const expected = {
    exports: Object.fromEntries(ENTRIES.map((name) => [name, true])),
    me: { email: 'alice@acme.test', staff: false },
    errorIsTheCoreClass: 'NOT_FOUND',
    searchbox: true,
    openapi: '3.1.0',
    functions: ['function', 'function', 'function', 'function', 'object'],
  };

  it('import as ES modules', async () => {
    const load = `const entries = {};\nfor (const name of ${JSON.stringify(NAMES)}) entries[name] = await import(name);`;
    await writeFile(join(dir, 'check.mjs'), SCRIPT(load));
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('require as CommonJS (all but /testing: Vitest, its peer, cannot be required)', async () => {
    const load = `const entries = {};
for (const name of ${JSON.stringify(NAMES)}) {
  entries[name] = name.endsWith('/testing') ? await import(name) : require(name);
}
try { require('@license-contacts/core/testing'); throw new Error('required'); }
catch (error) { if (!/Vitest cannot be imported in a CommonJS module/.test(error.message)) throw error; }`;
    await writeFile(
      join(dir, 'check.cjs'),
      `(async () => {${SCRIPT(load)}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    const { stdout } = await run(process.execPath, ['check.cjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual(expected);
  });
});
