// Writes the screenshots of docs/: the portal (sign-in, licenses with a panel open, the add dialog) and
// Storybook (a story, a docs page). Starts its own portal on a throwaway PGlite folder and serves
// storybook-static (built first when missing). Run: pnpm --filter @license-contacts/portal screenshots
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { contentTypeOf } from './src/server/static';

const portalDir = fileURLToPath(new URL('.', import.meta.url));
const rootDir = join(portalDir, '../..');
const docsDir = join(rootDir, 'docs');
const storybookDir = join(rootDir, 'storybook-static');
const env = { ...process.env, NODE_ENV: 'production', STORYBOOK_DISABLE_TELEMETRY: '1' };

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')}: ${code}`)),
    );
  });
}

function portalAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = /License Contacts portal: (http:\/\/\S+?)\/?$/m.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the portal exited (${code}):\n${out}`)));
  });
}

/** Serves a folder as is (Storybook's build has no server side). */
async function serveFolder(root: string): Promise<{ url: string; close: () => void }> {
  const base = normalize(root) + sep;
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let path = normalize(join(base, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (!path.startsWith(base)) path = join(base, 'index.html');
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'Content-Type': contentTypeOf(path) }).end(await readFile(path));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(docsDir, name);
  await page.screenshot({ path });
  const { size } = await stat(path);
  console.log(`${name}: ${Math.round(size / 1024)} KB`);
}

const vite = join(portalDir, 'node_modules/vite/bin/vite.js');
await run(process.execPath, [vite, 'build'], portalDir);
if (!existsSync(join(storybookDir, 'iframe.html'))) {
  await run(
    process.execPath,
    [join(rootDir, 'node_modules/storybook/dist/bin/dispatcher.js'), 'build', '-o', storybookDir],
    rootDir,
  );
}

const dataDir = await mkdtemp(join(tmpdir(), 'lc-portal-shots-'));
const portal = spawn(
  process.execPath,
  ['--conditions=@license-contacts/source', '--import', 'tsx', 'src/server/main.ts'],
  {
    cwd: portalDir,
    env: { ...env, PORT: '0', DATA_DIR: dataDir, DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const storybook = await serveFolder(storybookDir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
try {
  const url = await portalAddress(portal);
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, locale: 'en-US' });
  await page.goto(url);
  await page.getByRole('button', { name: 'Sign in as Alice Johnson', exact: true }).waitFor();
  await shot(page, 'portal-sign-in.png');

  await page.getByRole('button', { name: 'Sign in as Alice Johnson', exact: true }).click();
  await page.getByRole('button', { name: /^Jira Software SEN-4821337/ }).click();
  const add = page.getByRole('button', { name: 'Add technical contact' });
  await add.and(page.locator(':not([aria-disabled])')).waitFor();
  await page.setViewportSize({ width: 1100, height: 980 });
  await shot(page, 'portal-licenses.png');

  await add.click();
  const dialog = page.getByRole('dialog', { name: 'Add contact' });
  await dialog.getByRole('textbox', { name: 'Email' }).fill('priya@acme.test');
  await dialog.getByRole('textbox', { name: 'Name' }).fill('Priya Patel');
  await page.setViewportSize({ width: 1100, height: 760 });
  await shot(page, 'portal-add-dialog.png');

  const sb = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await sb.goto(`${storybook.url}/?path=/story/components-licensepanel--default`);
  await sb.frameLocator('#storybook-preview-iframe').getByRole('region', { name: 'Jira Software' }).waitFor();
  await sb.waitForTimeout(500); // the addon panel settles after the story renders
  await shot(sb, 'storybook-license-panel.png');

  await sb.goto(`${storybook.url}/?path=/docs/components-contactlist--docs`);
  await sb
    .frameLocator('#storybook-preview-iframe')
    .getByRole('heading', { name: 'ContactList' })
    .first()
    .waitFor();
  await sb.waitForTimeout(500);
  await shot(sb, 'storybook-contact-list-docs.png');
} finally {
  await browser.close();
  storybook.close();
  portal.kill('SIGTERM');
  await new Promise((resolve) => portal.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
