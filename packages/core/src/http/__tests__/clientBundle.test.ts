// @vitest-environment node
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The modules (and bytes of each) that a browser bundle of `source` keeps after tree-shaking. */
async function kept(source: string): Promise<Record<string, number>> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    conditions: ['@license-contacts/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.fromEntries(
    Object.entries(output?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path, input]) => [path, input.bytesInOutput]),
  );
}

describe('what a browser bundles', () => {
  it('keeps neither valibot nor the OpenAPI document nor the handler with the client and the store', async () => {
    const modules = await kept(`
      export { createHttpClient } from '@license-contacts/core/http';
      export { createContactsStore, LicenseContactsError } from '@license-contacts/core';
    `);
    const names = Object.keys(modules);
    expect(names.some((name) => name.endsWith('createHttpClient.ts'))).toBe(true);
    expect(
      names.filter((name) => /valibot|to-json-schema|openapi|schemas\.ts|createHttpHandler/.test(name)),
    ).toEqual([]);
  });

  it('does keep them for the handler (the check above can see them)', async () => {
    const names = Object.keys(await kept(`export { createHttpHandler } from '@license-contacts/core/http';`));
    for (const part of ['valibot', 'to-json-schema', 'openapi.ts', 'schemas.ts']) {
      expect(names.some((name) => name.includes(part))).toBe(true);
    }
  });
});
